"""A trial's place in a multi-fidelity study (search.fidelity): the record the study's rungs
(distilbo.study.rungs) hand to the trial's training (distilbo.training.trial)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RungPlace:
    """A trial's place in a multi-fidelity study: where it is (round, trial, rung, steps: recorded
    in its metrics), its budget (max_steps, decay_steps), the state it continues (a promotion: its
    parent's), where to keep its own for a later promotion (None at the top rung), and whether it
    scores the fixed eval sample (student.train.eval_subsample) instead of every eval question: a
    rung below the top is a cheap look (search.fidelity.low_rungs)."""

    where: dict
    budget: dict
    resume: str | None = None
    state: str | None = None
    score_sample: bool = False
