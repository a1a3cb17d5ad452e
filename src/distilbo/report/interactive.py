"""The pages' interactive parts: the frontier (every trial; pointing at one shows what it is), the
hypervolume per round and parallel coordinates that brush (Plotly, its JavaScript embedded once in
the page, so that it works from disk with no network), and a trial table that sorts and filters
by any column (a few lines of JavaScript: no table library does this without more weight). The PNG
figures stay beside them, for docs and for readers without JavaScript."""

from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from distilbo.records import metrics
from distilbo.search.space import SearchSpace
from distilbo.study.history import frontier_rows

# What a point's hover shows besides the searched parameters, where the history has it.
HOVER_FACTS = ("origin", metrics.PRECISION, "rung", "steps", "eval_questions", "status", "reason")
CONFIG = {"displaylogo": False, "responsive": True}


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def scripts() -> str:
    """What a page with interactive parts carries once, in its head: Plotly, and the table's sorting."""
    return f"<script>{plotly_js()}</script><script>{TABLE_JS}</script>"


def _size_text(row: pd.Series, size: str) -> str:
    if size != "num_parameters" or pd.isna(row.get(size)):
        return f"{size}: {row.get(size)}"
    emb = row.get("embedding_parameters")
    apart = f" (embeddings {emb / 1e6:.2f}M, the rest {(row[size] - emb) / 1e6:.2f}M)" if pd.notna(emb) else ""
    return f"{size}: {row[size] / 1e6:.2f}M{apart}"


