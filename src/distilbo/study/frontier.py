"""The study's result: the Pareto set of feasible trials, the scenario picks against the baseline
(as the reference study's Table 1), and the picked models exported (distilbo.study.export)."""

from __future__ import annotations

import logging
from typing import Mapping

import pandas as pd

from distilbo.atomic import atomic_path, write_parquet
from distilbo.records.layout import trial_key
from distilbo.search.objectives import Objective, feasible
from distilbo.search.pareto import pareto_front
from distilbo.study.card import CardSettings
from distilbo.study.deployment import Deployment
from distilbo.study.history import baseline_row, frontier_rows
from distilbo.study.retention import require_kept

log = logging.getLogger(__name__)

SCENARIOS = {
    "retain_size_maximize_quality": "the best quality at the baseline's size or less (within size_tolerance)",
    "minimize_size_maximize_quality": "the best quality among trials smaller than the baseline and at least as good",
    "minimize_size_retain_quality": "the smallest trial within quality_tolerance of the baseline's quality",
}


def pick_scenarios(history: pd.DataFrame, objectives: list[Objective], quality: str, size: str,
                   size_tolerance: float, quality_tolerance: float) -> pd.DataFrame:
    """One row per scenario: the picked trial and its differences against the baseline."""
    base = baseline_row(history)
    if base is None:
        log.warning("no successful baseline trial: the scenarios, which compare against it, are left empty")
        return pd.DataFrame([{"scenario": name, "definition": d, "found": False} for name, d in SCENARIOS.items()])
    ok = history[feasible(history, objectives)]
    b_size, b_q = float(base[size]), float(base[quality])
    candidates = {
        "retain_size_maximize_quality": ok[ok[size] <= b_size * (1 + size_tolerance)],
        "minimize_size_maximize_quality": ok[(ok[size] < b_size) & (ok[quality] >= b_q)],
        "minimize_size_retain_quality": ok[ok[quality] >= b_q - quality_tolerance],
    }
    rows = []
    for name, c in candidates.items():
        order = ([quality, size], [False, True]) if name != "minimize_size_retain_quality" else ([size, quality], [True, False])
        pick = c.sort_values(order[0], ascending=order[1], kind="stable").head(1)
        row = {"scenario": name, "definition": SCENARIOS[name], "found": len(pick) == 1}
        if len(pick):
            p = pick.iloc[0]
            row.update(p.to_dict())
            row["size_vs_baseline_pct"] = 100 * (float(p[size]) - b_size) / b_size
            row["quality_vs_baseline"] = float(p[quality]) - b_q
        rows.append(row)
    baseline = {"scenario": "baseline", "definition": "the baseline configuration", "found": True, **base.to_dict(),
                "size_vs_baseline_pct": 0.0, "quality_vs_baseline": 0.0}
    return pd.DataFrame([baseline] + rows)


def write_frontier(history_path: str, objectives: list[Objective], frontier_cfg: Mapping, out: Mapping[str, str],
                   runs: Mapping[str, Mapping[str, str]], teacher_metrics: Mapping | None = None,
                   param_names: list[str] | None = None, deployment: Deployment | None = None,
                   retained: str | None = None, card: CardSettings | None = None) -> None:
    """Frontier and scenario tables, and the picks exported with a model card. `runs` maps each
    trial key (distilbo.records.layout.trial_key) to the paths of its "model" directory and "metrics" file
    `deployment`, in a study that measures variants: each trial's deploy directory (whose ONNX files
    ship with a pick), the latency tables and the teacher's variants for reference. `retained`:
    the last round's retention record (distilbo.study.retention), which names a pick it removed.
    `card`: the study's settings that every pick's model card states."""
    history = frontier_rows(pd.read_parquet(history_path))  # cheap looks at a sample are not results
    timed = deployment.timed() if deployment else None
    teacher = deployment.teacher() if deployment else None
    front = pareto_front(history, objectives).sort_values(frontier_cfg["size"])
    write_parquet(front, out["frontier"])
    scenarios = pick_scenarios(history, objectives, frontier_cfg["quality"], frontier_cfg["size"],
                               frontier_cfg["size_tolerance"], frontier_cfg["quality_tolerance"])
    write_parquet(scenarios, out["scenarios"])
    log.info("frontier: %d of %d models\n%s", len(front), len(history),
             scenarios.reindex(columns=["scenario", "found", frontier_cfg["size"], frontier_cfg["quality"],
                                        "size_vs_baseline_pct", "quality_vs_baseline"]).to_string())
    with atomic_path(out["models"], is_dir=True) as tmp:
        if frontier_cfg["export"]:
            from distilbo.study.export import export_model  # torch and transformers: only to export
            for _, row in scenarios[scenarios["found"]].iterrows():
                key = trial_key(int(row["round"]), int(row["trial"]))
                if key not in runs:
                    raise KeyError(f"{history_path}: trial {key} is not one of this study's trials ({len(runs)} given)")
                require_kept(key, runs[key]["model"], retained)
                run = {**runs[key], "deploy": deployment.deploy[key]} if deployment else runs[key]
                export_model(row, run, tmp / row["scenario"], teacher_metrics, param_names or [],
                             frontier_cfg["quality"], card or CardSettings(), timed, teacher)
