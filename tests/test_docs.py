"""The README and docs/: short, every link resolves, every command they show exists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in page.read_text().splitlines()
            if line.startswith("#")}


def shell_lines(page: Path) -> list[str]:
    """The commands in a page's ```sh blocks (comments and continuation lines left out)."""
    blocks = re.findall(r"```sh\n(.*?)```", page.read_text(), re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.startswith((" ", "#"))]


def test_readme_is_short():
    """The README is a page a newcomer reads in five minutes: at most 150 lines."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page):
    """Every relative link of the README and docs/ names an existing file, and every #anchor
    a heading of the page it points to."""
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target}"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.name}: {target}"


def test_every_command_in_the_readme_exists():
    """Each `make` target, `digitrt` subcommand, pip extra and `python -m` module the README's
    shell blocks show exists."""
    makefile = (ROOT / "Makefile").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    commands = shell_lines(ROOT / "README.md")
    assert any(c.startswith("make test") for c in commands)
    for command in commands:
        words = command.split()
        if words[0] == "make":
            assert re.search(rf"^{re.escape(words[1])}:", makefile, re.M), command
        elif words[0] == "digitrt":
            run = subprocess.run([sys.executable, "-m", "digitrt", words[1], "--help"],
                                 capture_output=True, cwd=ROOT, timeout=60)
            assert run.returncode == 0, command
        elif words[:2] == ["pip", "install"]:
            extra = re.search(r"\[(\w+)\]", command)
            assert extra is None or extra.group(1) in extras, command
        elif words[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(words[2]) is not None, command
        else:
            pytest.fail(f"a README command this test does not know how to check: {command}")


def test_every_name_of_the_readme_quick_start_exists():
    """The Python quick start uses only names digitrt and its Recognizer, Prediction and
    Reading have."""
    import digitrt

    code = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    owners = {"digitrt": digitrt, "rec": digitrt.Recognizer, "mine": digitrt.Recognizer,
              "p": digitrt.Prediction, "r": digitrt.Reading}
    used = re.findall(r"\b(digitrt|rec|mine|p|r)\.(\w+)", code)
    assert len(used) >= 10
    for owner, name in used:
        fields = getattr(owners[owner], "__dataclass_fields__", {})
        assert hasattr(owners[owner], name) or name in fields, f"{owner}.{name}"
