"""Build the report from the study's tables: figures, CSV tables and index.html."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from distilbo.atomic import atomic_path, read_json
from distilbo.records.labels import ORIGIN_BASELINE
from distilbo.records.layout import trial_key
from distilbo.records.metrics import ERROR_KINDS, OFFICIAL, PRECISION, SPAN, STATUS_OK
from distilbo.report import figures, interactive
from distilbo.report.deployment import variant_table
from distilbo.report.importance import importance
from distilbo.report.rungs import compute_saved, rung_table
from distilbo.search.expected import EXPECTED_PREFIX, expected_front, expected_scores
from distilbo.search.objectives import Objective, feasible
from distilbo.search.pareto import hypervolume_trace, pareto_front
from distilbo.search.space import SearchSpace
from distilbo.search.steps import study_steps
from distilbo.study.deployment import Deployment, timing_setup
from distilbo.study.history import baseline_row, frontier_rows, trials


def summary(history: pd.DataFrame, front: pd.DataFrame, objectives: list[Objective], quality: str, size: str,
            teacher: Mapping, baseline: pd.Series | None, tolerance: float = 0.0) -> dict:
    """The page's facts. Against the baseline it counts what a reader can use: trials smaller than
    it and within `tolerance` (frontier.quality_tolerance) of its quality, and smaller and better.
    ("Smaller or better" is true of nearly every trial when the space tops out at the baseline.)"""
    ok = history["status"].eq(STATUS_OK)
    feas = feasible(history, objectives)
    run = trials(history)
    out = {"teacher": f"{teacher.get('init', 'teacher')}: exact {teacher.get('exact', float('nan')):.2f}, "
                      f"f1 {teacher.get('f1', float('nan')):.2f}, {teacher.get('num_parameters', 0) / 1e6:.2f}M parameters",
           "trials": len(run), "succeeded": int(run["status"].eq(STATUS_OK).sum()),
           "failed": int(run["status"].ne(STATUS_OK).sum())}
    if len(run) < len(history):  # both variants of each trial are models of the history
        out["models (trials x variants)"] = f"{len(history)}, {int(ok.sum())} measured"
        out["models below threshold"] = int((ok & ~feas).sum())
    else:
        out["below_threshold"] = int((ok & ~feas).sum())
    out["frontier_size"] = len(front)
    if baseline is not None:
        others = history[ok & ~history["origin"].eq(ORIGIN_BASELINE)]
        smaller = others[size] < baseline[size]
        near = others[quality] >= baseline[quality] - tolerance
        better = others[quality] > baseline[quality]
        shown = f"{baseline[size] / 1e6:.2f}M parameters" if size == "num_parameters" else f"{size} {baseline[size]:.4g}"
        out["baseline"] = f"{baseline[quality]:.2f} {quality}, {shown}"
        out[f"smaller, within {tolerance:g} of its {quality}"] = f"{int((smaller & near).sum())} of {len(others)}"
        out["smaller and better"] = f"{int((smaller & better).sum())} of {len(others)}"
    return out


def error_tables(predictions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shares of answer kinds per article, and a few example questions of each wrong kind."""
    counts = pd.crosstab(predictions["title"], predictions["category"]).reindex(columns=list(ERROR_KINDS), fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    wrong = predictions[predictions["category"] != "correct"]
    examples = wrong.groupby("category", group_keys=False).head(3)
    return shares, examples


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{path.stem}">'


def _table(df: pd.DataFrame) -> str:
    df = df.copy()
    for col in df.columns:
        if col in ("num_parameters", "embedding_parameters", "size") and pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].map(lambda v: f"{v / 1e6:.2f}M" if pd.notna(v) else "")
    # Wide tables (one column per searched parameter) scroll inside their box instead of widening the page.
    return ('<div class="wide">' + df.to_html(index=False, border=0, classes="t", float_format=lambda v: f"{v:.4g}",
                                               na_rep="") + "</div>")


