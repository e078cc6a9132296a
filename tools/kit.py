"""The workshop kit: everything a room without internet needs, in one folder.

``make kit KIT=DIR`` runs ``build``; ``make setup KIT=DIR`` installs the Python packages from
``DIR/wheels`` with ``pip --no-index`` and then runs ``install`` for the rest. The kit holds:

* ``wheels/``: every wheel of ``requirements.txt`` (the lock) and the build backend of
  ``pyproject.toml``, for the machine and Python that build the kit, plus each ``--target``;
* ``wheels-omz/``: the wheels of ``requirements-omz.txt`` (the Open Model Zoo tools);
* ``models/``: the prepared default models (and the INT8 detector when it is prepared), and
  the model wheel ``models/.wheels`` that notebook 01 opens;
* ``samples/intel_rnb.jpg``: the tutorial photo, when this machine has it.

A target is ``PLATFORM:PYTHON``, e.g. ``win_amd64:3.12`` or ``macosx_14_0_arm64:3.11``.
``pip download --platform`` evaluates environment markers for the machine it runs on, not for
the target (pypa/pip#11664), so each target's requirements are filtered here with the target's
markers first and then downloaded without dependency resolution: the lock lists every package.

Usage::

    python tools/kit.py build DIR [--target win_amd64:3.12 ...]
    python tools/kit.py install DIR
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PHOTO = "intel_rnb.jpg"
# Marker values of each target family (https://peps.python.org/pep-0508/#environment-markers).
FAMILIES = {
    "win": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    "macosx": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    "manylinux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
}
ARCHES = {"amd64": "AMD64", "x86_64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}


def say(message: str) -> None:
    print(f"kit: {message}", flush=True)


def pip(*args: str | Path) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *map(str, args)]
    subprocess.run(command, check=True)


def target_environment(target: str) -> tuple[str, str, dict[str, str]]:
    """``(platform tag, python version, marker environment)`` of ``PLATFORM:PYTHON``."""
    tag, sep, version = target.partition(":")
    family = next((f for f in FAMILIES if tag.startswith(f)), None)
    if not sep or family is None or version.count(".") != 1:
        raise SystemExit(
            f"kit: {target}: expected PLATFORM:PYTHON such as win_amd64:3.12, "
            "macosx_14_0_arm64:3.11 or manylinux_2_28_x86_64:3.10"
        )
    machine = next((m for suffix, m in ARCHES.items() if tag.endswith(suffix)), None)
    if machine is None:
        raise SystemExit(f"kit: {target}: unknown architecture (known: {', '.join(ARCHES)})")
    environment = {
        **FAMILIES[family],
        "platform_machine": machine,
        "python_version": version,
        "python_full_version": f"{version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    return tag, version, environment


def pinned_for(requirements: Path, environment: dict[str, str]) -> list[str]:
    """The lines of a lock whose markers hold in ``environment``, without their markers."""
    pins = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            pins.append(str(requirement))
    return pins


def download_target(target: str, requirements: Path, wheels: Path) -> None:
    tag, version, environment = target_environment(target)
    pins = pinned_for(requirements, environment)
    with tempfile.TemporaryDirectory() as tmp:
        listed = Path(tmp) / "requirements.txt"
        listed.write_text("\n".join(pins) + "\n", encoding="utf-8")
        say(f"{len(pins)} wheels of {requirements.name} for {tag}, Python {version}")
        pip(
            "download", "-q", "--no-deps", "--only-binary=:all:", "--platform", tag,
            "--python-version", version, "--implementation", "cp", "-r", listed, "-d", wheels,
        )  # fmt: skip


def build_requirements() -> list[str]:
    """``[build-system] requires`` of pyproject.toml (no tomllib: Python 3.10 has none)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[build-system]", 1)[1].split("\n[", 1)[0]
    line = next(row for row in section.splitlines() if row.strip().startswith("requires"))
    return list(json.loads(line.split("=", 1)[1]))


def copy_models(kit: Path) -> list[str]:
    """Copy the prepared default models (and INT8 detector, model wheels) into ``kit``."""
    from ovocr import models

    names = [models.DEFAULT_DET, models.DEFAULT_REC, models.DEFAULT_CLS]
    missing = [name for name in names if not models.is_prepared(name)]
    if missing:
        raise SystemExit(f"kit: {', '.join(missing)} not prepared: run make models first")
    names += [n for n in ("ppocrv6-small-det-int8",) if models.is_prepared(n)]
    source, target = models.models_dir(), kit / "models"
    for name in [*names, ".wheels"]:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
    return names


def copy_photo(kit: Path) -> bool:
    from ovocr.samples import sample_image

    photo = sample_image()
    if photo.name != PHOTO:
        say("the tutorial photo is not available here; learners get the rendered stand-in")
        return False
    (kit / "samples").mkdir(parents=True, exist_ok=True)
    shutil.copy2(photo, kit / "samples" / PHOTO)
    return True


def build(kit: Path, targets: list[str]) -> None:
    kit.mkdir(parents=True, exist_ok=True)
    wheels = kit / "wheels"
    here = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    say(f"wheels of requirements.txt for this machine ({here})")
    pip("download", "-q", "-r", ROOT / "requirements.txt", *build_requirements(), "-d", wheels)
    if sys.version_info < (3, 13):
        say("wheels of requirements-omz.txt (the Open Model Zoo tools)")
        pip("download", "-q", "-r", ROOT / "requirements-omz.txt", "-d", kit / "wheels-omz")
    for target in targets:
        download_target(target, ROOT / "requirements.txt", wheels)
    names = copy_models(kit)
    photo = copy_photo(kit)
    covered = [here, *targets]
    (kit / "kit.json").write_text(
        json.dumps({"platforms": covered, "models": names, "photo": photo}, indent=1) + "\n",
        encoding="utf-8",
    )
    size = sum(p.stat().st_size for p in kit.rglob("*") if p.is_file()) / 1e9
    say(f"{kit.name}: {size:.1f} GB for {'; '.join(covered)}; models {', '.join(names)}")


def install(kit: Path) -> None:
    """Copy the kit's models and photo into place (the wheels are installed by make)."""
    from ovocr import models
    from ovocr.samples import PHOTO_SHA256, cache_dir

    target = models.models_dir()
    for folder in sorted((kit / "models").iterdir()) if (kit / "models").is_dir() else []:
        if not (target / folder.name).exists():
            shutil.copytree(folder, target / folder.name)
            say(f"model {folder.name} copied")
    photo = kit / "samples" / PHOTO
    if photo.is_file() and models.sha256_of(photo) == PHOTO_SHA256:
        cache_dir().mkdir(parents=True, exist_ok=True)
        shutil.copy2(photo, cache_dir() / PHOTO)
        say("tutorial photo copied")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["build", "install"])
    parser.add_argument("kit", type=Path, help="the kit folder")
    parser.add_argument("--target", action="append", default=[], help="PLATFORM:PYTHON")
    args = parser.parse_args(argv)
    kit = args.kit.expanduser().resolve()
    if args.action == "build":
        build(kit, args.target)
    elif not kit.is_dir():
        raise SystemExit(f"kit: {args.kit}: no such folder (make kit KIT=DIR writes one)")
    else:
        install(kit)


if __name__ == "__main__":
    main()
