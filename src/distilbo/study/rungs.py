"""Promotions between the rungs of a multi-fidelity study (config search.fidelity): which trials
measured at rung k go on to rung k+1.

Two rules (search.fidelity.promote_by). `rung`, as MOASHA does with several objectives:
non-dominated sorting of the trials measured at the rung (every round so far), ties inside a front
broken by each point's own share of the front's hypervolume; trials below an objective's threshold
only after every one above it. `top_gain` (the default): the hypervolume each candidate is
expected to add to the front measured at the top rung, by the surrogates that see every
measurement and its steps (distilbo.search.fidelity.promotion_gains), the best at the rung first
where none is expected to add any: what a trial shows after few steps is not what it becomes
(benchmarks/README.md, "Rungs"). Either way failed trials and trials that miss a constraint are
never promoted, and a trial is promoted from a rung once.

A promotions table has one row per slot: the slot's trial number in its round, the rung it trains
to and its steps, the measurement it continues (parent_round, parent_trial), and that trial's
parameters; origin "promotion", or "none" when nothing was worth promoting (the slot then trains
nothing and adds no row to the history)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from distilbo.atomic import plain, write_parquet
from distilbo.records.labels import ORIGIN_BASELINE, ORIGIN_NO_PROMOTION, ORIGIN_PROMOTION
from distilbo.records.layout import STATE_FILE
from distilbo.records.metrics import STATUS_OK, STATUS_SKIPPED, read_trial_metrics
from distilbo.records.rungs import RungPlace
from distilbo.records.schema import LOW_RUNGS, defaults
from distilbo.search.acquisition import choose as choose_acquisition
from distilbo.search.fidelity import promotion_gains
from distilbo.search.objectives import Objective, feasible, objective_matrix
from distilbo.search.pareto import hypervolume, reference_point
from distilbo.search.space import SearchSpace
from distilbo.search.steps import StepScale
from distilbo.study.history import FIDELITY_COLUMNS, trial_params
from distilbo.study.plan import rung_training, trial_rungs

log = logging.getLogger(__name__)


def ranked(candidates: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """The successful candidates that meet every constraint, best first: those that meet the
    objectives' thresholds too, then the rest (a threshold is the top rung's target: a trial
    below it after a few steps may pass it after more, but it waits for the ones already past
    it). Within each group: by non-dominated front, then by hypervolume contribution inside a
    front (a point no other covers counts more than a crowded one)."""
    ok = candidates[feasible(candidates, [o for o in objectives if not o.optimize])]
    meets = feasible(ok, objectives)
    targets_off = [replace(o, threshold=None) if o.optimize else o for o in objectives]
    return pd.concat([_by_front(ok[meets], objectives), _by_front(ok[~meets], targets_off)])


def _by_front(ok: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    if not len(ok):
        return ok
    F = objective_matrix(ok, objectives)
    ref = reference_point(ok, objectives)
    order = []
    for front in NonDominatedSorting().do(F):
        total = hypervolume(F[front], ref)
        share = [total - hypervolume(np.delete(F[front], j, axis=0), ref) for j in range(len(front))]
        order += [front[j] for j in np.argsort(share, kind="stable")[::-1]]
    return ok.iloc[order]


def choose(candidates: pd.DataFrame, objectives: list[Objective], n: int, promoted: set[tuple[int, int]],
           gains: GainInputs | None = None) -> pd.DataFrame:
    """The n best candidates (rows with round, trial and the objectives) not promoted before: by
    their ranking at their own rung, or with `gains` by the hypervolume each is expected to add at
    the top rung (the ranking then orders those expected to add nothing)."""
    best = ranked(candidates, objectives)
    fresh = best[[(int(r), int(i)) not in promoted for r, i in zip(best["round"], best["trial"])]]
    if gains is None or not len(fresh) or gains.history["status"].eq(STATUS_OK).sum() < 2:  # no surrogate yet
        return fresh.head(n)
    kind = choose_acquisition(gains.acquisition, gains.history, objectives)  # the round's, as its suggestions
    picks, _ = promotion_gains(gains.space, objectives, gains.history, fresh, n, gains.steps, kind, gains.seed)
    return fresh.iloc[picks]


@dataclass(frozen=True)
class GainInputs:
    """What ranking promotions by expected top-rung improvement needs: the study's space, its
    history (every measurement so far, with steps), the step scale of its surrogates and the
    study's search.acquisition (promotions rank by the acquisition its suggestions use)."""

    space: SearchSpace
    history: pd.DataFrame
    steps: StepScale
    seed: int = 0
    acquisition: str = field(default_factory=lambda: defaults("search")["acquisition"])


def measured(metrics_paths: Sequence[str]) -> pd.DataFrame:
    """One row per run from its metrics.json: round, trial, status, parameters and metrics."""
    rows = []
    for path in metrics_paths:
        m = read_trial_metrics(path)
        if m.get("status") == STATUS_SKIPPED:
            continue
        if "params" not in m or "round" not in m:
            raise ValueError(f"{path}: no 'params' or 'round': not the metrics of a trial of a rung study")
        rows.append({**{k: v for k, v in m.items() if k != "params"}, "params": m["params"],
                     "resume": str(Path(path).with_name(STATE_FILE))})
    return pd.DataFrame(rows)


def measurements(metrics_paths: Sequence[str], space: SearchSpace) -> pd.DataFrame:
    """The history GainInputs needs, from metrics.json files: one row per measurement with its
    parameters in the space's columns, its status, steps and metrics."""
    table = measured(metrics_paths)
    if not len(table):
        return pd.DataFrame(columns=[*space.names, "status", "steps"])
    params = pd.DataFrame([{n: p.get(n) for n in space.names} for p in table["params"]], index=table.index)
    return pd.concat([table.drop(columns=["params", *[n for n in space.names if n in table]]), params], axis=1)


