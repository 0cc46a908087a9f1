#!/usr/bin/env bash
# The main job on a fresh machine: install, train on the bundled WNUT-17 data with configs/wnut17.json,
# export a SavedModel, tag a sentence with it, and print dev/test F1.
# Arguments after the script go to `python -m ner_tagger.train` (e.g. --epochs 5).
EXTRAS="" source "$(dirname "$0")/setup_env.sh"
RUN="${RUN:-$ROOT/runs/wnut17}"
rm -rf "$RUN"
"$PY" -m ner_tagger.train --config "$ROOT/configs/wnut17.json" --data_dir "$ROOT/ner_tagger/datasets/wnut17" \
  --model_dir "$RUN/checkpoints" --export_dir "$RUN/export" --output_dir "$RUN" "$@"
echo "--- predict"
"$PY" -m ner_tagger.predict "$RUN/export" \
  --text "Just watched Stranger Things with Taylor Swift fans in New York , thanks Netflix !"
echo "--- scores (seqeval, entity level; full report in $RUN/eval_report.json)"
"$PY" - "$RUN/eval_report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for split in ("dev", "test"):
    o = report[split]["overall"]
    print(f"{split}: f1={o['f1']:.4f} precision={o['precision']:.4f} recall={o['recall']:.4f}")
print(f"train_seconds={report['train_seconds']} model={report['model']}")
PY
