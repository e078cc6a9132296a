"""Where things live: the project checkout, the prepared models, the shared evaluation data.

The one module that walks up from this file to find the checkout; everything else asks it.
Explained in 01-model-preparation.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

_OUR_PYPROJECT = re.compile(r'^name\s*=\s*"ovocr"\s*$', re.MULTILINE)


@lru_cache(maxsize=1)
def project_root() -> Path | None:
    """The ovocr checkout this package runs from, or ``None`` when installed elsewhere.

    The nearest folder above this file whose ``pyproject.toml`` names the ``ovocr``
    project: another project's ``pyproject.toml`` (a venv inside someone's project) is
    not ours.
    """
    for parent in Path(__file__).resolve().parents:
        pyproject = parent / "pyproject.toml"
        try:
            if _OUR_PYPROJECT.search(pyproject.read_text(encoding="utf-8", errors="replace")):
                return parent
        except OSError:
            continue
    return None


def user_cache_dir() -> Path:
    """This user's cache folder for ovocr, by the platform's rule (``platformdirs``).

    Linux: ``$XDG_CACHE_HOME/ovocr``, by default ``~/.cache/ovocr``; macOS:
    ``~/Library/Caches/ovocr``; Windows: ``%LOCALAPPDATA%\\ovocr\\Cache``. The one rule for
    every cached file outside the checkout (models, sample pictures).
    """
    from platformdirs import user_cache_path

    return user_cache_path("ovocr", appauthor=False)


def models_dir() -> Path:
    """Where prepared models are cached: ``$OVOCR_MODELS``, else ``models/`` of the checkout,
    else ``models`` in ``user_cache_dir()``."""
    if os.environ.get("OVOCR_MODELS"):
        return Path(os.environ["OVOCR_MODELS"]).expanduser()
    root = project_root()
    if root is not None:
        return root / "models"
    return user_cache_dir() / "models"


def shared_data_dir() -> Path | None:
    """Locate the shared evaluation data, or return None when it is absent.

    The environment variable ``OVOCR_SHARED_DATA`` wins when set. Otherwise the data is
    ``../shared/data`` beside the project root.

    Returns:
        The data folder, or None when it does not exist.
    """
    env = os.environ.get("OVOCR_SHARED_DATA")
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    root = project_root()
    if root is None:
        return None
    path = root.parent / "shared" / "data"
    return path if path.is_dir() else None


def project_data_dir() -> Path | None:
    """``data/`` of the project checkout, or ``None`` when ``ovocr`` runs from elsewhere."""
    root = project_root()
    return None if root is None else root / "data"