@dataclass(frozen=True)
class ReportStudy:
    """What the report's sections read: the study's tables, read once, and its settings."""

    inputs: Mapping
    history: pd.DataFrame
    front: pd.DataFrame
    scenarios: pd.DataFrame
    teacher: Mapping
    baseline: pd.Series | None
    space: SearchSpace
    objectives: list[Objective]
    quality: str
    size: str
    threshold: float | None
    search: Mapping
    deployment: Deployment | None
    card_link: str | None = None

    @classmethod
    def read(cls, inputs: Mapping, search: Mapping, frontier_cfg: Mapping, objectives: list[Objective],
             deployment: Deployment | None, card_link: str | None = None) -> ReportStudy:
        history = pd.read_parquet(inputs["history"])
        quality = frontier_cfg["quality"]
        return cls(inputs, history, pareto_front(frontier_rows(history), objectives), pd.read_parquet(inputs["scenarios"]),
                   read_json(inputs["teacher_metrics"], what="the teacher's metrics"), baseline_row(history),
                   SearchSpace(search["space"]), objectives, quality, frontier_cfg["size"],
                   next((o.threshold for o in objectives if o.name == quality), None), search, deployment,
                   card_link if frontier_cfg.get("export", True) else None)

    def picks(self) -> dict[tuple[int, int], tuple[str, str]]:
        """(round, trial) -> (scenario, link to its model card) of each found pick (the first
        scenario that picked a trial names it)."""
        out = {}
        for _, row in self.scenarios[self.scenarios["found"]].iterrows():
            link = self.card_link.format(scenario=row["scenario"]) if self.card_link else ""
            out.setdefault((int(row["round"]), int(row["trial"])), (row["scenario"], link))
        return out

    def steps(self) -> dict[tuple[int, int], int]:
        """Each trial's training steps, the last step of its curve."""
        out = {}
        for r, t in zip(self.history["round"].astype(int), self.history["trial"].astype(int)):
            path = self.inputs.get("curves", {}).get(trial_key(r, t))
            if path and (r, t) not in out:
                steps = pd.read_parquet(path, columns=["step"])["step"]
                if len(steps):
                    out[(r, t)] = int(steps.max())
        return out


def build_report(inputs: Mapping, search: Mapping, frontier_cfg: Mapping, objectives: list[Objective],
                 out_dir: str, deployment: Deployment | None = None, card_link: str | None = None) -> Path:
    """Write out_dir/index.html, out_dir/figures/*.png and out_dir/tables/*.csv (`deployment`: the
    study's variants, in a study that measures them; `card_link`: the link from the page to an
    exported pick's model card, with {scenario} in it, where the frontier exports them)."""
    out = Path(out_dir)
    study = ReportStudy.read(inputs, search, frontier_cfg, objectives, deployment, card_link)
    with atomic_path(out, is_dir=True) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "tables").mkdir()
        sections = _sections(study, tmp / "figures", tmp / "tables")
        facts = summary(study.history, study.front, objectives, study.quality, study.size, study.teacher,
                        study.baseline, frontier_cfg["quality_tolerance"])
        (tmp / "index.html").write_text(html_page("distilbo report", "distilbo study report", facts, sections,
                                                  head=interactive.scripts()))
    return out / "index.html"


