"""The report's figures, one function each, saved as PNG at readable sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from distilbo.records.metrics import CURVE_METRICS, ERROR_KINDS, NEEDS_VARIANTS, STATUS_OK  # noqa: E402

DPI = 110
# One colour per answer kind, in the registry's order (best first).
ERROR_COLORS = dict(zip(ERROR_KINDS, ("#2a9d8f", "#8ab17d", "#e76f51", "#f4a261", "#9b5de5")))


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


# How the frontier figure shows a size metric: (divisor, axis label); others as they are.
SIZE_AXES = {"num_parameters": (1e6, "parameters (millions)"), "size_mb": (1.0, "weights file (MB)"),
             "latency_ms": (1.0, "latency at batch 1 (ms per question)")}


def frontier_figure(history: pd.DataFrame, front: pd.DataFrame, quality: str, size: str, threshold: float | None,
                    baseline: Mapping | None, teacher: Mapping | None, path: Path) -> Path:
    """Every successful trial as a point (size vs quality); the Pareto set joined as a staircase;
    trials below the threshold pale; baseline and teacher marked."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    scale, xlabel = SIZE_AXES.get(size, (1.0, size))
    ok = history[history["status"].eq(STATUS_OK)]
    below = ok[quality] < threshold if threshold is not None else np.zeros(len(ok), bool)
    ax.scatter(ok.loc[~below, size] / scale, ok.loc[~below, quality], s=28, color="#457b9d", alpha=0.8, label="trial")
    if below.any():
        ax.scatter(ok.loc[below, size] / scale, ok.loc[below, quality], s=22, color="#457b9d", alpha=0.2,
                   label=f"below threshold ({quality} < {threshold:g})")
        ax.axhline(threshold, color="grey", lw=0.8, ls=":")
    if len(front):
        f = front.sort_values(size)
        ax.step(f[size] / scale, f[quality], where="post", color="#e63946", lw=1.5, alpha=0.7)
        ax.scatter(f[size] / scale, f[quality], s=70, color="#e63946", edgecolor="black", zorder=3,
                   label=f"Pareto frontier ({len(f)})")
    if baseline is not None:
        ax.scatter([baseline[size] / scale], [baseline[quality]], marker="D", s=110, facecolor="none",
                   edgecolor="black", lw=2, zorder=4, label="baseline")
    # the teacher's own latency_ms is its torch run's, not the deployment stage's: not comparable
    if teacher is not None and quality in teacher and size in teacher and size not in NEEDS_VARIANTS:
        ax.scatter([teacher[size] / scale], [teacher[quality]], marker="*", s=220, color="#ffb703",
                   edgecolor="black", zorder=4, label="teacher")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(quality)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("Every trial: size against answer quality")
    return _save(fig, path)


def hypervolume_figure(trace: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(trace["round"], trace["hypervolume"], marker="o", color="#1d3557")
    for r, hv, n in zip(trace["round"], trace["hypervolume"], trace["frontier_size"]):
        ax.annotate(str(n), (r, hv), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("round")
    ax.set_ylabel("hypervolume")
    ax.set_title("Hypervolume of the feasible trials so far (labels: frontier size)")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def importance_figure(table: pd.DataFrame, path: Path) -> Path:
    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 0.45 * table["parameter"].nunique() + 1.5),
                             squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        t = table[table["metric"] == metric].sort_values("importance")
        ax.barh(t["parameter"], t["importance"], xerr=t["std"], color="#457b9d", ecolor="black", capsize=3)
        ax.set_title(metric)
        ax.set_xlabel("share of variance reduction")
        ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def parallel_figure(groups: Mapping[str, pd.DataFrame], params: list[str], ranges: Mapping[str, tuple], quality: str,
                    path: Path) -> Path:
    """Parallel coordinates, one panel per group; each axis scaled to the searched range."""
    fig, axes = plt.subplots(len(groups), 1, figsize=(max(8, 1.1 * len(params)), 3.6 * len(groups)), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, (title, rows) in zip(axes[:, 0], groups.items()):
        ax.set_title(f"{title} ({len(rows)} trials; colour: {quality})")
        if len(rows):
            q = rows[quality].to_numpy(float)
            span = (q.max() - q.min()) or 1.0
            for (_, row), value in zip(rows.iterrows(), q):
                y = [_scaled(row[p], ranges[p]) for p in params]
                ax.plot(range(len(params)), y, color=cmap((value - q.min()) / span), alpha=0.8, lw=1.6)
        ax.set_xticks(range(len(params)))
        ax.set_xticklabels([f"{p}\n{_fmt(ranges[p][0])}..{_fmt(ranges[p][1])}" for p in params], fontsize=8)
        ax.set_yticks([0, 1])
        ax.set_yticklabels(["low", "high"])
        ax.set_ylim(-0.05, 1.05)
        ax.grid(axis="x", alpha=0.5)
    return _save(fig, path)


def _scaled(value, bounds) -> float:
    low, high, log = bounds
    if log:
        return (np.log(value) - np.log(low)) / (np.log(high) - np.log(low))
    return (value - low) / (high - low) if high > low else 0.5


def _fmt(v) -> str:
    return f"{v:.0e}" if isinstance(v, float) and 0 < abs(v) < 1e-2 else f"{v:g}"


def curves_figure(curves: Mapping[str, pd.DataFrame], path: Path) -> Path:
    panels = ["loss", *CURVE_METRICS]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.8))
    for name, curve in curves.items():
        for ax, col in zip(axes, panels):
            if len(curve) and col in curve:
                ax.plot(curve["step"], curve[col], marker="o", ms=6 if len(curve) == 1 else 3, label=name)
    for ax, col in zip(axes, panels):
        ax.set_title(col)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return _save(fig, path)


