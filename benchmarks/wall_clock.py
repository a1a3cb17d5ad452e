"""A wall-clock simulator: a study of N trials on K devices, its rounds run as today (rounds: each
waits for its slowest trial) and overlapped (search.overlap k: round R suggested once round R-k-1
is observed, rounds R-k to R-1 pending, its trials taking the devices the earlier rounds' fast
trials free): overlap1, rounds of K trials with one more in flight; overlap3_q2, rounds of K/2
with three more in flight (2K trials in flight either way: with K, a round still waits for the
slowest of the one K trials back); q1, rounds of one trial with 2K - 1 in flight (batch_size 1,
overlap 2K - 1: each trial suggested on its own, as SigOpt's workers asked). The _cost modes pick
by expected gain per predicted second (search.cost_aware). Not a test: prints a table and writes
JSON.

    python benchmarks/wall_clock.py [--devices 4,8,20] [--seeds 10] [--problems study,ZDT1-computed,DTLZ2]
                                    [--modes rounds,overlap1,...] [--speed benchmarks/results/step-speed-shapes.json]

A round has K trials, K/2 in overlap3_q2, one in q1. A trial's duration comes
from a cost model fitted to the training steps measured by benchmarks/step_speed.py per layers and heads (seconds per window
= a + b x layers + c x layers x heads, least squares), in units of the 6-layer, 12-head student's
time. Devices take the ready trials in round order, the earliest free first; suggesting takes no
time. The problems: the study-like problem (benchmarks/study_problem.py: the default study's
space, 2-6 layers and 6-12 heads, its span_f1 response and exact sizes) and benchmarks/mobo.py's,
whose first input is mapped to 1-20 layers and the second to 1-12 heads (the reference study's
space): a point that costs more sits elsewhere on the front, as a bigger student does.

The measures, per seed: today's rounds run N trials, and their final hypervolume (of the true
values, as a share of the problem's best) sets the targets; every other mode runs on past N trials
(at most 2N) until its trials reach 95% of it. Then: the wall time until the trials finished by
then reach 90% and 95% of today's final hypervolume; the devices' utilisation (busy time over K x
the wall time); and the hypervolume of the first N trials (equal trial counts). Speed-ups are per
seed against rounds, then the median.
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mobo
import numpy as np
import pandas as pd
import study_problem

from distilbo.search import Objective, SearchSpace, suggest
from distilbo.search.pareto import hypervolume, non_dominated

ROOT = Path(__file__).resolve().parents[1]
SPEED = ROOT / "benchmarks" / "results" / "step-speed-shapes.json"
# mode: (trials in flight per device, search.cost_aware, trials a round per device; 0: one a round)
MODES = {"rounds": (1, False, 1.0), "rounds_cost": (1, True, 1.0), "overlap1": (2, False, 1.0),
         "overlap1_cost": (2, True, 1.0), "overlap3_q2": (2, False, 0.5), "q1": (2, False, 0.0)}


def round_shape(mode: str, devices: int) -> tuple[int, int, bool]:
    """(batch_size, search.overlap, search.cost_aware) of `mode` on `devices`."""
    flight, cost_aware, share = MODES[mode]
    q = max(1, round(share * devices))
    return q, round(flight * devices / q) - 1, cost_aware
TRIALS = {4: 48, 8: 64, 20: 120}  # per device count: 12, 8 and 6 rounds
TARGETS = (0.9, 0.95)


class Duration:
    """A trial's training time from its layers and heads, relative to a 6-layer, 12-head student's."""

    def __init__(self, path: Path = SPEED):
        rows = [r for r in json.loads(Path(path).read_text())["rows"] if r["variant"] == "library"]
        L, H = np.array([r["layers"] for r in rows], float), np.array([r["heads"] for r in rows], float)
        seconds = 1 / np.array([r["windows_per_s"] for r in rows])
        self.coef = np.linalg.lstsq(np.column_stack([np.ones_like(L), L, L * H]), seconds, rcond=None)[0]
        self.rows = rows
        self.unit = self.seconds(np.array([6.0]), np.array([12.0]))[0]

    def seconds(self, L: np.ndarray, H: np.ndarray) -> np.ndarray:
        return self.coef[0] + self.coef[1] * L + self.coef[2] * L * H

    def __call__(self, L: np.ndarray, H: np.ndarray) -> np.ndarray:
        return self.seconds(np.asarray(L, float), np.asarray(H, float)) / self.unit


@dataclass
class SimProblem:
    """What the simulator needs of a problem: distilbo's view of it and its truth."""
    name: str
    space: SearchSpace
    objectives: list[Objective]
    computed: dict
    n_initial: int
    baseline: dict | None
    observe: Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]  # the objectives' observed columns
    hv_share: Callable[[pd.DataFrame], float]  # of the true values, as a share of the best
    shape: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]  # layers, heads


