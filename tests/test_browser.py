"""The report rendered in a real browser: headless Chromium from Debian's packages."""
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_report import OBJS, SPACE, synthetic_study
from distilbo.report.build import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


class Sections(HTMLParser):
    """Text and images per <section>."""

    def __init__(self):
        super().__init__()
        self.sections, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.sections.append({"text": "", "images": 0})
        elif tag == "img" and self.sections:
            self.sections[-1]["images"] += 1

    def handle_data(self, data):
        if self.sections:
            self.sections[-1]["text"] += data.strip()


def test_report_renders_with_every_image_and_no_empty_section(tmp_path):
    _, paths = synthetic_study(tmp_path)
    page = build_report(paths, {"space": SPACE}, {"quality": "exact", "size": "num_parameters"}, OBJS, tmp_path / "report")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded and loaded.group(1) == loaded.group(2) == "6", dom[:300]
    parser = Sections()
    parser.feed(dom)
    assert len(parser.sections) == 8
    for s in parser.sections:
        assert len(s["text"]) > 20 or s["images"], s
    shot = Path(__file__).resolve().parents[1] / "benchmarks" / "out" / "report-screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1200,4200", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 50_000
