"""The report and the progress page in a real browser: headless Chromium from Debian's packages,
driven by Playwright, each page opened from disk with every request that is not a file refused
(as on a machine with no network)."""
import re
import shutil

import pandas as pd
import pytest
from test_report import FRONTIER, OBJS, SPACE, synthetic_study

from distilbo.report.build import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]

# The viewport position of the first point of a frontier trace (by its legend name), scrolled into view.
POINT = """([id, name]) => {
  const gd = document.getElementById(id);
  gd.scrollIntoView();
  const t = gd.data.findIndex(d => d.name === name);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  const point = gd.calcdata[t][0];  // decoded (the figure's data may be packed binary arrays)
  return [box.left + xa._offset + xa.c2p(point.x), box.top + ya._offset + ya.c2p(point.y)];
}"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_offline(browser, path, javascript=True):
    """The page, what it asked of the network (refused) and the errors its console printed."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1200, "height": 900})
    asked, errors = [], []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            asked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, asked, errors


def hover(page, div_id, trace):
    x, y = page.evaluate(POINT, [div_id, trace])
    page.mouse.move(x, y)
    page.wait_for_selector(f"#{div_id} .hoverlayer .hovertext", timeout=5000)
    return page.text_content(f"#{div_id} .hoverlayer .hovertext")  # an SVG group: its lines run together


def column(page, table_id, i):
    return page.eval_on_selector_all(f"#{table_id} tbody tr", f"rows => rows.filter(r => r.style.display !== 'none')"
                                     f".map(r => r.cells[{i}].textContent)")


def test_the_report_works_offline_points_answer_and_the_table_sorts(tmp_path, browser):
    history, paths = synthetic_study(tmp_path)
    path = build_report(paths, {"space": SPACE}, FRONTIER, OBJS, tmp_path / "report",
                        card_link="../frontier/models/{scenario}/README.md")
    page, asked, errors = open_offline(browser, path)
    assert asked == [] and errors == []
    text = hover(page, "frontier", "baseline")
    assert "round 0, trial 0" in text and "n_layers: 6" in text and "status: ok" in text, text
    assert page.locator("#parallel .parcoords").count() == 1 and page.locator("#hypervolume .scatterlayer").count() == 1
    # sort by exact (a click, then the other way), filter the status column to the failed trial
    headings = page.eval_on_selector_all("#trials thead th[data-col]", "hs => hs.map(h => h.textContent)")
    i, status = headings.index("exact"), headings.index("status")
    page.click(f"#trials thead th[data-col='{i}']")
    up = [float(v) for v in column(page, "trials", i) if v]
    page.click(f"#trials thead th[data-col='{i}']")
    down = [float(v) for v in column(page, "trials", i) if v]
    assert up == sorted(up) and down == sorted(up, reverse=True) and len(up) == len(history) - 1
    page.fill(f"#trials thead input[data-col='{status}']", "failed")
    assert column(page, "trials", status) == ["failed"]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000


def test_without_javascript_the_report_shows_its_figures(tmp_path, browser):
    _, paths = synthetic_study(tmp_path)
    path = build_report(paths, {"space": SPACE}, FRONTIER, OBJS, tmp_path / "report")
    page, asked, _ = open_offline(browser, path, javascript=False)
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert asked == [] and len(sizes) == 6  # the interactive figures' PNGs among them
    assert all(ok and w > 300 and h > 200 for ok, w, h in sizes), sizes
    sections = page.eval_on_selector_all("section", "ss => ss.map(s => [s.innerText.trim().length, "
                                                    "s.querySelectorAll('img').length])")
    assert len(sections) == 9 and all(text > 20 or images for text, images in sections), sections


def test_the_progress_page_after_round_0_works_offline(smoke, tmp_path, browser):
    page, asked, errors = open_offline(browser, smoke / "progress" / "round-0" / "index.html")
    assert asked == [] and errors == []
    text = hover(page, "frontier", "baseline")
    # the smoke study's two round-0 students share one point (their size and score): either answers
    assert re.search(r"round 0, trial [01]", text) and "status: ok" in text and "reason" not in text, text
    observed = pd.read_parquet(smoke / "search" / "round-0" / "observations.parquet")
    assert len(column(page, "trials", 0)) == len(observed)  # round 0's models, a row each
