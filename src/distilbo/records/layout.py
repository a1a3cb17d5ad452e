"""The results layout: every path a stage writes, relative to the study's results directory.
The rules build their inputs and outputs from it and the library finds files through it, so a
path pattern (or the trial key "round-R/trial-I") is written here and nowhere else.

Arguments default to Snakemake wildcards ("{r}", "{i}", "{split}"), so a rule can use a pattern
as it is and the library can fill in numbers."""

from __future__ import annotations

import os

SPLITS = ("train", "eval", "transfer")
LOGIT_SPLITS = ("train", "transfer")  # the teacher's soft targets: the windows students train on
# What one training run (the teacher or a trial) writes in its directory.
RUN_FILES = {"model": "model", "metrics": "metrics.json", "curve": "curve.parquet",
             "predictions": "predictions.parquet"}
# A multi-fidelity trial's training state where its decay started, beside its run's files: kept
# for a promotion to continue it, removed by that promotion (distilbo.training.trial.distill_trial).
STATE_FILE = "state.pt"
# What the vocabulary stage writes (student.vocabulary: trimmed), under data/vocabulary/: the teacher
# ids kept (in new-id order), the trimmed tokenizer, the eval windows it makes, and its counts.
VOCABULARY_FILES = {"kept": "kept.parquet", "tokenizer": "tokenizer", "eval_features": "features-eval.parquet",
                    "summary": "summary.json"}
# What the deployment stage writes per trial (its directory "deploy" beside the run's files).
DEPLOY_FILES = {"fp32": "model.onnx", "int8": "model-int8.onnx", "variants": "variants.json"}
# A model directory's weights are one of these files (the first two of a safetensors save, sharded
# or not; the last of an older one).
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def has_weights(model_dir: str | os.PathLike) -> bool:
    """Whether a model directory holds its weights (one of WEIGHT_FILES)."""
    return any(os.path.isfile(os.path.join(model_dir, f)) for f in WEIGHT_FILES)
FRONTIER_FILES = {"frontier": "frontier.parquet", "scenarios": "scenarios.parquet", "models": "models"}
# An exported pick's model card, in its directory (Hugging Face's convention).
MODEL_CARD = "README.md"
REPORT_FIGURES = ("frontier", "hypervolume", "importance", "parallel", "curves", "errors")
REPORT_TABLES = ("trials", "frontier", "scenarios", "hypervolume", "importance", "errors_by_article")
# A figure and a table of that name, in a study that measures deployment variants.
REPORT_DEPLOYMENT = ("deployment",)
# A figure and a table of that name, in a study with rungs (search.fidelity).
REPORT_RUNGS = ("rungs",)


def trial_key(r="{r}", i="{i}") -> str:
    """A trial's name in a study: its directory under search/, and its label in the report."""
    return f"round-{r}/trial-{i}"


class Layout:
    """Paths under one results directory."""

    def __init__(self, root: str | os.PathLike):
        self.root = str(root)

    def _at(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    # data stage
    def questions(self, split="{split}") -> str:
        return self._at("data", f"{split}.parquet")

    def features(self, split="{split}") -> str:
        return self._at("data", f"features-{split}.parquet")

    def vocabulary(self, name: str) -> str:
        """A file of the trimmed vocabulary (VOCABULARY_FILES)."""
        return self._at("data", "vocabulary", VOCABULARY_FILES[name])

    # teacher stage
    def teacher(self, name: str) -> str:
        return self._at("teacher", RUN_FILES[name])

    def teacher_logits(self, split="{split}") -> str:
        return self._at("teacher", f"logits-{split}.parquet")

    def teacher_deploy(self) -> str:
        """The teacher's deployment variants, for reference: a directory of DEPLOY_FILES."""
        return self._at("teacher", "deploy")

    def teacher_latency(self) -> str:
        return self._at("teacher", "latency.parquet")

    def head_importance(self) -> str:
        return self._at("teacher", "head-importance.parquet")

    # search stage
    def suggestions(self, r="{r}") -> str:
        return self._at("search", f"round-{r}", "suggestions.parquet")

    def trial(self, name: str, r="{r}", i="{i}") -> str:
        return self._at("search", trial_key(r, i), RUN_FILES[name])

    def promotions(self, r="{r}", rung="{rung}") -> str:
        """The promotions table of a round's slots that train to `rung` (distilbo.study.rungs)."""
        return self._at("search", f"round-{r}", f"promotions-rung-{rung}.parquet")

    def deploy(self, r="{r}", i="{i}") -> str:
        """A trial's deployment variants: a directory of DEPLOY_FILES."""
        return self._at("search", trial_key(r, i), "deploy")

    def latency(self, r="{r}") -> str:
        return self._at("search", f"round-{r}", "latency.parquet")

    def observations(self, r="{r}") -> str:
        return self._at("search", f"round-{r}", "observations.parquet")

    def retained(self, r="{r}") -> str:
        """Which trials' weights the study keeps after round r (distilbo.study.retention)."""
        return self._at("search", f"round-{r}", "retained.json")

    # frontier and report stages
    def frontier(self, name: str) -> str:
        return self._at("frontier", FRONTIER_FILES[name])

    def computed_importance(self) -> str:
        """Each computed metric's parameter importance, from its formula (read by the report)."""
        return self._at("search", "computed-importance.parquet")

    def report_page(self) -> str:
        return self._at("report", "index.html")

    def report_figure(self, name: str) -> str:
        return self._at("report", "figures", f"{name}.png")

    def report_table(self, name: str) -> str:
        return self._at("report", "tables", f"{name}.csv")

    # progress while a study runs (distilbo.report.progress)
    def progress_page(self, r="{r}") -> str:
        return self._at("progress", f"round-{r}", "index.html")

    def progress_latest(self) -> str:
        """A copy of the latest round's page, which reloads itself: the page to keep open."""
        return self._at("progress", "index.html")

    # bookkeeping
    def log(self, job: str) -> str:
        return self._at("logs", f"{job}.log")

    def benchmark(self, job: str) -> str:
        return self._at("benchmarks", f"{job}.tsv")
