"""Multi-fidelity benchmark: distilbo with rungs (search.fidelity) against distilbo at the top rung
only, random search with the same successive halving, and Syne Tune's MOASHA, at equal cost.
Not a test: prints a table and writes JSON.

    python benchmarks/mobo_fidelity.py [--seeds 5] [--methods ...] [--problems ...]

Problems: two objectives on [0,1]^d whose observed values improve with training steps s along
learning curves, f(x, s) = f*(x) + c(x) ((s/40)^-a(x) - (360/40)^-a(x)) (+ noise), so the top rung
(360 steps) observes f* itself; c and a depend on x, so the order of configurations at 40 steps
is not their order at 360. The second objective learns (quality), the first does not (size).
Cost = training steps: a new trial at a rung costs its steps, a promotion the steps from where its
parent's decay started (decay_fraction 0.2, as the workflow). Metric: log10(HV* - HV) of the true
values f* of the configurations each method trained to the top rung (what it could ship), at
quarters of a budget of 40 top-rung trainings (14,400 steps); 5 seeds; mean and standard error.
Rungs [40, 120, 360], q = 4 new trials a round, promotions [2, 1] (the workflow's scheme), by
expected top-rung gain (distilbo_rungs, the workflow's default) or by the rung's own ranking
(distilbo_rungs_by_rung, promote_by: rung; random_rungs promotes that way too).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from mobo import c2_violation, dtlz2  # the single-fidelity benchmark's problems (benchmarks/ is on the path)

from distilbo.records.schema import PROMOTE_BY
from distilbo.search import Objective, SearchSpace, suggest
from distilbo.search.pareto import hypervolume
from distilbo.search.steps import StepScale
from distilbo.study.rungs import GainInputs, choose

STEPS = (40, 120, 360)
PROMOTIONS = (2, 1)
Q = 4
DECAY = 0.2
BUDGET = 40 * STEPS[-1]
CHECKPOINTS = (0.25, 0.5, 0.75, 1.0)
REF = np.array([1.1, 1.1])


@dataclass
class Problem:
    name: str
    dim: int
    c: Callable[[np.ndarray], np.ndarray]  # the learning curve's scale at x
    a: Callable[[np.ndarray], np.ndarray]  # its rate at x
    noise_sd: float = 0.0
    constrained: bool = False
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def truth(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        F = dtlz2(X)
        return F, c2_violation(F) if self.constrained else np.full(len(F), -1.0)

    def observe(self, X: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The objectives at `steps`; the constraint is the configuration's (as a size or latency
        budget would be), whatever the steps."""
        F, c = self.truth(X)
        a = self.a(X)
        F[:, 1] += self.c(X) * ((steps / STEPS[0]) ** -a - (STEPS[-1] / STEPS[0]) ** -a)
        F += self.rng.normal(0, self.noise_sd, F.shape) if self.noise_sd else 0.0
        return F, c


def _hv_star(constrained: bool) -> float:
    t = np.linspace(0, np.pi / 2, 20001)
    F = np.column_stack([np.cos(t), np.sin(t)])
    return hypervolume(F[c2_violation(F) <= 0] if constrained else F, REF)


PROBLEMS = {
    # learners that differ in how far they are from their end (c) and how fast they get there (a)
    "MF-DTLZ2": Problem("MF-DTLZ2", 4, c=lambda X: 0.8 * (0.25 + X[:, 3]), a=lambda X: 0.5 + X[:, 2], noise_sd=0.01),
    # slow learners: at 40 steps the order says little about the order at 360
    "MF-DTLZ2-slow": Problem("MF-DTLZ2-slow", 4, c=lambda X: 1.5 * (0.25 + X[:, 3]), a=lambda X: 0.25 + 0.5 * X[:, 2],
                             noise_sd=0.01),
    "MF-C2-DTLZ2": Problem("MF-C2-DTLZ2", 4, c=lambda X: 0.8 * (0.25 + X[:, 3]), a=lambda X: 0.5 + X[:, 2],
                           noise_sd=0.01, constrained=True),
}


def _space(problem: Problem) -> SearchSpace:
    return SearchSpace({f"x{i}": {"type": "real", "low": 0.0, "high": 1.0} for i in range(problem.dim)})


def _objectives(problem: Problem) -> list[Objective]:
    objectives = [Objective("f1", "minimize", REF[0]), Objective("f2", "minimize", REF[1])]
    if problem.constrained:
        objectives.append(Objective("c", "minimize", threshold=0.0, optimize=False))
    return objectives