def hover_text(row: pd.Series, params: Sequence[str], scores: Sequence[str], size: str,
               steps: Mapping[tuple[int, int], int] | None = None, pick: str = "") -> str:
    """One trial as its point's hover shows it: where it ran, every searched parameter, its scores,
    its size with the embeddings apart, its steps and its status."""
    key = (int(row["round"]), int(row["trial"]))
    lines = [f"<b>round {key[0]}, trial {key[1]}</b>" + (f" — {pick.replace('_', ' ')}" if pick else "")]
    lines += [f"{p}: {_fmt(row.get(p))}" for p in params]
    lines += [f"{m}: {_fmt(row.get(m))}" for m in scores if m in row.index]
    lines.append(_size_text(row, size))
    if steps and key in steps and "steps" not in row.index:
        lines.append(f"steps: {steps[key]}")
    lines += [f"{k}: {html.escape(str(row[k]))}" for k in HOVER_FACTS
              if k not in params and k in row.index and pd.notna(row[k]) and str(row[k]) != ""]
    return "<br>".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def frontier_plot(history: pd.DataFrame, front: pd.DataFrame, quality: str, size: str, threshold: float | None,
                  params: Sequence[str], teacher: Mapping, baseline: pd.Series | None = None,
                  picks: Mapping[tuple[int, int], tuple[str, str]] | None = None,
                  steps: Mapping[tuple[int, int], int] | None = None, div_id: str = "frontier") -> str:
    """Every successful trial (pale below the threshold; open: a rung's cheap look, scored on the eval
    sample), the Pareto set, the baseline and the teacher; `picks`: (round, trial) -> (scenario,
    link to its exported model's card), opened by a click on the point and listed below the plot."""
    picks = picks or {}
    ok = history[history["status"].eq(metrics.STATUS_OK)].dropna(subset=[quality, size])
    scores = [m for m in (*metrics.OFFICIAL, *metrics.SPAN) if m in ok]
    on_front = set(zip(front["round"].astype(int), front["trial"].astype(int)))
    key = list(zip(ok["round"].astype(int), ok["trial"].astype(int)))
    below = ok[quality] < threshold if threshold is not None else pd.Series(False, ok.index)
    fig = go.Figure()

    def trace(rows: pd.DataFrame, name: str, **marker):
        keys = list(zip(rows["round"].astype(int), rows["trial"].astype(int)))
        fig.add_trace(go.Scatter(
            x=rows[size], y=rows[quality], mode="markers", name=name, marker=marker,
            hovertext=[hover_text(r, params, scores, size, steps, picks.get(k, ("", ""))[0])
                       for k, (_, r) in zip(keys, rows.iterrows())],
            customdata=[picks.get(k, ("", ""))[1] for k in keys], hovertemplate="%{hovertext}<extra></extra>"))

    mask = np.array([k in on_front for k in key], bool)
    look = ~ok.index.isin(frontier_rows(ok).index)  # search.fidelity: scored on the sample, not results
    trace(ok[~mask & ~below.to_numpy() & ~look], "trials", color="#457b9d", size=8, opacity=0.7)
    trace(ok[~mask & below.to_numpy() & ~look], "below the threshold", color="#bbbbbb", size=7, opacity=0.6)
    if look.any():
        n = int(ok.loc[look, "eval_questions"].max())
        trace(ok[look], f"cheap looks (rungs below the top, {n} questions)", color="#8d99ae", size=7,
              symbol="circle-open", opacity=0.8)
    trace(ok[mask].sort_values(size), "Pareto frontier", color="#e63946", size=11, line={"width": 1, "color": "#222"})
    if baseline is not None:
        trace(pd.DataFrame([baseline]), "baseline", color="#2a9d8f", size=16, symbol="star")
    if teacher.get(quality) is not None and teacher.get("num_parameters") is not None and size == "num_parameters":
        fig.add_trace(go.Scatter(x=[teacher["num_parameters"]], y=[teacher[quality]], mode="markers", name="teacher",
                                 marker={"color": "#1d3557", "size": 14, "symbol": "diamond"},
                                 hovertemplate=f"teacher<br>{quality}: %{{y:.4g}}<br>{size}: %{{x:.4g}}<extra></extra>"))
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dot", line_color="#999", annotation_text=f"threshold {threshold:.4g}")
    fig.update_layout(xaxis_title=size, yaxis_title=quality, height=520, margin={"t": 30, "r": 20},
                      legend={"orientation": "h", "y": -0.15}, hoverlabel={"align": "left"})
    listed = "".join(f'<li><a href="{html.escape(link)}">{html.escape(name.replace("_", " "))}</a>: round {r}, '
                     f"trial {t}</li>" for (r, t), (name, link) in sorted(picks.items()) if link)
    picked = f"<p>The picks' model cards (a click on a pick's point opens its card):</p><ul>{listed}</ul>" if listed else ""
    return _div(fig, div_id, click_opens=True) + picked


def hypervolume_plot(trace: pd.DataFrame, div_id: str = "hypervolume") -> str:
    """The hypervolume of the frontier after each round."""
    fig = go.Figure(go.Scatter(x=trace["round"], y=trace["hypervolume"], mode="lines+markers", name="hypervolume",
                               hovertemplate="round %{x}<br>hypervolume %{y:.4g}<extra></extra>"))
    fig.update_layout(xaxis_title="round", yaxis_title="hypervolume", height=340, margin={"t": 20, "r": 20},
                      xaxis={"dtick": 1})
    return _div(fig, div_id)


