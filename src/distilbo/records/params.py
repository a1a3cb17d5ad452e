"""What a trial takes: the shape of its student (StudentShape), the training settings it may set
(TRAIN_PARAMS), the deployment variant it is suggested as, and the values each can take
(PARAM_RANGES). One table per kind, so that the names and their ranges are written once. Plain
data, so that a study's start-up checks read it without loading torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple

from distilbo.records import schema
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


FRACTION = Range(0, 1, True, False)  # a dropout probability: [0, 1)
AT_LEAST_ONE = Range(1)
# The training settings a trial may set (the others are the study's: student.train). Their types,
# ranges and defaults are the schema's $defs/train, the one table of training settings
# (distilbo.training.loop.TrainConfig has exactly its fields).
TRAIN_PARAMS = ("alpha_ce", "temperature", "alpha_hidden", "hidden_layers", "learning_rate", "warmup_steps",
                "weight_decay", "adam_epsilon", "batch_size", "max_steps", "epochs", "seed")


def schema_range(prop: Mapping) -> Range | None:
    """A schema property's numeric bounds as a Range (None: it states none, e.g. an enum)."""
    if not {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} & set(prop):
        return None
    low = prop.get("minimum", prop.get("exclusiveMinimum", float("-inf")))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    return Range(low, high, "minimum" in prop, "maximum" in prop)


TRAIN_RANGES: dict[str, Range | None] = {
    k: schema_range(schema.section("$defs", "train")["properties"][k]) for k in TRAIN_PARAMS}
# The numeric fields of StudentShape, with their ranges.
SHAPE_RANGES: dict[str, Range] = {
    "n_layers": AT_LEAST_ONE, "n_heads": AT_LEAST_ONE,
    "dropout": FRACTION, "attention_dropout": FRACTION, "qa_dropout": FRACTION,
}
# Every parameter a trial takes: training settings, the student's shape, the deployment variant.
TRIAL_PARAMS = TRAIN_PARAMS + tuple(StudentShape.__dataclass_fields__) + (PRECISION,)
# The values a numeric trial parameter can take (distilbo.study.config.check_params).
PARAM_RANGES: dict[str, Range] = {k: r for k, r in {**TRAIN_RANGES, **SHAPE_RANGES}.items() if r is not None}
