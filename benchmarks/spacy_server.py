"""A minimal HTTP endpoint for a spaCy pipeline, so the benchmark's HTTP rows have a peer (run in .venv-bench).

    python -m benchmarks.spacy_server MODEL_DIR PORT

spaCy ships no server. This is the least one can put in front of ``nlp``: the standard library's
single-threaded ``http.server``, ``GET /ping`` and ``POST /invocations`` with ner_tagger's request shape
(``{"instances": [[words...]...]}``), answering ``{"predictions": [{"tokens": [...], "tags": [...]}]}`` (IOB2).
One request at a time, one connection a request (HTTP/1.0), as gunicorn's sync worker serves ner_tagger.
It has none of a production server's work (worker management, timeouts, content types, errors as JSON), so
its HTTP rows are a floor for what spaCy behind a real server would cost.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def serve(model: str, port: int) -> None:
    import spacy
    from spacy.tokens import Doc

    from benchmarks.conll_io import iob2_from_spacy

    nlp = spacy.load(model)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self._reply(200 if self.path == "/ping" else 404, {})

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            docs = nlp.pipe(Doc(nlp.vocab, words=words) for words in body["instances"])
            self._reply(200, {"predictions": [
                {"tokens": [t.text for t in doc], "tags": iob2_from_spacy([(t.ent_iob_, t.ent_type_) for t in doc])}
                for doc in docs]})

        def _reply(self, status, answer):
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # no line per request on stderr
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