def rungs_figure(table: pd.DataFrame, quality: str, path: Path) -> Path:
    """Quality against training steps, one line per trial's path through the rungs (distilbo.report.
    rungs.rung_table): the paths that were promoted in colour, the rest as grey points."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ok = table[table["status"].eq(STATUS_OK)]
    for name, path_rows in ok.groupby("path"):
        path_rows = path_rows.sort_values("steps")
        if len(path_rows) > 1:
            ax.plot(path_rows["steps"], path_rows[quality], marker="o", lw=1.5, label=name)
        else:
            ax.scatter(path_rows["steps"], path_rows[quality], color="grey", alpha=0.5, s=20)
    ax.set_xscale("log")
    steps = sorted(ok["steps"].unique())
    ax.set_xticks(steps, [str(s) for s in steps])
    ax.minorticks_off()
    ax.set_xlabel("training steps (rungs)")
    ax.set_ylabel(quality)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, title="promoted trials", ncol=2)
    return _save(fig, path)


def errors_figure(by_article: pd.DataFrame, path: Path) -> Path:
    """Share of each answer kind per article (articles sorted by share correct)."""
    t = by_article.sort_values("correct")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.6))
    left = np.zeros(len(t))
    for kind, color in ERROR_COLORS.items():
        if kind in t:
            ax.barh(t.index, t[kind], left=left, color=color, label=kind.replace("_", " "))
            left += t[kind].to_numpy()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the article's questions")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return _save(fig, path)


PRECISION_MARKERS = {"fp32": ("o", "#457b9d"), "int8": ("^", "#e76f51")}


def deployment_figure(table: pd.DataFrame, quality: str, path: Path, teacher: pd.DataFrame | None = None) -> Path:
    """Quality against latency and against size_mb, both variants of every trial (a thin line
    joins the two; filled: a model of the history) and of the teacher (stars), and the quality int8
    costs each trial."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for ax, x, label in ((axes[0], "latency_ms", "latency at batch 1 (ms per question)"),
                         (axes[1], "size_mb", "weights file (MB)")):
        for _, pair in table.groupby(["round", "trial"]):
            ax.plot(pair[x], pair[quality], color="grey", lw=0.6, alpha=0.5)
        for precision, (marker, color) in PRECISION_MARKERS.items():
            rows = table[table["precision"].eq(precision)]
            held = rows["candidate"].astype(bool)
            ax.scatter(rows.loc[held, x], rows.loc[held, quality], marker=marker, s=40, color=color,
                       label=f"{precision} (a model of the history)")
            if (~held).any():
                ax.scatter(rows.loc[~held, x], rows.loc[~held, quality], marker=marker, s=40, facecolor="none",
                           edgecolor=color, label=f"{precision} (measured only)")
        for _, t in (teacher if teacher is not None else pd.DataFrame()).iterrows():
            ax.scatter(t.get(x), t.get(quality), marker="*", s=160, color=PRECISION_MARKERS[t["precision"]][1],
                       edgecolor="black", zorder=3, label=f"teacher {t['precision']}")
        ax.set_xlabel(label)
        ax.set_ylabel(quality)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    losses = table.drop_duplicates(["round", "trial"]).sort_values("int8_loss")
    labels = [f"r{r}/t{t}" for r, t in zip(losses["round"], losses["trial"])]
    axes[2].barh(labels, losses["int8_loss"], color="#e76f51")
    axes[2].axvline(0, color="black", lw=0.8)
    axes[2].set_xlabel(f"{quality}: fp32 minus int8")
    axes[2].set_title("What int8 costs each trial", fontsize=10)
    fig.suptitle("Deployment variants: ONNX Runtime fp32 and dynamic int8")
    return _save(fig, path)