def _sections(study: ReportStudy, fig: Path, tab: Path) -> list[tuple[str, str]]:
    s = study
    inputs, history, front, scenarios, teacher, baseline = s.inputs, s.history, s.front, s.scenarios, s.teacher, s.baseline
    space, objectives, quality, size, threshold, search = s.space, s.objectives, s.quality, s.size, s.threshold, s.search
    history.to_csv(tab / "trials.csv", index=False)
    # the surrogates' expectation at every successful configuration, fitted once for both uses
    expected, noise = expected_scores(space, objectives, history, history[history["status"].eq(STATUS_OK)],
                                      study_steps(search))
    front = front.join(expected[[c for c in expected if c.startswith(EXPECTED_PREFIX)]])
    front.to_csv(tab / "frontier.csv", index=False)
    scenarios.to_csv(tab / "scenarios.csv", index=False)
    sections = []
    failed = history[~history["status"].eq(STATUS_OK)]
    failed_list = "".join(f"<li>round {r}, trial {t}{_variant(p)}: {html.escape(str(why))}</li>" for r, t, p, why in
                          failed.reindex(columns=["round", "trial", PRECISION, "reason"]).itertuples(index=False))
    steps = s.steps()
    scored = frontier_rows(history)  # a rung study's cheap looks are not the frontier's
    plot = interactive.frontier_plot(history, front, quality, size, threshold, space.names, teacher, baseline,
                                     s.picks(), steps)
    sections.append(("The frontier", "<p>Point at a trial to see its parameters, scores, size, steps and status.</p>"
                     + plot + _static(figures.frontier_figure(scored, front, quality, size, threshold, baseline,
                                                              teacher, fig / "frontier.png"))
                     + (f"<p>Failed trials:</p><ul>{failed_list}</ul>" if len(failed) else "<p>No trial failed.</p>")
                     + _measured_and_expected(front, expected, noise, objectives, quality)))
    # a size split into the word embeddings and the rest: a trimmed vocabulary makes a model smaller, not faster
    shown = ["scenario", "found", size, "embedding_parameters", quality, "size_vs_baseline_pct", "quality_vs_baseline",
             "round", "trial", PRECISION, "steps", *(m for m in ("size_mb", "latency_ms") if m != size)]
    picks = scenarios[[c for c in shown + space.names if c in scenarios]]
    sections.append(("Scenarios against the baseline", _table(picks)))
    trace = hypervolume_trace(scored, objectives)
    trace.to_csv(tab / "hypervolume.csv", index=False)
    sections.append(("Hypervolume per round", interactive.hypervolume_plot(trace)
                     + _static(figures.hypervolume_figure(trace, fig / "hypervolume.png"))))
    imp = _importance(inputs, history, space, objectives)
    imp.to_csv(tab / "importance.csv", index=False)
    sections.append(("Parameter importance", "<p>Observed metrics: random-forest importance (share of the forest's "
                     "variance reduction), mean and standard deviation over 20 bootstrap resamples of the "
                     "successful trials. Computed metrics: from their formula, each parameter's share of the "
                     "total-effect Sobol indices over the search space (a parameter the formula does not read "
                     "scores 0).</p>" + _img(figures.importance_figure(imp, fig / "importance.png"))))
    sections.append(("Parallel coordinates", "<p>Drag along an axis to keep the trials through that range.</p>"
                     + interactive.parallel_plot(history, front, space, quality, size)
                     + _static(_parallel(history, front, baseline, space, quality, fig))))
    sections.append(("Every trial", "<p>A click on a heading sorts by that column; the boxes filter.</p>"
                     + interactive.trial_table(trial_rows(history, space.names, quality, size, steps))))
    sections.append(("Training curves", _img(figures.curves_figure(_curves(inputs, scenarios), fig / "curves.png"))))
    sections.append(("Error analysis of the best model", _errors(inputs, history, objectives, quality, fig, tab)))
    if s.deployment:
        sections.append(("Deployment variants", _deployment(s.deployment, history, quality, fig, tab)))
    if search.get("fidelity"):
        sections.append(("Rungs", _rungs(history, search, quality, fig, tab)))
    return sections


def _importance(inputs, history, space, objectives) -> pd.DataFrame:
    """Per objective: from its formula when it is computed (the computed_importance table), else
    from the trials."""
    exact = {}
    if inputs.get("computed_importance"):
        exact = dict(tuple(pd.read_parquet(inputs["computed_importance"]).groupby("metric")))
    tables = [exact[o.name] if o.source == "computed" and o.name in exact else importance(history, space, o.name)
              for o in objectives]
    return pd.concat(tables, ignore_index=True)


def _rungs(history, search, quality, fig, tab) -> str:
    table = rung_table(history, search, quality)
    table.to_csv(tab / "rungs.csv", index=False)
    steps = search["fidelity"]["steps"]
    saved = compute_saved(table, steps[-1])
    text = (f"<p>Every trial but the baseline (trained straight to the top) trains {steps[0]} steps first; "
            f"promotion slots continue the best of each rung "
            f"(non-dominated first) from their checkpoint to the next ({', '.join(map(str, steps))} steps). "
            f"Every measurement is a saved model and a row of the history. The study trained "
            f"{saved['trained_steps']:,} steps; its {saved['paths']} trials trained to the top rung would have taken "
            f"{saved['every_trial_at_top']:,} ({saved['saved_share']:.0%} saved).</p>")
    scored = history["eval_questions"].dropna() if "eval_questions" in history else pd.Series(dtype=float)
    if scored.nunique() > 1:  # search.fidelity.low_rungs: sample
        text += (f"<p>Below the top rung a trial scores the same {int(scored.min()):,} eval questions as every other "
                 f"(a cheap, paired look); only trials scored on all {int(scored.max()):,} can be on the frontier.</p>")
    return text + _img(figures.rungs_figure(table, quality, fig / "rungs.png")) + _table(table)


