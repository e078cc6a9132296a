"""The CLI contract: JSON lines, one-line errors, exit codes, batches that go on."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import render_text
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVOCR_DEVICE": "CPU"}
    return subprocess.run(
        [*OVOCR, *args], capture_output=True, text=True, env=env, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("images")
    Image.fromarray(render_text(["INVOICE 42"])).save(folder / "good.png")
    (folder / "broken.jpg").write_bytes(b"this is a text file, not a JPEG")
    (folder / "empty.png").write_bytes(b"")
    return folder


def test_predict_writes_contract_and_reports_bad_files(image_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    done = run("predict", str(image_dir), "--precision", "f32", "-o", str(out))
    assert done.returncode == 1
    assert f"ovocr: {image_dir / 'broken.jpg'}: not an image file" in done.stderr
    assert f"ovocr: {image_dir / 'empty.png'}: empty file" in done.stderr
    assert "Traceback" not in done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["image"] == str(image_dir / "good.png")
    assert {"image", "width", "height", "words", "text"} <= set(record)
    assert record["text"] == "INVOICE 42"
    for word in record["words"]:
        assert set(word) == {"text", "confidence", "quad"}
        assert len(word["quad"]) == 4 and all(len(p) == 2 for p in word["quad"])
        (x0, y0), (x1, _), (_, y2), _ = word["quad"]
        assert x1 > x0 and y2 > y0  # clockwise from top-left


def test_recognize_reads_crops_to_stdout(tmp_path):
    crop = tmp_path / "word.png"
    Image.fromarray(render_text(["Noyce"], margin=6)).save(crop)
    done = run("recognize", str(crop), "--precision", "f32")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record == {"image": str(crop), "text": "Noyce", "confidence": record["confidence"]}
    assert 0.5 < record["confidence"] <= 1.0


def test_missing_path_and_bad_device_are_one_line_errors(tmp_path):
    done = run("recognize", str(tmp_path / "nothing.png"))
    assert done.returncode == 1
    assert done.stderr.strip().endswith(f"ovocr: {tmp_path / 'nothing.png'}: no such file")
    done = run("predict", str(tmp_path), "--device", "GPU")
    assert done.returncode == 2
    assert "not available on this machine; choose one of CPU" in done.stderr
    assert "Traceback" not in done.stderr


def test_existing_output_is_only_replaced_when_the_run_completes(image_dir, tmp_path):
    out = tmp_path / "keep.jsonl"
    out.write_text("previous results\n")
    done = run("predict", str(image_dir / "good.png"), "--det", "no-such-model", "-o", str(out))
    assert done.returncode == 2 and "unknown model" in done.stderr
    assert out.read_text() == "previous results\n"


def test_models_list_shows_every_source():
    done = run("models", "list")
    assert done.returncode == 0
    for name in ("ppocrv6-small-det", "ppocrv4-rec", "horizontal-text-detection-0001"):
        assert name in done.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("ovocr")
    if not script.exists():
        pytest.skip(f"console script not found beside {sys.executable}; install with pip -e .")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "predict" in done.stdout


def test_models_verify_reports_each_model_and_fails_on_a_bad_file(tmp_path, monkeypatch):
    from ovocr import store

    def two_small_files(folder: Path) -> tuple[str, dict]:
        (folder / "model.xml").write_bytes(b"<net/>")
        (folder / "model.bin").write_bytes(b"\0" * 16)
        return "model.xml", {"source": "test"}

    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    for name in ("ppocrv5-cls", "ppocrv4-cls"):
        store.write_entry(tmp_path / name, two_small_files)
    (tmp_path / "ppocrv4-cls" / "model.xml").write_bytes(b"<bad/>")
    done = run("models", "verify")
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        "ppocrv5-cls: ok",
        "ppocrv4-cls: model.xml fails its checksum",
    ]
    done = run("models", "verify", "ppocrv5-cls")
    assert (done.returncode, done.stdout) == (0, "ppocrv5-cls: ok\n")
    # names after an option are names too (Python 3.11's argparse drops them otherwise)
    done = run("models", "verify", "-q", "ppocrv5-cls")
    assert (done.returncode, done.stdout) == (0, "ppocrv5-cls: ok\n")
    done = run("models", "verify", "ppocrv5-cls", "--no-such-option")
    assert done.returncode == 2 and "unrecognized arguments: --no-such-option" in done.stderr


def test_predict_imports_nothing_it_does_not_use(requires_models, image_dir, tmp_path):
    """Every import is paid at each start: no progress bars, plots, geometry library, PDF
    renderer or cluster engine unless the run uses them."""
    script = (
        "import sys; from ovocr.cli import main; "
        f"code = main(['predict', '-q', {str(image_dir / 'good.png')!r}, "
        f"'-o', {str(tmp_path / 'out.jsonl')!r}]); "
        "print(code, *sorted(m for m in sys.modules if '.' not in m))"
    )
    env = {**os.environ, "OVOCR_DEVICE": "CPU"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    code, *loaded = done.stdout.split()
    assert code == "0", done.stderr
    assert {"openvino", "cv2", "numpy"} <= set(loaded)  # the check sees real imports
    unused = {"tqdm", "matplotlib", "shapely", "nncf", "torch", "ray", "pypdfium2", "sklearn"}
    assert not unused & set(loaded)


def test_devices_names_the_openvino_in_use():
    import openvino as ov

    done = run("devices")
    assert done.returncode == 0, done.stderr
    first, *devices = done.stdout.splitlines()
    assert first == f"OpenVINO {ov.get_version()}"
    assert any(line.startswith("CPU: ") for line in devices)
