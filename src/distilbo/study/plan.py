"""What a study's config makes it run: a round's trials and their rungs (search.fidelity), what
each round's suggestions stand on (search.overlap), whether the deployment stage runs and which
variants enter the history, whether head importance is needed. Plain arithmetic on the config,
read by the rules when the Snakefile is parsed and by the stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from distilbo.records import metrics
from distilbo.records.schema import DECAY_FRACTION, PROMOTE_BY


def measures_variants(cfg: Mapping) -> bool:
    """Whether the study runs the deployment stage (config deploy.measure; auto: when it is needed)."""
    measure = cfg["deploy"]["measure"]
    return measure if isinstance(measure, bool) else bool(variant_needs(cfg))


def variant_needs(cfg: Mapping) -> list[str]:
    """The settings that read deployment variants' measurements."""
    search = cfg["search"]
    needs = [f"search.objectives.{n}" for n in search["objectives"] if n in metrics.NEEDS_VARIANTS]
    needs += [f"frontier.{k}" for k in ("quality", "size") if cfg["frontier"][k] in metrics.NEEDS_VARIANTS]
    needs += [f"search.{where}.{metrics.PRECISION}" for where in ("space", "fixed")
              if metrics.PRECISION in (search.get(where) or {})]
    return needs


def history_precisions(search: Mapping) -> list[str]:
    """The variants of each trial that enter the history (of a study that measures them): every
    choice when precision is searched (both are made and measured anyway, and either may ship),
    else the fixed one (the first variant when unset)."""
    searched = (search["space"].get(metrics.PRECISION) or {}).get("choices")
    return list(searched or [(search.get("fixed") or {}).get(metrics.PRECISION, metrics.PRECISIONS[0])])


def uses_head_importance(search: Mapping) -> bool:
    """Whether a study's trials may keep heads by importance (distilbo.models.heads): head_choice searched,
    or fixed to importance. Unstated, it is StudentShape's default (the seeded draw)."""
    return "head_choice" in search["space"] or (search.get("fixed") or {}).get("head_choice") == "importance"


def slot_rungs(search: Mapping) -> list[int]:
    """The rung each promotion slot of a round trains to (search.fidelity; none without it): the
    slots follow the round's q new trials, rung by rung, e.g. promotions [2, 1] -> [1, 1, 2]."""
    fidelity = search.get("fidelity")
    return [k + 1 for k, n in enumerate(fidelity["promotions"]) for _ in range(n)] if fidelity else []


def trial_rungs(search: Mapping) -> list[int]:
    """The rung of each trial of a round: the q new trials at rung 0, then the promotion slots."""
    return [0] * search["batch_size"] + slot_rungs(search)


def trial_rung(search: Mapping, round_: int, trial: int) -> int:
    """The rung a round's trial trains to: its slot's (trial_rungs), but the baseline (round 0's
    first trial when search.baseline is set) trains straight to the top rung. The DAG keeps it out
    of the promotions' candidates, so that they need not wait for it."""
    if search.get("fidelity") and search.get("baseline") and round_ == 0 and trial == 0:
        return len(search["fidelity"]["steps"]) - 1
    return trial_rungs(search)[trial]


def promote_by(search: Mapping) -> str | None:
    """How a study's promotions rank their candidates (search.fidelity.promote_by; None without rungs)."""
    fidelity = search.get("fidelity")
    return fidelity.get("promote_by", PROMOTE_BY) if fidelity else None


def round_size(search: Mapping) -> int:
    """Trials per round: the q new ones and the promotion slots."""
    return search["batch_size"] + len(slot_rungs(search))


def suggestion_basis(search: Mapping, round_: int) -> tuple[int | None, list[int]]:
    """What round `round_`'s suggestions stand on: the last round whose observations they learn from
    (None: none yet), and the rounds still training, whose suggestions are pending (search.overlap)."""
    k = search.get("overlap") or 0
    observed = round_ - k - 1
    return (observed if observed >= 0 else None), list(range(max(observed + 1, 0), round_))


def rung_training(search: Mapping, rung: int) -> dict:
    """A rung's training settings: its steps, and the decay over the last decay_fraction of them."""
    fidelity = search["fidelity"]
    steps = fidelity["steps"][rung]
    return {"max_steps": steps, "decay_steps": max(1, round(fidelity.get("decay_fraction", DECAY_FRACTION) * steps))}


@dataclass(frozen=True)
class RungStudy:
    """A multi-fidelity study (search.fidelity) as its jobs see it, one typed record as
    distilbo.study.deployment.Deployment is for a study's variants: the search section's batch
    size, rungs and fixed parameters, completed with their defaults (a job's
    distilbo.stages.settings.JobSettings.rungs; distilbo.study.rungs.plan_trial places a trial)."""

    search: Mapping

    def steps(self, rung: int) -> int:
        """The training steps of a rung's trials."""
        return rung_training(self.search, rung)["max_steps"]
