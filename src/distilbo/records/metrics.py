"""The metric registry: what a run records, the columns of its curve and prediction tables, and
the kinds of answer the error analysis counts. Every stage and the config checks read them here.

Light on purpose (no torch, no transformers): the observe, frontier and report jobs import it."""

from __future__ import annotations

from distilbo.atomic import read_json, require_keys

# The official SQuAD 2.0 metrics a run records (scoring.evaluate computes more: the *_total counts,
# the best_*_thresh thresholds, NoAns_f1, which always equals NoAns_exact, so it is not recorded).
OFFICIAL = ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "best_exact", "best_f1")
# Extraction skill apart from answerability: the best span of every answerable question.
SPAN = ("span_exact", "span_f1")
# Scores in percent, 0 to 100, as the official script gives them (a threshold lies in that range).
PERCENT = OFFICIAL + SPAN
# Facts about the run rather than its answers. latency_ms: measured by the run itself (beside other
# trials' training) unless the study measures deployment variants, whose latency stage replaces it.
# embedding_parameters: the word embeddings' share of num_parameters (what a trimmed vocabulary cuts).
# eval_questions: how many eval questions the scores count (fewer: a rung's fixed sample, not the
# frontier's; distilbo.study.history.frontier_rows).
RUN = ("num_parameters", "embedding_parameters", "latency_ms", "train_seconds", "eval_questions")
# What the deployment stage measures of a variant of a trial (distilbo.deploy.variants): the bytes
# of its weights file and the latency stage's interquartile range beside its latency_ms.
DEPLOY = ("size_mb", "latency_iqr_ms")
# Deployment metrics an objective or the frontier may name only when the study measures variants.
NEEDS_VARIANTS = ("size_mb", "latency_ms")
# The variants of a trained model (distilbo.deploy.onnx): fp32 as trained, int8 by ONNX Runtime. A history
# row's PRECISION names the variant it scores: each searched choice, or the fixed one (the first when
# unset) (distilbo.study.plan.history_precisions).
PRECISION, PRECISIONS = "precision", ("fp32", "int8")
# Every metric a trial records in metrics.json and the history table: the names an objective may use.
TRIAL = OFFICIAL + SPAN + RUN + DEPLOY
# Metrics that are an exact function of a trial's parameters (objective source: computed).
COMPUTED = ("num_parameters",)
# The teacher also records what its reader alone reaches, beside its verifier's scores.
READER = ("reader_best_exact", "reader_best_f1")

# One row per evaluation during training (curve.parquet).
CURVE_METRICS = ("exact", "f1", "HasAns_exact", "NoAns_exact", "span_f1")
# eval_questions: how many questions the point scored (train.eval_subsample for all but the last).
CURVE_COLUMNS = ("step", "epoch", "lr", "loss", "loss_soft", "loss_hard", "eval_questions") + CURVE_METRICS

# The kind of one answer (scoring.error_category), best first.
ERROR_KINDS = ("correct", "mostly_correct", "mostly_wrong", "label_has_answer", "label_has_no_answer")
# One row per eval question (predictions.parquet); reader_na_score only where a verifier decided.
PREDICTION_COLUMNS = ("id", "title", "gold_answers", "prediction", "best_span", "na_score", "category")

# What metrics.json and the history say about how a run ended: the search's words (distilbo.records.labels).
from distilbo.records.labels import STATUS_FAILED as STATUS_FAILED  # noqa: E402
from distilbo.records.labels import STATUS_OK as STATUS_OK  # noqa: E402
from distilbo.records.labels import STATUS_SKIPPED as STATUS_SKIPPED  # noqa: E402

# What a trial's metrics.json holds beside its status: the scores of a run that trained (the
# others of TRIAL can be absent: HasAns_* with no answerable question, variants' sizes), or why not.
REQUIRED = {STATUS_OK: ("exact", "f1", "best_exact", "best_f1", "span_f1", "num_parameters")}
REQUIRED_NOT_OK = ("reason",)


def read_trial_metrics(path) -> dict:
    """A trial's metrics.json, with its status and what that status needs (REQUIRED):
    InputError names the file and the missing keys, never a default."""
    m = read_json(path, required=("status",), what="a trial's metrics")
    require_keys(m, path, REQUIRED.get(m["status"], REQUIRED_NOT_OK),
                 f"a trial's metrics, status {m['status']!r}")
    return m
