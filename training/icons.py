"""Line icons (Lucide, ISC licence) as not-a-digit training drawings: the second stage's doodles.

    python -m training.icons          # (re)fetch them with npm and verify the package's checksum

training/icons/lucide.json.gz holds every icon's SVG elements and search tags, taken from the npm
package lucide-static at the pinned version (icon-nodes.json, tags.json); its licence is beside
it. Icons are drawn on a 24 x 24 grid with strokes only, so each becomes pen strokes
(`strokes`), which training/synth.py redraws with a wobbling pen like every other doodle.

Left out (`kept`): icons of the not-a-digit test's held-out kinds (hearts, houses, suns, waves,
spirals, by name or tag), so that test stays unseen; and icons that are, or hold little more
than, a digit, a circle or a line (`DIGIT_LIKE`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "icons"
FILE = FOLDER / "lucide.json.gz"
PACKAGE, VERSION = "lucide-static", "1.62.0"
SHA256 = "386f9080c440d6f5049cefe3456ae8357f7a0c7f76e59670cd1cb83bc7050a44"  # the npm tarball
FILE_SHA256 = "2e6f3f80245076694534a69d7a6e1e41fc1b4e624e30479dadbecd44d18fc3be"  # what fetch writes
HELD_OUT_WORDS = ("heart", "house", "home", "sun", "wave", "spiral")
# Icons that read as a digit or a lone mark, by name: circles and round outlines (0s), a
# slashed circle (a programmer's 0), bars and lines (1s), a B, brackets, a bulb on a stem.
DIGIT_LIKE = ("circle", "circle-dashed", "circle-small", "circle-slash", "ban", "phi", "dot",
              "minus", "slash", "egg", "ellipse", "badge", "squircle", "square-round-corner",
              "octagon", "hexagon", "loader-circle", "lens-concave", "lens-convex",
              "message-circle", "pill", "italic", "pipe", "separator-vertical",
              "separator-horizontal", "square", "rectangle-horizontal", "rectangle-vertical",
              "diameter", "radius", "torus", "cylinder", "baseline", "underline",
              "strikethrough", "bold", "bluetooth", "parentheses", "thermometer",
              "line-dot-bottom-vertical", "line-dot-top-vertical", "line-dot-left-horizontal",
              "line-dot-right-horizontal")
Stroke = list[tuple[float, float]]


def fetch() -> None:
    """Fetch the npm package, verify its sha256, keep the icons' elements, tags and licence."""
    FOLDER.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True,
                       capture_output=True)
        tarball = Path(tmp) / f"{PACKAGE}-{VERSION}.tgz"
        if hashlib.sha256(tarball.read_bytes()).hexdigest() != SHA256:
            raise RuntimeError(f"{PACKAGE}@{VERSION} does not match its pinned sha256")
        with tarfile.open(tarball) as tar:
            def member(name: str) -> bytes:
                f = tar.extractfile(f"package/{name}")
                assert f is not None
                return f.read()

            nodes, tags = json.loads(member("icon-nodes.json")), json.loads(member("tags.json"))
            (FOLDER / "lucide.LICENSE").write_bytes(member("LICENSE"))
    icons = {name: {"nodes": nodes[name], "tags": tags.get(name, [])} for name in sorted(nodes)}
    with gzip.GzipFile(FILE, "wb", mtime=0) as f:  # mtime 0: the same bytes on every fetch
        f.write(json.dumps(icons, separators=(",", ":")).encode())
    print(f"{PACKAGE}@{VERSION}: {len(icons)} icons")


@cache
def all_icons() -> dict[str, dict]:  # type: ignore[type-arg]
    if not FILE.is_file():
        raise RuntimeError(f"{FILE} is missing; run python -m training.icons")
    data = FILE.read_bytes()
    if hashlib.sha256(data).hexdigest() != FILE_SHA256:
        raise RuntimeError(f"{FILE} does not match its sha256; run python -m training.icons")
    return json.loads(gzip.decompress(data))  # type: ignore[no-any-return]


def held_out_kind(name: str, tags: list[str]) -> bool:
    words = name.split("-") + [w for t in tags for w in re.split(r"[\s-]+", t.lower())]
    return any(h in w for h in HELD_OUT_WORDS for w in words)


@cache
def kept() -> tuple[str, ...]:
    """Names of the icons used for training (see the module docstring)."""
    return tuple(name for name, icon in all_icons().items()
                 if not held_out_kind(name, icon["tags"]) and name not in DIGIT_LIKE
                 and not re.search(r"\d|number|zero", name))


@cache
def strokes(name: str) -> tuple[Stroke, ...]:
    """An icon's elements as polylines on its 24 x 24 grid (curves and arcs sampled)."""
    out: list[Stroke] = []
    for tag, a in all_icons()[name]["nodes"]:
        f = {k: float(v) for k, v in a.items() if k in ("cx", "cy", "r", "rx", "ry", "x", "y",
                                                       "width", "height", "x1", "y1", "x2", "y2")}
        if tag == "path":
            out += _path(a["d"])
        elif tag in ("circle", "ellipse"):
            rx, ry = f.get("rx", f.get("r", 0.0)), f.get("ry", f.get("r", 0.0))
            out.append(_ellipse(f["cx"], f["cy"], rx, ry))
        elif tag == "rect":
            x, y, w, h = f.get("x", 0.0), f.get("y", 0.0), f["width"], f["height"]
            out.append([(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)])
        elif tag == "line":
            out.append([(f["x1"], f["y1"]), (f["x2"], f["y2"])])
        elif tag in ("polyline", "polygon"):
            v = [float(n) for n in re.split(r"[\s,]+", a["points"].strip())]
            pts = list(zip(v[::2], v[1::2], strict=True))
            out.append(pts + pts[:1] if tag == "polygon" else pts)
    return tuple(s for s in out if len(s) > 1)


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> Stroke:
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t))
            for t in (2 * math.pi * k / 24 for k in range(25))]


def _path(d: str) -> list[Stroke]:
    """SVG path data as polylines: one per subpath, curves sampled every ~0.5 grid units."""
    from svg.path import Line, Move, parse_path

    out: list[Stroke] = []
    for segment in parse_path(d):
        if isinstance(segment, Move):
            out.append([(segment.end.real, segment.end.imag)])
            continue
        if not out:
            out.append([(segment.start.real, segment.start.imag)])
        n = 1 if isinstance(segment, Line) else max(2, int(segment.length() / 0.5))
        out[-1] += [(p.real, p.imag) for p in (segment.point(k / n) for k in range(1, n + 1))]
    return out


if __name__ == "__main__":
    fetch()
    sys.exit(0)
