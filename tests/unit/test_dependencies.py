"""Declared dependencies: pyproject's ranges hold what the code needs and cover the lock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [
        r for name, reqs in project["optional-dependencies"].items() if name != "omz" for r in reqs
    ]
    return {
        canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"] + extras)
    }


def locked() -> dict[str, list[Version]]:
    pins: dict[str, list[Version]] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([\w.+!-]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match[1]), []).append(Version(match[2]))
    return pins


def test_every_locked_version_is_inside_the_declared_range():
    pins = locked()
    for name, requirement in declared().items():
        for version in pins.get(name, []):
            assert requirement.specifier.contains(version, prereleases=True), (name, version)


@pytest.mark.parametrize(
    ("name", "too_old_or_new"),
    [
        ("pillow", "10.0.1"),  # exif_transpose(in_place=) came in 10, load_default(size=) in 10.1
        ("shapely", "1.8.5"),  # the 2.x API
        ("scikit-learn", "1.10.0"),  # regions.train reads private attributes of its trees
        ("filelock", "3.12.0"),  # FileLock(is_singleton=)
    ],
)
def test_versions_the_code_cannot_run_on_are_excluded(name, too_old_or_new):
    assert not declared()[name].specifier.contains(too_old_or_new)


def test_the_lock_holds_no_package_nothing_uses():
    # skops was pinned but never imported; what only it needed left with it
    pins = locked()
    assert "skops" not in pins and "prettytable" not in pins
    assert "skops" not in (ROOT / "requirements.in").read_text()


def test_the_package_is_typed_and_make_lint_checks_its_types():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert (ROOT / "utils" / "ovocr" / "py.typed").is_file()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["ovocr"]
    assert project["tool"]["mypy"]["files"] == ["utils/ovocr"]
    lint = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/mypy" in lint
