"""Starting ovocr: a quick import, Ctrl-C while the command starts, --version, and model
names that are almost right."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ovocr.errors import ModelError

HEAVY = ("numpy", "cv2", "PIL", "openvino")


def test_importing_ovocr_and_its_command_loads_no_heavy_library():
    # Everything else comes on first use (PEP 562), so a Ctrl-C while `ovocr` starts
    # reaches main()'s handler instead of printing an import traceback.
    code = f"import sys, ovocr, ovocr.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_lazy_names_are_the_real_ones():
    import ovocr
    from ovocr.pipeline import load_pipeline
    from ovocr.settings import SettingsError

    assert ovocr.load_pipeline is load_pipeline and ovocr.SettingsError is SettingsError
    assert set(ovocr.__all__) <= set(dir(ovocr))
    with pytest.raises(AttributeError, match="no attribute 'load_pipline'"):
        ovocr.load_pipline  # noqa: B018


def test_submodules_are_reached_from_the_package_without_their_own_import():
    # Notebooks write ovocr.devices.device_selector() after a plain `import ovocr`.
    code = "import ovocr; print(ovocr.devices.__name__, ovocr.regions.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["ovocr.devices", "ovocr.regions"], done.stderr


def test_ctrl_c_while_the_command_modules_load_is_one_line_and_130(monkeypatch, capsys):
    from ovocr import cli
    from ovocr.cli.common import EXIT_INTERRUPTED

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_commands", interrupted)
    assert cli.main(["models", "list"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "ovocr: interrupted\n"


def test_version_is_the_installed_one(capsys):
    import ovocr
    from ovocr import cli

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ovocr {ovocr.__version__}\n"


@pytest.mark.parametrize(
    ("name", "task", "suggested"),
    [("ppocrv6-smal-det", "det", "ppocrv6-small-det"), ("ppocrv5_cls", None, "ppocrv5-cls")],
)
def test_a_misspelt_model_name_suggests_the_closest(name, task, suggested):
    from ovocr.models import get_model, prepare, verify

    with pytest.raises(ModelError, match=f"did you mean '{suggested}'"):
        get_model(name, task)
    for call in (prepare, verify):
        with pytest.raises(ModelError, match=f"did you mean '{suggested}'"):
            call(name)
