"""The workshop kit sets up a fresh clone with no network at all.

``tools/kit.py build`` writes a kit from this checkout (wheels of the lock for this machine,
the Open Model Zoo tools' wheels, the prepared default models, the tutorial photo). Then a copy
of the checkout, as a fresh clone would have it, runs ``make setup KIT=...`` inside a network
namespace that has no network (``unshare -n``), and reads the tutorial photo with the
installed ``ovocr``. What this covers: this machine's platform and Python, every package of
the lock, the editable install's build backend, the tools' environment, the models and photo.
Other platforms (``KIT_TARGETS``) are not installed here: there is no Windows or macOS to do it.

It is slow (about 500 MB of wheels, from the pip cache when it is warm, and a full install), so
it runs under CI and locally only with ``OVOCR_KIT_TEST=1``; elsewhere it skips saying so.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PHOTO = "intel_rnb.jpg"
pytestmark = pytest.mark.kit


def _works(prefix: list[str]) -> bool:
    try:
        done = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def no_network_prefix() -> list[str] | None:
    """A command prefix that runs its command in a namespace without network, or None.

    Root can ``unshare -n``; an ordinary user can when user namespaces are allowed
    (``unshare -rn``); on CI runners that forbid both, passwordless sudo enters the namespace
    and ``setpriv`` drops back to the user.
    """
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        if shutil.which("unshare") and _works(prefix):
            return prefix
    user = [f"--reuid={os.getuid()}", f"--regid={os.getgid()}", "--clear-groups"]
    prefix = ["sudo", "-n", "unshare", "-n", "--", "setpriv", *user, "--"]
    return prefix if shutil.which("sudo") and shutil.which("setpriv") and _works(prefix) else None


def run_offline(prefix: list[str], command: list[str], env: dict[str, str], cwd: Path):
    # sudo resets the environment: hand it over explicitly with env(1).
    full = [*prefix, "env", *(f"{k}={v}" for k, v in env.items()), *command]
    done = subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, (
        f"{' '.join(command)} failed offline:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def fresh_clone(target: Path) -> Path:
    """Copy the files git knows (tracked, and new ones not ignored): a clone of this tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (os.environ.get("CI") or os.environ.get("OVOCR_KIT_TEST")):
        pytest.skip(
            "slow kit test (~500 MB of wheels, a full install): CI runs it; OVOCR_KIT_TEST=1"
        )
    if not VENV_PYTHON.is_file():
        pytest.skip(f"no .venv here ({VENV_PYTHON.relative_to(ROOT)}): run make setup first")
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed to clone and set up")
    folder = tmp_path_factory.mktemp("kit") / "kit"
    subprocess.run([VENV_PYTHON, ROOT / "tools" / "kit.py", "build", folder], cwd=ROOT, check=True)
    return folder


def test_the_kit_holds_wheels_models_and_the_photo(kit: Path):
    from packaging.markers import default_environment

    spec = importlib.util.spec_from_file_location("kit_tool", ROOT / "tools" / "kit.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)  # the same marker filter the kit uses for other platforms
    files = {p.name.lower() for p in (kit / "wheels").iterdir()}
    for pin in tool.pinned_for(ROOT / "requirements.txt", default_environment()):
        name, version = pin.split("==")
        stem = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"
        assert any(f.startswith(stem) for f in files), f"no wheel for {pin} in the kit"
    assert any(f.startswith("setuptools-") for f in files), "no build backend for pip install -e"
    described = json.loads((kit / "kit.json").read_text())
    for name in described["models"]:
        assert (kit / "models" / name / "model.xml").is_file(), name
    assert (kit / "models" / ".wheels").is_dir()
    assert described["photo"] == (kit / "samples" / PHOTO).is_file()


def test_a_fresh_clone_sets_up_from_the_kit_with_no_network(kit: Path, tmp_path: Path):
    prefix = no_network_prefix()
    if prefix is None:
        pytest.skip("cannot create a network namespace here (unshare -n, unshare -rn, sudo)")
    clone = fresh_clone(tmp_path / "clone")
    empty = tmp_path / "no-shared-data"
    empty.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),  # a learner's laptop: no pip cache, no ovocr cache
        "OVOCR_SHARED_DATA": str(empty),
        "PIP_CONFIG_FILE": os.devnull,
    }
    make = ["make", "setup", f"KIT={kit}", f"PYTHON={sys.executable}"]
    run_offline(prefix, make, env, clone)
    read = (
        "import ovocr; from ovocr.samples import sample_image; s = sample_image(); "
        "print(s.name); print(ovocr.load_pipeline(precision='f32')(s).text)"
    )
    done = run_offline(prefix, [str(clone / ".venv" / "bin" / "python"), "-c", read], env, clone)
    name, *text = done.stdout.split("\n")
    assert "ROBERT" in " ".join(text) and "NOYCE" in " ".join(text), done.stdout
    if (kit / "samples" / PHOTO).is_file():
        assert name == PHOTO, "the kit's photo was not installed"
