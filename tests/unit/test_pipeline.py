"""load_pipeline's runtime options are checked before any model is looked at."""

import inspect
import os
import platform
import subprocess
import sys

import pytest
from ovocr.errors import DeviceError
from ovocr.pipeline import load_pipeline, load_recognizer, runtime_options
from ovocr.settings import SettingsError


def fail_get_model(*args, **kwargs):
    raise AssertionError("a model was loaded before the options were checked")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"precision": "fp32"}, SettingsError, r"did you mean 'f32'\? \(choose one of f32"),
        ({"hint": "FAST"}, SettingsError, "unknown hint 'FAST'.*LATENCY, THROUGHPUT"),
        ({"device": "TPU"}, DeviceError, "device 'TPU' is not available.*choose one of"),
    ],
)
def test_bad_runtime_options_fail_first(monkeypatch, options, error, message):
    monkeypatch.setattr("ovocr.pipeline.get_model", fail_get_model)
    for load in (load_pipeline, load_recognizer):
        with pytest.raises(error, match=message):
            load(**options)


def test_options_are_normalised_and_everything_after_the_model_names_is_keyword_only():
    options = runtime_options("cpu", "F32", "throughput", "")
    assert (options.device, options.precision, options.hint, options.cache_dir) == (
        "CPU",
        "f32",
        "THROUGHPUT",
        None,
    )
    params = inspect.signature(load_pipeline).parameters
    assert [p for p in params if params[p].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD] == [
        "det",
        "rec",
        "cls",
    ]
    with pytest.raises(TypeError):
        load_pipeline("ppocrv6-small-det", "ppocrv6-small-rec", None, "CPU")


def test_python_and_the_command_line_pick_the_device_by_one_rule(monkeypatch):
    # load_pipeline() ran on AUTO whatever OVOCR_DEVICE said; the CLI read it (untrimmed)
    import inspect

    from ovocr.pipeline import load_pipeline, load_recognizer, runtime_options

    monkeypatch.setenv("OVOCR_DEVICE", " cpu ")
    assert runtime_options(None, None, "LATENCY", "").device == "CPU"
    assert runtime_options("AUTO", None, "LATENCY", "").device == "AUTO"  # given: kept
    for build in (load_pipeline, load_recognizer):
        assert inspect.signature(build).parameters["device"].default is None


HEAP_PROBE = """
import ctypes, sys
from ovocr.pipeline import bound_heap

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
set_ = bound_heap()
big = ctypes.create_string_buffer(8 << 20)  # mmapped; freeing it raises glibc's threshold
del big
block = ctypes.create_string_buffer(2 << 20)
print(set_, libc.mallinfo2().hblkhd >= 2 << 20)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc only: other C libraries have no mallopt threshold to set",
)
@pytest.mark.parametrize(("env", "expected"), [("", "True True"), ("default", "False False")])
def test_map_keeps_large_freed_blocks_out_of_the_heap(env, expected):
    """After bound_heap, a 2 MB block is still mmapped (given back when freed) even after an
    8 MB block was freed; without it glibc's raised threshold puts it on the heap."""
    out = subprocess.run(
        [sys.executable, "-c", HEAP_PROBE],
        env={**os.environ, "OVOCR_HEAP": env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split()[-2:] == expected.split()
