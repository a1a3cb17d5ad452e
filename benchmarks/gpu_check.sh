#!/usr/bin/env bash
# The CUDA path on a GPU: the smoke study on CUDA with bf16 autocast, then a CUDA-trained student's
# training steps, peak GPU memory and ONNX export (benchmarks/gpu_check.py).
#   bash benchmarks/gpu_check.sh [results-dir]        (PYTHON=... picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT=${1:-$(mktemp -d)/gpu-smoke}
export HF_HUB_OFFLINE=1
nvidia-smi -L
"$PY" -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device'; print('torch', torch.__version__, torch.version.cuda)"
extra=$(mktemp --suffix=.yaml)
printf 'teacher:\n  train: {autocast: bf16}\nstudent:\n  train: {autocast: bf16}\n' > "$extra"
start=$(date +%s)
"$PY" -m snakemake --cores 4 --configfile config/smoke.yaml "$extra" --config results="$OUT" --quiet rules
echo "smoke study on CUDA (bf16): $(( $(date +%s) - start )) s, results in $OUT"
"$PY" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
import pandas as pd
out = Path(sys.argv[1])
for name in ("finetune_teacher", "distill"):
    for tsv in sorted((out / "benchmarks").rglob(f"{name}*.tsv")):
        row = pd.read_csv(tsv, sep="\t").iloc[0]
        print(f"{tsv.relative_to(out / 'benchmarks')}: {row['s']:.1f} s, peak RSS {row['max_rss']:.0f} MB")
for m in sorted((out / "search").glob("round-*/trial-*/metrics.json")):
    d = json.loads(m.read_text())
    print(m.parent.relative_to(out), d["status"], f"exact {d.get('exact', float('nan')):.2f}",
          f"train {d.get('train_seconds', float('nan')):.1f} s")
print("exported picks:", sorted(p.name for p in (out / "frontier" / "models").iterdir()))
PY
"$PY" benchmarks/gpu_check.py