def promoted_before(tables: Sequence[str]) -> set[tuple[int, int]]:
    """The measurements that earlier promotions tables (of the same rung) continued."""
    done = set()
    for path in tables:
        t = pd.read_parquet(path)
        t = t[t["origin"].eq(ORIGIN_PROMOTION)]
        done |= {(int(r), int(i)) for r, i in zip(t["parent_round"], t["parent_trial"])}
    return done


def promote(objectives: list[Objective], candidates_metrics: Sequence[str], earlier: Sequence[str], round_: int,
            rung: int, steps: int, slots: Sequence[int], out: str, gains: GainInputs | None = None) -> pd.DataFrame:
    """The promotions table of one round and rung: `candidates_metrics` are the metrics.json of every
    measurement at rung - 1 so far, `earlier` the promotions tables of this rung in earlier rounds;
    `gains`: rank by expected top-rung improvement (search.fidelity.promote_by top_gain)."""
    candidates = measured(candidates_metrics)
    if "rung" in candidates:  # the slots of rung - 1, less the baseline (trained to the top)
        candidates = candidates[candidates["rung"].eq(rung - 1)]
    picks = choose(candidates, objectives, len(slots), promoted_before(earlier), gains) if len(candidates) else candidates
    rows = []
    for j, slot in enumerate(slots):
        row = {"round": round_, "trial": slot, "rung": rung, "steps": steps}
        if j < len(picks):
            p = picks.iloc[j]
            row.update(origin=ORIGIN_PROMOTION, parent_round=int(p["round"]), parent_trial=int(p["trial"]),
                       resume=p["resume"], **p["params"])
        else:
            row.update(origin=ORIGIN_NO_PROMOTION, parent_round=-1, parent_trial=-1, resume="")
        rows.append(row)
    table = pd.DataFrame(rows)
    # an empty slot leaves its parameters NaN: integer ones stay integers (n_layers 2, not 2.0)
    ints = {k for p in (picks["params"] if len(picks) else []) for k, v in p.items() if isinstance(v, int)}
    table = table.astype({k: "Int64" for k in ints if k in table})
    write_parquet(table, out)
    log.info("round %d, rung %d: %d of %d slot(s) promote (%d candidates, %d feasible)\n%s", round_, rung, len(picks),
             len(slots), len(candidates), int(feasible(candidates, objectives).sum()) if len(candidates) else 0,
             table[["trial", "origin", "parent_round", "parent_trial"]].to_string(index=False))
    return table


def slot_params(table_path: str, trial: int, fixed: Mapping) -> dict | None:
    """A promotion slot's parameters (its parent's), or None when the slot promotes nothing."""
    table = pd.read_parquet(table_path)
    row = table[table["trial"].eq(trial)]
    if not len(row):
        raise IndexError(f"{table_path}: no slot for trial {trial} (slots: {table['trial'].tolist()})")
    row = row.iloc[0]
    if row["origin"] != ORIGIN_PROMOTION:
        return None
    skip = {"round", "trial", "origin", "resume", *FIDELITY_COLUMNS}
    params = {k: plain(v) for k, v in row.items()
              if k not in skip and not (np.ndim(v) == 0 and pd.isna(v))}
    return {**dict(fixed), **params}


def plan_trial(search: Mapping, round_: int, trial: int, out_metrics: str, suggestions: str,
               promotions: str | None) -> tuple[dict | None, RungPlace]:
    """A trial's parameters (None: a slot with nothing to promote) and its RungPlace. The baseline
    trains straight to the top rung: the frontier's students are measured against it as trained."""
    slot_rung = trial_rungs(search)[trial]
    fixed = search.get("fixed") or {}
    where = {"round": round_, "trial": trial}
    if slot_rung == 0:
        top = len(search["fidelity"]["steps"]) - 1
        params = trial_params(suggestions, trial, fixed)
        return params, rung_place(search, top if is_baseline(suggestions, trial) else 0, where, out_metrics)
    params = slot_params(promotions, trial, fixed)
    if params is None:
        return None, rung_place(search, slot_rung, where)
    row = pd.read_parquet(promotions).set_index("trial").loc[trial]
    where.update(parent_round=int(row["parent_round"]), parent_trial=int(row["parent_trial"]))
    return params, replace(rung_place(search, slot_rung, where, out_metrics), resume=row["resume"])


def rung_place(search: Mapping, rung: int, where: dict, out_metrics: str | None = None) -> RungPlace:
    """A trial's RungPlace at `rung`: its budget; its own state kept beside its metrics file
    `out_metrics` unless it is at the top rung; the eval sample scored below the top rung
    (search.fidelity.low_rungs)."""
    fidelity = search["fidelity"]
    top = len(fidelity["steps"]) - 1
    budget = rung_training(search, rung)
    keep = str(Path(out_metrics).with_name(STATE_FILE)) if out_metrics and rung < top else None
    sample = rung < top and fidelity.get("low_rungs", LOW_RUNGS) == "sample"
    return RungPlace({**where, "rung": rung, "steps": budget["max_steps"]}, budget, None, keep, sample)


def is_baseline(suggestions: str, trial: int) -> bool:
    """Whether a round's trial is the baseline configuration (search.baseline)."""
    table = pd.read_parquet(suggestions)
    return "origin" in table and trial < len(table) and table["origin"].iloc[trial] == ORIGIN_BASELINE