def _deployment(deployment: Deployment, history, quality, fig, tab) -> str:
    timed = deployment.timed()
    table = variant_table(history, deployment.deploy, timed, quality)
    table.to_csv(tab / "deployment.csv", index=False)
    setup = timing_setup(timed)
    held = ("both variants of every trial, each a model of its own" if table["candidate"].all()
            else "the variant each trial ships (its <code>precision</code>)")
    text = (f"<p>Every trial exported to ONNX (fp32) and quantized to int8 (ONNX Runtime, dynamic), each scored "
            f"on the eval questions and timed one trial at a time ({html.escape(setup)}). The history, frontier "
            f"and scenarios hold {held}.</p>")
    teacher = deployment.teacher()
    reference = ("<p>The teacher's variants, made and timed the same way (its reader alone, without the "
                 "verifier):</p>" + _table(teacher.reindex(columns=[PRECISION, "size_mb", "latency_ms",
                                                                    "latency_iqr_ms", quality]))) if len(teacher) else ""
    return (text + _img(figures.deployment_figure(table, quality, fig / "deployment.png", teacher)) + reference
            + _table(table))


def _measured_and_expected(front: pd.DataFrame, expected: pd.DataFrame, noise: Mapping[str, float],
                           objectives: list[Objective], quality: str) -> str:
    """The frontier by measured scores (the saved models) against the frontier by the surrogates'
    posterior means (`expected`: distilbo.search.expected.expected_scores of every successful trial),
    shown when their members differ."""
    if quality not in noise:
        return ""
    by_mean = expected_front(expected, objectives)
    key = [c for c in ("round", "trial", PRECISION) if c in front]
    measured, expected = set(map(tuple, front[key].to_numpy())), set(map(tuple, by_mean[key].to_numpy()))
    text = (f"<p>Measured and expected. The frontier holds saved models, so it uses their measured scores. "
            f"Training a configuration again gives another score: the surrogate fitted a noise of sd "
            f"{noise[quality]:.2f} on {html.escape(quality)}, and its posterior mean is what the configuration "
            f"gives on average (<code>expected_{html.escape(quality)}</code> in frontier.csv). ")
    if measured == expected:
        return text + "By posterior means the frontier has the same members.</p>"
    both = pd.concat([front.assign(frontier="measured"), by_mean.assign(frontier="by posterior means")])
    shown = both.reindex(columns=["frontier", *key, quality, f"{EXPECTED_PREFIX}{quality}"])
    return (text + f"By posterior means the frontier differs ({len(measured - expected)} measured members out, "
            f"{len(expected - measured)} in): both below.</p>" + _table(shown))


def _static(path: Path) -> str:
    """A figure's PNG for a reader without JavaScript (the interactive one stands above it)."""
    return f"<noscript>{_img(path)}</noscript>"


# The columns of the trial table, before the searched parameters and after them.
TRIAL_FIRST = ("round", "trial", "origin", PRECISION, "rung", "steps", "status", "reason")


def trial_rows(history: pd.DataFrame, params: list[str], quality: str, size: str,
               steps: Mapping[tuple[int, int], int] | None = None) -> pd.DataFrame:
    """The trial table: where each ran, how it ended, its parameters, quality, size (embeddings apart)
    and the other scores."""
    table = history.copy()
    if steps and "steps" not in table:
        table["steps"] = [steps.get((int(r), int(t))) for r, t in zip(table["round"], table["trial"])]
    first = [c for c in TRIAL_FIRST if c in table]
    scores = [quality, size, *(c for c in ("embedding_parameters", *OFFICIAL, *SPAN, "latency_ms", "size_mb")
                                if c not in (quality, size))]
    return table.reindex(columns=first + params + [c for c in scores if c in table])


