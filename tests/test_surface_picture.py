"""The attack-surface pictures in a real headless browser: they render, and no label is clipped or drawn over another.

Debian's chromium (installed by scripts/setup-browser.sh, which the project's set-up runs) is driven through its
command line: ``--screenshot`` for the render, ``--dump-dom`` of a page that inlines the SVG and measures every
``<text>`` with the browser's own layout (``getBoundingClientRect``, in the fonts the browser actually uses).
The committed SVGs are the ones checked; tests/test_surface.py proves they are what the code produces.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from blueprint.docs import surface

SVGS = sorted(surface.DOCS.glob("*.svg"))
CHROMIUM = os.environ.get("ZTAI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TOLERANCE = 1.0  # CSS px: anti-aliasing and rounding at a box's edge
MEASURE = """
<script>
const svg = document.querySelector("svg");
const root = svg.getBoundingClientRect();
const labels = [...svg.querySelectorAll("text")].filter(t => t.textContent.trim()).map(t => {
  const r = t.getBoundingClientRect();
  return {text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
});
document.getElementById("result").textContent = JSON.stringify({
  root: {left: root.left, top: root.top, right: root.right, bottom: root.bottom}, labels});
</script>
"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is missing ({CHROMIUM}): run scripts/setup-browser.sh (the project's set-up does)")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-dev-shm-usage", "--font-render-hinting=none", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def size_px(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert match, "the SVG root has no width/height in pt"
    return round(float(match.group(1)) * 4 / 3), round(float(match.group(2)) * 4 / 3)


def test_every_view_of_every_environment_is_there() -> None:
    names = {p.name for p in SVGS}
    for env in ("dev", "local", "prod", "staging"):
        assert {f"{env}.svg", f"{env}-overview.svg"} <= names


@pytest.mark.parametrize("path", SVGS, ids=[p.name for p in SVGS])
def test_the_svg_renders(path: Path, tmp_path: Path) -> None:
    from PIL import Image

    width, height = size_px(path.read_text(encoding="utf-8"))
    assert width > 200 and height > 200
    shot = tmp_path / "shot.png"
    result = chromium(f"--screenshot={shot}", f"--window-size={width},{height}", path.resolve().as_uri())
    assert shot.exists() and shot.stat().st_size > 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (width, height)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    # something is drawn: more than a blank page's one or two colours, and not mostly empty
    assert colours is None or len(colours) > 20, f"{path.name} rendered (almost) blank"
    if colours is not None:
        white = sum(count for count, rgb in colours if min(rgb) > 245)
        assert white < 0.97 * width * height, f"{path.name} rendered (almost) blank"


def label_problems(svg: str, tmp_path: Path) -> tuple[list[str], list[tuple[str, str, float, float]]]:
    """(labels outside the SVG's viewport, pairs of labels whose boxes intersect), measured by chromium."""
    body = svg[svg.index("<svg"):]
    page = tmp_path / "measure.html"
    page.write_text(f'<!DOCTYPE html><html><body style="margin:0">{body}<pre id="result"></pre>{MEASURE}'
                    "</body></html>", encoding="utf-8")
    width, height = size_px(svg)
    result = chromium("--dump-dom", f"--window-size={width},{height}", page.resolve().as_uri())
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1), f"the measuring page did not run: {result.stderr[-2000:]}"
    measured = json.loads(unescape(found.group(1)))
    root, labels = measured["root"], measured["labels"]
    assert root["right"] - root["left"] > 200 and root["bottom"] - root["top"] > 200, root
    assert labels, "no labels were measured"
    clipped = [label["text"] for label in labels
               if label["left"] < root["left"] - TOLERANCE or label["top"] < root["top"] - TOLERANCE
               or label["right"] > root["right"] + TOLERANCE or label["bottom"] > root["bottom"] + TOLERANCE]
    overlapping = []
    for index, first in enumerate(labels):
        for second in labels[index + 1:]:
            across = min(first["right"], second["right"]) - max(first["left"], second["left"])
            down = min(first["bottom"], second["bottom"]) - max(first["top"], second["top"])
            if across > TOLERANCE and down > TOLERANCE:
                overlapping.append((first["text"], second["text"], round(across, 1), round(down, 1)))
    return clipped, overlapping


@pytest.mark.parametrize("path", SVGS, ids=[p.name for p in SVGS])
def test_labels_are_inside_the_picture_and_do_not_overlap(path: Path, tmp_path: Path) -> None:
    clipped, overlapping = label_problems(path.read_text(encoding="utf-8"), tmp_path)
    assert not clipped, f"{path.name}: labels outside the picture: {clipped}"
    assert not overlapping, f"{path.name}: labels drawn over each other: {overlapping[:10]}"


def test_the_check_sees_a_clipped_and_an_overlapping_label(tmp_path: Path) -> None:
    svg = ('<svg width="300pt" height="300pt" viewBox="0 0 300 300" xmlns="http://www.w3.org/2000/svg">'
           '<text x="20" y="40" font-family="Arial" font-size="14">training cluster</text>'
           '<text x="30" y="44" font-family="Arial" font-size="14">model registry</text>'
           '<text x="250" y="150" font-family="Arial" font-size="14">serving endpoint</text>'
           '<text x="20" y="200" font-family="Arial" font-size="14">callers</text></svg>')
    clipped, overlapping = label_problems(svg, tmp_path)
    assert clipped == ["serving endpoint"]
    assert [(a, b) for a, b, _, _ in overlapping] == [("training cluster", "model registry")]