class Study:
    """The rows a method measured: parameters, observed f1, f2, c, the steps, and the cost so far."""

    def __init__(self, problem: Problem):
        self.problem, self.rows, self.cost = problem, [], 0

    def measure(self, X: np.ndarray, steps: int, paid: int, parents=None, round_=0) -> None:
        F, c = self.problem.observe(X, steps)
        for j, x in enumerate(X):
            self.cost += paid
            parent = parents[j] if parents is not None else (-1, -1)
            self.rows.append({**{f"x{i}": v for i, v in enumerate(x)}, "f1": F[j, 0], "f2": F[j, 1], "c": c[j],
                              "status": "ok", "steps": steps, "rung": STEPS.index(steps), "round": round_,
                              "trial": len(self.rows), "parent_round": parent[0], "parent_trial": parent[1],
                              "cost": self.cost})

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _promote(study: Study, objectives, round_: int, rule: str = "rung") -> None:
    """The workflow's promotions: per rung, the best measurements of the rung below, once each, by
    `rule`, a search.fidelity.promote_by: rung (their ranking at that rung) or top_gain (the
    hypervolume each is expected to add at the top rung)."""
    scale = StepScale(STEPS[0], STEPS[-1])
    for k, n in enumerate(PROMOTIONS, start=1):
        table = study.table()
        below = table[table["rung"].eq(k - 1)]
        done = set(zip(table.loc[table["rung"].eq(k), "parent_round"], table.loc[table["rung"].eq(k), "parent_trial"]))
        gains = GainInputs(_space(study.problem), table, scale, round_) if rule == "top_gain" else None
        picks = choose(below, objectives, n, done, gains)
        if len(picks):
            paid = STEPS[k] - (STEPS[k - 1] - round(DECAY * STEPS[k - 1]))
            X = picks[[f"x{i}" for i in range(study.problem.dim)]].to_numpy()
            study.measure(X, STEPS[k], paid, list(zip(picks["round"], picks["trial"])), round_)


def run_rungs(problem: Problem, seed: int, propose: Callable, rule: str = "rung") -> pd.DataFrame:
    study, objectives, round_ = Study(problem), _objectives(problem), 0
    while study.cost < BUDGET:
        X = propose(study, objectives, round_)
        study.measure(X, STEPS[0], STEPS[0], round_=round_)
        _promote(study, objectives, round_, rule)
        round_ += 1
    return study.table()


def distilbo_rungs(problem: Problem, seed: int, rule: str = PROMOTE_BY) -> pd.DataFrame:
    space = _space(problem)

    def propose(study, objectives, round_):
        history = study.table() if study.rows else None
        table = suggest(space, objectives, history, Q, seed=seed + round_, n_initial=2 * problem.dim + 2,
                        steps=StepScale(STEPS[0], STEPS[-1]))
        return space.encode(table)

    return run_rungs(problem, seed, propose, rule)