def _variant(precision) -> str:
    return f" ({precision})" if isinstance(precision, str) and precision else ""


def _parallel(history, front, baseline, space, quality, fig) -> Path:
    ranges = {n: (d.low, d.high, getattr(d, "prior", "") == "log-uniform") if hasattr(d, "low") else (0, 1, False)
              for n, d in zip(space.names, space.space.dimensions)}
    params = [n for n in space.names if hasattr(space.space.dimensions[space.names.index(n)], "low")]
    groups = {"Frontier": front}
    if baseline is not None:
        groups["At or above the baseline's quality"] = history[history["status"].eq(STATUS_OK)
                                                                & (history[quality] >= baseline[quality])]
    return figures.parallel_figure(groups, params, ranges, quality, fig / "parallel.png")


def _curves(inputs, scenarios) -> dict[str, pd.DataFrame]:
    curves = {}
    for _, row in scenarios[scenarios["found"]].iterrows():
        key = trial_key(int(row["round"]), int(row["trial"]))
        label = "baseline" if row["scenario"] == "baseline" else row["scenario"].replace("_", " ")
        if key in inputs["curves"] and label not in curves:
            curves[label] = pd.read_parquet(inputs["curves"][key])
    return curves


def _errors(inputs, history, objectives, quality, fig, tab) -> str:
    # the torch models' predictions are kept; an int8 variant's only as counts (deployment table),
    # so a study of int8 trials alone shows its best trial's torch model
    ok = history[feasible(history, objectives)]
    torch_rows = ok[~ok.get(PRECISION, pd.Series("", ok.index)).eq("int8")]
    if not len(ok):
        return "<p>No successful trial meets the thresholds.</p>"
    best = (torch_rows if len(torch_rows) else ok).sort_values(quality, ascending=False).iloc[0]
    key = trial_key(int(best["round"]), int(best["trial"]))
    predictions = pd.read_parquet(inputs["predictions"][key])
    shares, examples = error_tables(predictions)
    shares.to_csv(tab / "errors_by_article.csv")
    wrong = predictions["category"].ne("correct").sum()
    kinds = predictions["category"].value_counts().reindex(list(ERROR_KINDS[1:]), fill_value=0)
    text = (f"<p>Best model: {key} ({quality} {best[quality]:.2f}). {wrong} of {len(predictions)} questions wrong: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in kinds.items()) + ".</p>")
    ex = examples.assign(gold=examples["gold_answers"].map(lambda g: " | ".join(g) if len(g) else "(no answer)"),
                         prediction=examples["prediction"].replace("", "(no answer)"))
    ex = ex.merge(pd.read_parquet(inputs["eval_questions"])[["id", "question"]], on="id", how="left")
    shown = ex[["category", "title", "question", "gold", "prediction"]]
    return text + _img(figures.errors_figure(shares, fig / "errors.png")) + _table(shown)


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #1d3557}h2{margin-top:2em;color:#1d3557}img{max-width:100%;border:1px solid #ddd}
div.wide{overflow-x:auto;max-width:100%}table.t{border-collapse:collapse;font-size:13px;margin:1em 0}
table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
th[data-order=asc]::after{content:" ▲"}th[data-order=desc]::after{content:" ▼"}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{font-weight:600}"""


def html_page(title: str, heading: str, facts: Mapping, sections: list[tuple[str, str]], facts_heading: str = "Summary",
              lead: str = "", head: str = "") -> str:
    """A self-contained page: a heading, a lead paragraph's HTML, the facts as a list, then the sections
    (the final report's and the progress page's); `head`: what its head carries besides (scripts)."""
    dl = "".join(f"<dt>{html.escape(k.replace('_', ' '))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts.items())
    body = "".join(f'<section><h2>{html.escape(t)}</h2>{c}</section>' for t, c in sections)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{STYLE}</style>"
            f"{head}</head><body><h1>{html.escape(heading)}</h1>{lead}"
            f"<section><h2>{html.escape(facts_heading)}</h2><dl>{dl}</dl></section>{body}</body></html>")

