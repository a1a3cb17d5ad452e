"""A trial's place in a multi-fidelity study (search.fidelity): the record the study's rungs
(distilbo.study.rungs) hand to the trial's training (distilbo.training.trial)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RungPlace:
    """A trial's place in a multi-fidelity study: where it is (round, trial, rung, steps: recorded
    in its metrics), its budget (max_steps, decay_steps), the state it continues (a promotion: its
    parent's) and where to keep its own for a later promotion (None at the top rung)."""

    where: dict
    budget: dict
    resume: str | None = None
    state: str | None = None