def random_rungs(problem: Problem, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return run_rungs(problem, seed, lambda study, objectives, round_: rng.random((Q, problem.dim)))


def distilbo_single(problem: Problem, seed: int) -> pd.DataFrame:
    space, objectives, study, round_ = _space(problem), _objectives(problem), Study(problem), 0
    while study.cost < BUDGET:
        history = study.table().drop(columns=["steps"]) if study.rows else None
        table = suggest(space, objectives, history, Q, seed=seed + round_, n_initial=2 * problem.dim + 2)
        study.measure(space.encode(table), STEPS[-1], STEPS[-1], round_=round_)
        round_ += 1
    return study.table()


def moasha(problem: Problem, seed: int) -> pd.DataFrame:
    """Syne Tune's MOASHA (random proposals, multi-objective asynchronous successive halving at the
    same rungs, reduction factor 3), driven synchronously: q trials at a time, each reporting at
    every rung until MOASHA stops it."""
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.scheduler import SchedulerDecision
    from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA

    np.random.seed(seed)  # MOASHA draws configurations and brackets from numpy's global generator
    config_space = {f"x{i}": uniform(0.0, 1.0) for i in range(problem.dim)}
    scheduler = MOASHA(config_space, metrics=["f1", "f2"], do_minimize=True, time_attr="epochs",
                       max_t=STEPS[-1], grace_period=STEPS[0], reduction_factor=3, random_seed=seed)
    study, trial_id = Study(problem), 0
    while study.cost < BUDGET:
        running = []
        for _ in range(Q):
            suggestion = scheduler.suggest()
            trial = Trial(trial_id=trial_id, config=suggestion.config, creation_time=None)
            scheduler.on_trial_add(trial)
            running.append(trial)
            trial_id += 1
        for trial in running:
            x = np.array([[trial.config[f"x{i}"] for i in range(problem.dim)]])
            previous = 0
            for k, steps in enumerate(STEPS):
                paid = steps - previous  # asynchronous SH keeps the run going: no decay to redo
                study.measure(x, steps, paid, round_=trial.trial_id)
                F = study.rows[-1]
                result = {"f1": F["f1"], "f2": F["f2"] + (1e3 if F["c"] > 0 else 0.0), "epochs": steps}
                decision = scheduler.on_trial_result(trial, result)
                previous = steps
                if decision != SchedulerDecision.CONTINUE or study.cost >= BUDGET:
                    break
    return study.table()


METHODS = {"distilbo_rungs": distilbo_rungs,
           "distilbo_rungs_by_rung": lambda problem, seed: distilbo_rungs(problem, seed, rule="rung"),
           "distilbo_single": distilbo_single, "random_rungs": random_rungs, "moasha": moasha}


def gaps(problem: Problem, table: pd.DataFrame) -> dict:
    """log10 HV gap of the true values of the configurations trained to the top rung, by cost."""
    hv_star = _hv_star(problem.constrained)
    out = {}
    for share in CHECKPOINTS:
        top = table[table["steps"].eq(STEPS[-1]) & table["cost"].le(share * BUDGET)]
        X = top[[f"x{i}" for i in range(problem.dim)]].to_numpy()
        F, c = problem.truth(X) if len(top) else (np.empty((0, 2)), np.empty(0))
        hv = hypervolume(F[c <= 0], REF) if len(F) else 0.0
        out[f"gap@{share:.2f}"] = math.log10(max(hv_star - hv, 1e-12))
    return out


def cost_to_reach(problem: Problem, table: pd.DataFrame, target_gap: float) -> float:
    """The cost (share of the budget) at which the top-rung configurations first reach target_gap."""
    hv_star = _hv_star(problem.constrained)
    top = table[table["steps"].eq(STEPS[-1])]
    X = top[[f"x{i}" for i in range(problem.dim)]].to_numpy()
    for n in range(1, len(top) + 1):
        F, c = problem.truth(X[:n])
        hv = hypervolume(F[c <= 0], REF) if (c <= 0).any() else 0.0
        if math.log10(max(hv_star - hv, 1e-12)) <= target_gap:
            return float(top["cost"].iloc[n - 1]) / BUDGET
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--out", default="benchmarks/out/mobo-fidelity.json")
    args = parser.parse_args()
    rows, tables = [], {}
    for pname in args.problems.split(","):
        problem = PROBLEMS[pname]
        for method in args.methods.split(","):
            for seed in range(args.seeds):
                problem.rng = np.random.default_rng(10_000 + seed)  # the same noise stream for every method
                start = time.perf_counter()
                try:
                    table = METHODS[method](problem, seed)
                except ImportError as err:
                    print(f"skipped {method}: {err}")
                    break
                tables[pname, method, seed] = table
                rows.append({"problem": pname, "method": method, "seed": seed,
                             "seconds": time.perf_counter() - start, "top_rung_trials": int(table["steps"].eq(STEPS[-1]).sum()),
                             "trials": int(table["rung"].eq(0).sum()), **gaps(problem, table)})
                print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    for (pname, method, seed), table in tables.items():
        if method == "distilbo_rungs":
            single = frame[(frame["problem"] == pname) & (frame["method"] == "distilbo_single")]
            if len(single):
                target = single["gap@1.00"].mean()
                frame.loc[(frame["problem"] == pname) & (frame["method"] == method) & (frame["seed"] == seed),
                          "cost_to_single_final"] = cost_to_reach(PROBLEMS[pname], table, target)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(frame.to_json(orient="records", indent=1))
    print(summarize(frame))


def summarize(table: pd.DataFrame) -> str:
    cols = [c for c in table if c.startswith("gap@")] + ["top_rung_trials", "trials", "seconds"]
    g = table.groupby(["problem", "method"])[cols]
    mean, se = g.mean(), g.std(ddof=1) / np.sqrt(g.count())
    out = mean.copy().astype(object)
    for c in cols:
        out[c] = [f"{m:.2f} ± {s:.2f}" if c.startswith("gap@") else f"{m:.1f}" for m, s in zip(mean[c], se[c])]
    lines = ["log10 HV gap of the top-rung configurations' true values at shares of the budget "
             f"({BUDGET:,} steps), mean ± standard error over seeds", out.to_string()]
    if "cost_to_single_final" in table:
        reach = table.dropna(subset=["cost_to_single_final"]).groupby("problem")["cost_to_single_final"]
        never = table[table["method"].eq("distilbo_rungs")].groupby("problem")["cost_to_single_final"].apply(
            lambda s: int(s.isna().sum()))
        lines.append("goal: distilbo_rungs reaches distilbo_single's final gap (its mean) at <= 1/2 of the budget")
        for p in never.index:
            shares = reach.get_group(p) if p in reach.groups else pd.Series(dtype=float)
            lines.append(f"  {p:14s} median share {shares.median():.2f} over {len(shares)} seeds that reach it; "
                         f"{never[p]} never do")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