def study_like() -> SimProblem:
    p = study_problem.StudyProblem()

    def observe(t, rng):
        return pd.DataFrame({"span_f1": p.observe(t, rng), "num_parameters": p.size(t)})

    return SimProblem("study", p.space, study_problem.study_objectives(p), {"num_parameters": p.size}, 4, p.baseline,
                      observe, lambda t: p.hypervolume(t) / p.hv_star,
                      lambda t: (t["n_layers"].to_numpy(float), t["n_heads"].to_numpy(float)))


def from_mobo(name: str) -> SimProblem:
    """A problem of benchmarks/mobo.py, as its run_distilbo declares it to distilbo."""
    problem = mobo.PROBLEMS[name]
    names = [f"x{i}" for i in range(problem.dim)]
    space = SearchSpace({n: mobo._distilbo_dimension(problem, j) for j, n in enumerate(names)})

    def unit(t):
        return np.column_stack([mobo._to_unit(problem, j, t[n]) for j, n in enumerate(names)])

    def known_f1(t):
        return problem.evaluate(problem.snap(unit(t)))[:, 0]

    f1 = Objective("f1", "minimize", mobo.REF[0], source="computed" if problem.f1_computed else "observed")
    objectives = [f1, Objective("f2", "minimize", mobo.REF[1])]

    def observe(t, rng):
        F, _ = problem.truth(unit(t))
        return pd.DataFrame({"f1": F[:, 0], "f2": F[:, 1]})

    def hv_share(t):
        F, _ = problem.truth(unit(t))
        F = F[np.all(F < mobo.REF, axis=1)]
        return (hypervolume(F[non_dominated(F)], mobo.REF) if len(F) else 0.0) / problem.hv_star

    def shape(t):
        X = unit(t)
        return 1 + 19 * X[:, 0], 1 + 11 * X[:, 1]

    return SimProblem(name, space, objectives, {"f1": known_f1} if problem.f1_computed else {},
                      2 * problem.dim + 2, None, observe, hv_share, shape)


def simulate(problem: SimProblem, duration: Duration, devices: int, trials: int, seed: int, mode: str,
             until: float | None = None) -> pd.DataFrame:
    """Every trial of one study, in the order suggested: its round, parameters, observed values,
    start and end. `trials` of them; with `until`, more (up to twice as many) until the suggested
    trials' hypervolume share reaches it, and one round after."""
    q, overlap, cost_aware = round_shape(mode, devices)
    rng = np.random.default_rng(seed)
    free = [0.0] * devices  # when each device is next free
    observed_at: list[float] = []  # when each round's observations exist (observe runs in order)
    done: list[pd.DataFrame] = []
    reached = until is None
    for r in range(math.ceil(2 * trials / q)):
        if sum(map(len, done)) >= trials:
            if reached:
                break
            reached = problem.hv_share(pd.concat(done)) >= until  # then one round more
        known = max(r - overlap, 0)  # the rounds observed when this round is suggested
        history = pd.concat(done[:known], ignore_index=True) if known > 0 else None
        pending = pd.concat(done[known:r], ignore_index=True)[problem.space.names] if r > known else None
        at = observed_at[known - 1] if known > 0 else 0.0
        batch = suggest(problem.space, problem.objectives, history, q, seed=seed + r, n_initial=problem.n_initial,
                        baseline=problem.baseline, computed=problem.computed, pending=pending,
                        cost_aware=cost_aware)[problem.space.names]
        batch = pd.concat([batch, problem.observe(batch, rng)], axis=1).assign(status="ok", round=r)
        batch["train_seconds"] = duration(*problem.shape(batch))
        starts, ends = [], []
        for d in batch["train_seconds"]:
            start = max(heapq.heappop(free), at)
            starts.append(start)
            ends.append(start + d)
            heapq.heappush(free, start + d)
        batch = batch.assign(start=starts, end=ends)
        observed_at.append(max([max(ends)] + observed_at[-1:]))
        done.append(batch)
    return pd.concat(done, ignore_index=True)


