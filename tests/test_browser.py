"""The report rendered in a real browser: headless Chromium from Debian's packages."""
import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import pytest
from test_report import FRONTIER, OBJS, SPACE, synthetic_study

from distilbo.report.build import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]


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
    page = build_report(paths, {"space": SPACE}, FRONTIER, OBJS, tmp_path / "report")
    assert "<script" not in page.read_text()  # the page is static: nothing runs in the reader's browser
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    parser = Sections()
    parser.feed(dom)
    assert len(parser.sections) == 8 and sum(s["images"] for s in parser.sections) == 6
    for s in parser.sections:
        assert len(s["text"]) > 20 or s["images"], s
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', dom):  # every image decodes to a real figure
        image = plt.imread(io.BytesIO(base64.b64decode(uri)), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0
    shot = tmp_path / "report-screenshot.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1200,4200", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    rendered = plt.imread(shot)
    assert rendered.shape[:2] == (4200, 1200) and rendered.std() > 0.05  # not a blank page


# Test-only: a script appended to a copy of the page records what Chromium decoded of each image.
PROBE = ("<script>window.addEventListener('load', () => document.body.setAttribute('data-images', "
         "[...document.images].map(i => `${i.complete}:${i.naturalWidth}x${i.naturalHeight}`).join(' ')))</script>")


def test_the_progress_page_after_round_0_renders_with_its_images_decoded(smoke, tmp_path):
    page = (smoke / "progress" / "round-0" / "index.html").read_text()
    assert "<script" not in page
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=" + str(tmp_path / "profile"), "--virtual-time-budget=5000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
    decoded = re.search(r'data-images="([^"]*)"', dom).group(1).split()
    assert len(decoded) == 2  # the frontier so far, the hypervolume per round
    for image in decoded:
        complete, size = image.split(":")
        width, height = map(int, size.split("x"))
        assert complete == "true" and width > 300 and height > 200, image
    parser = Sections()
    parser.feed(dom)
    assert [len(s["text"]) > 20 for s in parser.sections] == [True] * 4
