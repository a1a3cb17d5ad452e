"""The progress page of a running study (distilbo.report.progress)."""
import os
import re

from test_report import OBJS, synthetic_study

from distilbo.report.progress import RELOAD_SECONDS, build_progress, round_times, time_left

FRONTIER = {"quality": "exact", "size": "num_parameters"}


def _rounds(tmp_path, history, upto, minutes=(0, 10, 25, 45, 70)):
    """The observations of rounds 0..upto, their files dated `minutes` after the suggestions."""
    started = tmp_path / "suggestions.parquet"
    history.head(1).to_parquet(started)
    t0 = 1_700_000_000
    os.utime(started, (t0, t0))
    paths = []
    for r in range(upto + 1):
        path = tmp_path / f"obs-{r}.parquet"
        history[history["round"] <= r].to_parquet(path)
        os.utime(path, (t0 + 60 * minutes[r + 1], t0 + 60 * minutes[r + 1]))
        paths.append(str(path))
    return str(started), paths


def test_round_times_and_the_estimate_come_from_the_rounds_so_far(tmp_path):
    history, _ = synthetic_study(tmp_path)
    started, paths = _rounds(tmp_path, history, 2)
    times = round_times(started, paths)
    assert times["seconds"].tolist() == [600, 900, 1200]
    assert time_left(times["seconds"], rounds=5) == 2 * 900  # two rounds left at the median round's time
    assert time_left(times["seconds"], rounds=3) == 0


def test_the_page_shows_where_the_study_stands(tmp_path):
    history, paths = synthetic_study(tmp_path)
    started, obs = _rounds(tmp_path, history, 2)
    out = tmp_path / "progress" / "round-2" / "index.html"
    build_progress(obs[-1], started, obs, str(paths["teacher_metrics"]), OBJS, FRONTIER, 6, str(out))
    page = out.read_text()
    assert "3 of 6 rounds observed" in page
    assert "45 min 00 s over the rounds" in page and "about 45 min 00 s for 3 more round(s)" in page
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 2  # the frontier, the hypervolume
    assert "loss became nan" in page  # round 2's failed trial, with its reason
    assert not re.search(r"<script[^>]*\bsrc=", page) and page.count("* plotly.js v") == 1  # offline: inline, once
    # every trial so far is listed, the latest round first; none of round 3 (not observed yet)
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>", page.split("Every trial")[1])
    assert len(rows) == 15 and rows[0] == "2" and "3" not in rows


def test_the_page_kept_open_follows_the_latest_round_only(tmp_path):
    history, paths = synthetic_study(tmp_path)
    started, obs = _rounds(tmp_path, history, 2)
    progress = tmp_path / "progress"
    latest = progress / "index.html"

    def page(r):
        out = progress / f"round-{r}" / "index.html"
        build_progress(obs[r], started, obs[: r + 1], str(paths["teacher_metrics"]), OBJS, FRONTIER, 4, str(out),
                       str(latest))
        return out

    page(0)
    assert f"http-equiv='refresh' content='{RELOAD_SECONDS}'" in latest.read_text()
    assert "1 of 4 rounds observed" in latest.read_text()
    page(2)
    page(1)  # rendered late (a resumed study): the page kept open stays on round 2
    assert "3 of 4 rounds observed" in latest.read_text()
    assert "http-equiv='refresh'" not in (progress / "round-2" / "index.html").read_text()
