"""What a trial takes: the shape of its student (StudentShape) and its training settings
(TRAIN_PARAMS), and the deployment variant it is suggested as. Plain data, so that a study's
start-up checks read it without loading torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from distilbo.study.metrics import PRECISION


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


# Trial parameters that are training settings (the rest describe the student's shape).
TRAIN_PARAMS = ("alpha_ce", "temperature", "alpha_hidden", "hidden_layers", "learning_rate", "warmup_steps",
                "weight_decay", "adam_epsilon", "batch_size", "max_steps", "epochs", "seed")
# Every parameter a trial takes: training settings, the student's shape, the deployment variant.
TRIAL_PARAMS = TRAIN_PARAMS + tuple(StudentShape.__dataclass_fields__) + (PRECISION,)