def measures(problem: SimProblem, study: pd.DataFrame, devices: int, trials: int) -> dict:
    """The hypervolume trace over wall time (every trial simulated), the utilisation, and the
    hypervolume of the first `trials` trials."""
    order = study.sort_values("end", kind="stable")
    trace = [problem.hv_share(order.iloc[: k + 1]) for k in range(len(order))]
    wall = float(order["end"].max())
    return {"times": order["end"].tolist(), "trace": trace, "wall": wall, "trials": len(study),
            "final": problem.hv_share(study.iloc[:trials]),
            "utilisation": float(study["train_seconds"].sum() / (devices * wall))}


def time_to(m: dict, target: float) -> float:
    """When the trace first reaches `target` (inf: never)."""
    hit = [t for t, hv in zip(m["times"], m["trace"]) if hv >= target - 1e-12]
    return hit[0] if hit else math.inf


def run(problem: SimProblem, duration: Duration, devices: int, seeds: int, modes: list[str]) -> list[dict]:
    """Per seed: today's rounds for N trials, whose final hypervolume sets the targets; then each
    other mode, run on until it reaches 95% of it (at most 2N trials)."""
    rows, n = [], TRIALS[devices]
    for seed in range(seeds):
        today = measures(problem, simulate(problem, duration, devices, n, seed, "rounds"), devices, n)
        targets = {f"t{round(100 * f)}": f * today["final"] for f in TARGETS}
        for mode in modes:
            m = today if mode == "rounds" else measures(
                problem, simulate(problem, duration, devices, n, seed, mode, until=max(targets.values())), devices, n)
            row = {"problem": problem.name, "devices": devices, "seed": seed, "mode": mode, "trials": m["trials"],
                   "wall": m["wall"], "utilisation": m["utilisation"], "final": m["final"]}
            row.update({k: time_to(m, v) for k, v in targets.items()})
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def summarize(table: pd.DataFrame) -> str:
    """Per problem, devices and mode: medians of the times, speed-ups against rounds, utilisation,
    and the final hypervolume's mean and standard error."""
    lines = ["problem | devices | mode | t90 | t95 | t95 speed-up | utilisation | HV share at N (mean +- se) | reached 95%"]
    base = table[table["mode"] == "rounds"].set_index(["problem", "devices", "seed"])
    for (problem, devices, mode), g in table.groupby(["problem", "devices", "mode"], sort=False):
        ref = base.loc[[(problem, devices, s) for s in g["seed"]]]
        speed = ref["t95"].to_numpy() / g["t95"].to_numpy()  # 0 where the mode never reached it
        se = g["final"].std(ddof=1) / math.sqrt(len(g)) if len(g) > 1 else float("nan")
        lines.append(f"{problem} | {devices} | {mode} | {g['t90'].median():.2f} | {g['t95'].median():.2f} | "
                     f"{np.median(speed):.2f}x | {g['utilisation'].median():.0%} | "
                     f"{g['final'].mean():.4f} +- {se:.4f} | {np.isfinite(g['t95']).sum()}/{len(g)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="4,8,20")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", default="study,ZDT1-computed,DTLZ2")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--speed", default=str(SPEED))
    parser.add_argument("--out", default="benchmarks/out/wall-clock.json")
    args = parser.parse_args()
    duration = Duration(Path(args.speed))
    print(f"seconds per window = {duration.coef[0]:.4f} + {duration.coef[1]:.4f} x layers + {duration.coef[2]:.5f} "
          f"x layers x heads (fitted to {len(duration.rows)} measurements of {args.speed}); 1 time unit = "
          f"{duration.unit:.4f} s per window (6 layers, 12 heads); a 1-layer 1-head trial is "
          f"{duration(1, 1):.3f}, a 20-layer 12-head one {duration(20, 12):.2f}")
    rows = []
    for name in args.problems.split(","):
        problem = study_like() if name == "study" else from_mobo(name)
        for devices in map(int, args.devices.split(",")):
            rows += run(problem, duration, devices, args.seeds, args.modes.split(","))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    print(summarize(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
