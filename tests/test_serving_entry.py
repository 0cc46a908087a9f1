"""``serving_entry/inference.py`` as the TF Serving container runs it: ``code/inference.py`` beside
``code/lib/ner_tagger`` (what ``launch.make_model`` ships), in a Python without TensorFlow or numpy."""
import json
import os
import shutil
import subprocess
import sys

from ner_tagger.sagemaker import launch

# Run in the container's layout: both folders on the path (gunicorn --pythonpath code,code/lib), imports of
# TensorFlow and numpy refused, and a stand-in TF Serving answering the two signatures.
SCRIPT = r"""
import importlib.abc, io, json, sys, types
code, lib = sys.argv[1], sys.argv[2]
sys.path[:0] = [code, lib]

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "numpy"):
            raise ImportError(f"{name} is not in the TF Serving container's Python")

sys.meta_path.insert(0, Refuse())
import importlib.util
spec = importlib.util.spec_from_file_location("inference", code + "/inference.py")
inference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inference)

def post(url, data, timeout):
    request = json.loads(data)
    if request["signature_name"] == "text":
        rows = [t.split() for t in request["inputs"]["text"]]
    else:
        rows = [r[:n] for r, n in zip(request["inputs"]["tokens"], request["inputs"]["lengths"])]
    width = max(len(r) for r in rows)
    outputs = {"tokens": [r + [""] * (width - len(r)) for r in rows], "lengths": [len(r) for r in rows],
               "tags": [["S-PER" if t[:1].isupper() else "O" for t in r] + ["O"] * (width - len(r)) for r in rows],
               "scores": [[1.0] * width for r in rows], "sequence_score": [1.0 for r in rows]}
    return types.SimpleNamespace(status_code=200, content=json.dumps({"outputs": outputs}).encode())

inference.requests = types.SimpleNamespace(post=post)
context = types.SimpleNamespace(rest_uri="http://tfs", request_content_type="application/json",
                                accept_header="application/json")
body = json.dumps({"instances": ["Alice met Bob", ["Carol", "left"]]}).encode()
answer, media = inference.handler(io.BytesIO(body), context)
loaded = sorted(m for m in sys.modules if m.startswith("ner_tagger"))
print(json.dumps({"answer": json.loads(answer), "media": media, "loaded": loaded,
                  "package": sys.modules["ner_tagger"].__file__}))
"""


def test_the_shipped_modules_serve_without_tensorflow(tmp_path):
    code = tmp_path / "code"
    shutil.copytree(launch.SERVE_SOURCE, code)
    package = launch.stage_serving_package(str(code / "lib"))
    assert package == str(code / "lib" / "ner_tagger")
    proc = subprocess.run([sys.executable, "-I", "-c", SCRIPT, str(code), str(code / "lib")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["package"].startswith(package + os.sep)
    assert out["media"] == "application/json"
    first, second = out["answer"]["predictions"]
    assert [(e["type"], e["text"], e["start"]) for e in first["entities"]] == [("PER", "Alice", 0),
                                                                             ("PER", "Bob", 10)]
    assert second["tags"] == ["B-PER", "O"] and second["entities"][0]["token_end"] == 1
    assert set(out["loaded"]) == {"ner_tagger", "ner_tagger.answers", "ner_tagger.tagging",
                                  "ner_tagger.container", "ner_tagger.container.payload",
                                  "ner_tagger.container.media", "ner_tagger.container.records",
                                  "ner_tagger.container.windows", "ner_tagger.container.deadline"}


def test_make_model_ships_the_package_as_a_dependency(tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", lambda **kwargs: captured.update(kwargs))
    launch.make_model("s3://bucket/model.tar.gz", {}, "arn:aws:iam::1:role/r")
    (package,) = captured["dependencies"]
    assert os.path.basename(package) == "ner_tagger"  # the SDK copies it to code/lib/ner_tagger
    shipped = {os.path.relpath(os.path.join(d, f), package) for d, _, files in os.walk(package) for f in files}
    assert shipped == set(launch.SERVE_MODULES)
