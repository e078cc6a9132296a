"""Open Model Zoo models, fetched by the real ``omz_downloader`` and ``omz_converter``.

Explained in 01-model-preparation. The tools come from ``openvino-dev``, which ended at
2024.6 and pins its own OpenVINO, so they live in their own environment (``.venv-omz`` of
the checkout, made by ``make omz-tools``) and run as programs, never imported: the
kernel's current OpenVINO then loads the IR they write. ``$OVOCR_OMZ_TOOLS`` names another
folder holding them; the ``PATH`` is the last resort.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ModelError, OfflineError
from ..paths import models_dir, project_root
from ..registry import DEFAULT_DET, DEFAULT_REC
from ..specs import ModelSpec
from ..store import write_entry

OMZ_HOST = "storage.openvinotoolkit.org"
OMZ_TIMEOUT_S = 900
TOOLS = ("omz_downloader", "omz_converter", "omz_info_dumper")
# Where a venv keeps its programs, and their suffix: Scripts\*.exe on Windows.
SCRIPTS, EXE = ("Scripts", ".exe") if os.name == "nt" else ("bin", "")
HOW_TO_INSTALL = (
    "create their environment with `make omz-tools` (.venv-omz, openvino-dev 2024.6), "
    "or set OVOCR_OMZ_TOOLS to a folder holding them"
)


class ToolRun(NamedTuple):
    """What an Open Model Zoo tool printed, and how it ended."""

    returncode: int
    stdout: str
    stderr: str


def omz_tools_dir() -> Path | None:
    """The folder of the Open Model Zoo tools, or ``None`` when they are not installed.

    ``$OVOCR_OMZ_TOOLS`` when set (only there), else ``.venv-omz/bin`` of the checkout,
    else wherever ``omz_downloader`` is on the ``PATH``.
    """
    env = os.environ.get("OVOCR_OMZ_TOOLS", "").strip()
    candidates = [Path(env).expanduser()] if env else []
    root = project_root()
    if not env and root is not None:
        candidates.append(root / ".venv-omz" / SCRIPTS)
    if not env and shutil.which("omz_downloader"):
        candidates.append(Path(shutil.which("omz_downloader") or "").parent)
    for folder in candidates:
        if all(os.access(folder / (tool + EXE), os.X_OK) for tool in TOOLS):
            return folder
    return None


def omz_tool(tool: str) -> Path:
    """Path of one Open Model Zoo tool; a ``ModelError`` saying how to install it if absent."""
    if tool not in TOOLS:
        raise ModelError(f"{tool}: not an Open Model Zoo tool; choose one of {', '.join(TOOLS)}")
    folder = omz_tools_dir()
    if folder is None:
        where = os.environ.get("OVOCR_OMZ_TOOLS", "").strip() or f".venv-omz/{SCRIPTS}"
        raise ModelError(f"{tool}: the Open Model Zoo tools are not in {where}; {HOW_TO_INSTALL}")
    return folder / (tool + EXE)


def _tool_env(folder: Path) -> dict[str, str]:
    """The tools' own Python must not see this process's packages; ``mo`` must be theirs."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join([str(folder), env.get("PATH", "")])
    return env


def run_omz_tool(
    tool: str, args: Sequence[str | os.PathLike], timeout: float = OMZ_TIMEOUT_S
) -> ToolRun:
    """Run an Open Model Zoo tool from its own environment and return what it printed.

    Example (notebook 01)::

        run = run_omz_tool("omz_info_dumper", ["--name", "text-recognition-0014"])
        info = json.loads(run.stdout) if run.returncode == 0 else None

    Raises:
        ModelError: the tools are not installed (the message says how), or the tool did
            not finish within ``timeout`` seconds.
    """
    path = omz_tool(tool)
    cmd = [str(path), *(str(a) for a in args)]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=_tool_env(path.parent)
        )
    except subprocess.TimeoutExpired:
        raise ModelError(f"{tool}: did not finish in {timeout:.0f} s") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot run ({exc.strerror or exc}); {HOW_TO_INSTALL}") from None
    return ToolRun(done.returncode, done.stdout, done.stderr)


def omz_reachable(timeout: float = 3.0) -> bool:
    """True when the Open Model Zoo storage host answers on HTTPS within ``timeout``."""
    try:
        with socket.create_connection((OMZ_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _run_or_fail(tool: str, args: list[str], name: str, alternative: str) -> None:
    try:
        done = run_omz_tool(tool, args)
    except ModelError as exc:
        raise OfflineError(f"{name}: {exc}; use the packaged model '{alternative}'") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        cause = next((ln for ln in reversed(lines) if "Error" in ln), lines[-1] if lines else "")
        raise OfflineError(
            f"{name}: {tool} failed ({cause.strip()[:200]}); "
            f"use the packaged model '{alternative}' instead"
        )


def prepare_omz(spec: ModelSpec, target: Path, say: Callable[[str], None]) -> None:
    """Download (and if needed convert) ``spec`` with the tools; commit its FP16 IR."""
    alternative = DEFAULT_DET if spec.task == "det" else DEFAULT_REC
    if omz_tools_dir() is None:
        raise ModelError(
            f"{spec.name}: the Open Model Zoo tools are not installed; {HOW_TO_INSTALL}. "
            f"Or use the packaged model '{alternative}' (works offline once prepared)"
        )
    if not omz_reachable():
        raise OfflineError(
            f"{spec.name}: Open Model Zoo download needs {OMZ_HOST}, which is not reachable "
            f"(offline?). Use the packaged model '{alternative}' instead (works offline once "
            "prepared), or pass a local IR path, e.g. --det path/to/model.xml"
        )
    raw, cache = models_dir() / ".omz" / "raw", models_dir() / ".omz" / "cache"
    args = ["--name", spec.name, "--output_dir", str(raw), "--cache_dir", str(cache)]
    say(f"{spec.name}: running omz_downloader {' '.join(args)} --precisions FP16")
    download = [*args, "--precisions", "FP16", "--num_attempts", "2"]
    _run_or_fail("omz_downloader", download, spec.name, alternative)
    found = sorted(raw.rglob(f"{spec.name}.xml"))
    if not found:
        say(f"{spec.name}: running omz_converter")
        convert = ["--name", spec.name, "--download_dir", str(raw), "--output_dir", str(raw)]
        _run_or_fail("omz_converter", [*convert, "--precisions", "FP16"], spec.name, alternative)
        found = sorted(raw.rglob(f"{spec.name}.xml"))
    if not found:
        raise ModelError(f"{spec.name}: omz tools finished but produced no {spec.name}.xml")
    xml = next((p for p in found if "FP16" in p.parts), found[0])

    def build(tmp: Path) -> tuple[str, dict[str, Any]]:
        shutil.copyfile(xml, tmp / "model.xml")  # copyfile: default modes, not the tools'
        shutil.copyfile(xml.with_suffix(".bin"), tmp / "model.bin")
        return "model.xml", {"source": "open_model_zoo"}

    write_entry(target, build)
