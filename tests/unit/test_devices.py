import pytest
from ovocr.devices import (
    CompileOptions,
    check_device,
    compile_model,
    device_choices,
    device_selector,
)
from ovocr.errors import DeviceError


def test_cpu_and_auto_are_always_choices():
    assert "CPU" in device_choices() and "AUTO" in device_choices()
    assert check_device("cpu") == "CPU"
    assert check_device("AUTO:CPU") == "AUTO:CPU"


def test_missing_device_lists_available_ones():
    with pytest.raises(DeviceError, match="CPU"):
        check_device("NPU_THAT_DOES_NOT_EXIST")


def test_selector_defaults_to_environment(monkeypatch):
    monkeypatch.setenv("OVOCR_DEVICE", "CPU")
    assert device_selector().value == "CPU"
    monkeypatch.setenv("OVOCR_DEVICE", "NOT_A_DEVICE")
    assert device_selector().value == "AUTO"


def test_compile_options_config():
    cfg = CompileOptions("CPU", "THROUGHPUT", "f32", "/tmp/c").config()
    assert cfg == {
        "PERFORMANCE_HINT": "THROUGHPUT",
        "INFERENCE_PRECISION_HINT": "f32",
        "CACHE_DIR": "/tmp/c",
    }


def test_cache_dir_defaults_to_the_models_folder(monkeypatch, tmp_path):
    from ovocr.devices import resolve_cache_dir

    monkeypatch.delenv("OVOCR_CACHE_DIR", raising=False)
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "models"))
    assert resolve_cache_dir() == str(tmp_path / "models" / ".ov_cache")
    assert (tmp_path / "models" / ".ov_cache").is_dir()
    assert resolve_cache_dir("") is None
    assert resolve_cache_dir(tmp_path / "mine") == str(tmp_path / "mine")


def test_cache_dir_from_environment_and_unusable_folders(monkeypatch, tmp_path):
    from ovocr.devices import resolve_cache_dir

    monkeypatch.setenv("OVOCR_CACHE_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir() == str(tmp_path / "env")
    monkeypatch.setenv("OVOCR_CACHE_DIR", "")
    assert resolve_cache_dir() is None
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert resolve_cache_dir(blocker / "cache") is None


@pytest.mark.parametrize("name", ["ppocrv6-small-det", "ppocrv6-small-rec"])
def test_second_compile_loads_from_the_model_cache(name, tmp_path):
    """The cache must really be hit, for the device `predict` defaults to (AUTO) as well."""
    from ovocr.models import is_prepared, prepare

    if not is_prepared(name):
        pytest.skip(f"{name} is not prepared; run `make models`")
    path = prepare(name).path
    loaded = []
    for device in ("CPU", "CPU", "AUTO"):
        options = CompileOptions(device, hint="THROUGHPUT", cache_dir=str(tmp_path))
        loaded.append(compile_model(path, options).get_property("LOADED_FROM_CACHE"))
    assert loaded == [False, True, True]
    assert len(list(tmp_path.glob("*.blob"))) == 1
