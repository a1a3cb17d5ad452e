"""What a trial takes: the shape of its student (StudentShape), the training settings it may set
(TRAIN_PARAMS), the deployment variant it is suggested as, and the values each can take
(PARAM_RANGES). One table per kind, so that the names and their ranges are written once. Plain
data, so that a study's start-up checks read it without loading torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple

from distilbo.records.metrics import PRECISION


class Range(NamedTuple):
    """The values a numeric parameter can take: low and high (None: unbounded), and whether each
    end is allowed."""

    low: float
    high: float | None = None
    low_ok: bool = True
    high_ok: bool = False


@dataclass(frozen=True)
class StudentShape:
    n_layers: int
    n_heads: int
    pruning_seed: int = 0
    dropout: float = 0.1
    attention_dropout: float = 0.1
    qa_dropout: float = 0.1
    layer_choice: str = "even"
    head_choice: str = "random"

    @classmethod
    def from_params(cls, params: Mapping) -> "StudentShape":
        return cls(**{k: params[k] for k in cls.__dataclass_fields__ if k in params})


ABOVE_ZERO, AT_LEAST_ZERO, AT_LEAST_ONE = Range(0, low_ok=False), Range(0), Range(1)
FRACTION = Range(0, 1, True, False)  # a dropout probability: [0, 1)
# The training settings (distilbo.training.loop.TrainConfig) a trial may set, each with its range
# (None: any value its type takes).
TRAIN_RANGES: dict[str, Range | None] = {
    "alpha_ce": Range(0, 1, True, True), "temperature": ABOVE_ZERO, "alpha_hidden": AT_LEAST_ZERO,
    "hidden_layers": None, "learning_rate": ABOVE_ZERO, "warmup_steps": AT_LEAST_ZERO,
    "weight_decay": AT_LEAST_ZERO, "adam_epsilon": ABOVE_ZERO, "batch_size": AT_LEAST_ONE,
    "max_steps": AT_LEAST_ONE, "epochs": ABOVE_ZERO, "seed": None,
}
# The numeric fields of StudentShape, with their ranges.
SHAPE_RANGES: dict[str, Range] = {
    "n_layers": AT_LEAST_ONE, "n_heads": AT_LEAST_ONE,
    "dropout": FRACTION, "attention_dropout": FRACTION, "qa_dropout": FRACTION,
}
# Trial parameters that are training settings (the rest describe the student's shape).
TRAIN_PARAMS = tuple(TRAIN_RANGES)
# Every parameter a trial takes: training settings, the student's shape, the deployment variant.
TRIAL_PARAMS = TRAIN_PARAMS + tuple(StudentShape.__dataclass_fields__) + (PRECISION,)
# The values a numeric trial parameter can take (distilbo.study.config.check_params).
PARAM_RANGES: dict[str, Range] = {k: r for k, r in {**TRAIN_RANGES, **SHAPE_RANGES}.items() if r is not None}