def parallel_plot(history: pd.DataFrame, front: pd.DataFrame, space: SearchSpace, quality: str, size: str,
                  div_id: str = "parallel") -> str:
    """Every successful trial across the searched parameters, its size and quality: drag along an
    axis to keep the trials through that range (the others grey out)."""
    ok = history[history["status"].eq(metrics.STATUS_OK)].dropna(subset=[quality]).reset_index(drop=True)
    on_front = set(zip(front["round"].astype(int), front["trial"].astype(int)))
    dims = []
    for name, spec in zip(space.names, space.specs):
        if name not in ok:
            continue
        if spec["type"] == "categorical":
            codes = {c: i for i, c in enumerate(spec["choices"])}
            dims.append({"label": name, "values": ok[name].map(codes), "tickvals": list(codes.values()),
                         "ticktext": [str(c) for c in codes]})
        elif spec["log"]:
            dims.append({"label": f"log10 {name}", "values": np.log10(ok[name].astype(float))})
        else:
            dims.append({"label": name, "values": ok[name].astype(float)})
    dims.append({"label": size, "values": ok[size].astype(float)})
    dims.append({"label": quality, "values": ok[quality].astype(float)})
    dims.append({"label": "on the frontier", "values": [int((int(r), int(t)) in on_front) for r, t in
                                                        zip(ok["round"], ok["trial"])],
                 "tickvals": [0, 1], "ticktext": ["no", "yes"]})
    fig = go.Figure(go.Parcoords(line={"color": ok[quality].astype(float), "colorscale": "Viridis", "showscale": True,
                                       "colorbar": {"title": quality}}, dimensions=dims))
    fig.update_layout(height=460, margin={"t": 60, "l": 60, "r": 60})
    return _div(fig, div_id)


def _div(fig: go.Figure, div_id: str, click_opens: bool = False) -> str:
    out = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)
    if click_opens:  # a point whose customdata is a link (a pick's model card) opens it
        out += (f"<script>document.getElementById({json.dumps(div_id)}).on('plotly_click', function (e) {{"
                "var u = e.points[0].customdata; if (u) window.open(u, '_blank'); });</script>")
    return out


def trial_table(table: pd.DataFrame, table_id: str = "trials") -> str:
    """Every trial, a row each: a click on a column's heading sorts by it (again: the other way), and
    the box under each heading keeps the rows whose cell contains its text (a failed trial's reason
    included)."""
    shown = table.copy()
    for col in ("num_parameters", "embedding_parameters"):
        if col in shown and pd.api.types.is_numeric_dtype(shown[col]):
            shown[col] = shown[col] / 1e6
            shown = shown.rename(columns={col: f"{col} (M)"})
    head = "".join(f"<th data-col='{i}'>{html.escape(str(c))}</th>" for i, c in enumerate(shown.columns))
    boxes = "".join(f"<th><input data-col='{i}' placeholder='filter' size='6'></th>" for i in range(len(shown.columns)))
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in shown.itertuples(index=False))
    return (f"<div class='wide'><table class='t sortable' id='{table_id}'><thead><tr>{head}</tr><tr>{boxes}</tr>"
            f"</thead><tbody>{rows}</tbody></table></div>")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))


# Sorting and filtering of every table.sortable: numbers as numbers, the rest as text.
TABLE_JS = """
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var body = table.tBodies[0];
    var value = function (row, i) { var t = row.cells[i].textContent; var n = parseFloat(t);
      return (t.trim() !== '' && !isNaN(n) && isFinite(t)) ? n : t.toLowerCase(); };
    table.querySelectorAll('thead th[data-col]').forEach(function (th) {
      th.style.cursor = 'pointer';
      th.addEventListener('click', function () {
        var i = +th.dataset.col, up = th.dataset.order !== 'asc';
        table.querySelectorAll('thead th[data-col]').forEach(function (o) { delete o.dataset.order; });
        th.dataset.order = up ? 'asc' : 'desc';
        Array.from(body.rows).sort(function (a, b) {
          var x = value(a, i), y = value(b, i);
          var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
          return up ? c : -c;
        }).forEach(function (r) { body.appendChild(r); });
      });
    });
    var boxes = table.querySelectorAll('thead input[data-col]');
    boxes.forEach(function (box) { box.addEventListener('input', function () {
      Array.from(body.rows).forEach(function (r) {
        r.style.display = Array.from(boxes).every(function (b) {
          return !b.value || r.cells[+b.dataset.col].textContent.toLowerCase().indexOf(b.value.toLowerCase()) >= 0;
        }) ? '' : 'none';
      });
    }); });
  });
});
"""
