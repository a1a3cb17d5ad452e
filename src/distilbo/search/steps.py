"""Training steps as an input of the surrogates in a multi-fidelity (rung) study."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np


@dataclass(frozen=True)
class StepScale:
    """Training steps as a surrogate input: log(steps), scaled to 0 at the first rung (`low` steps)
    and 1 at the top one (`high`). History rows then say their `steps`; suggestions are for the top
    rung, and observed points below it enter the front as the GP's draws at the top."""

    low: float
    high: float

    def encode(self, steps) -> np.ndarray:
        return np.log(np.asarray(steps, dtype=float) / self.low) / np.log(self.high / self.low)


def study_steps(search: Mapping) -> StepScale | None:
    """The step scale of a study's search section (None without search.fidelity: one budget)."""
    steps = (search.get("fidelity") or {}).get("steps")
    return StepScale(steps[0], steps[-1]) if steps else None
