"""The ``ovocr fields`` contract: train from a SROIE-layout folder, read fields as JSON lines,
one-line errors and exit codes. Receipts are rendered here, so every answer is known."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import font
from PIL import Image, ImageDraw

OVOCR = [sys.executable, "-m", "ovocr.cli"]
COMPANIES = ["ACME TRADING SDN BHD", "KEDAI MAJU ENTERPRISE", "SRI BAKERY SDN BHD"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVOCR_DEVICE": "CPU"}
    return subprocess.run([*OVOCR, *args], capture_output=True, text=True, env=env, timeout=600)


def render_receipt(seed: int, folder: Path) -> dict[str, str]:
    """Draw a receipt; write images/N.jpg, boxes/N.csv (SROIE lines) and keys/N.json."""
    rng = random.Random(seed)
    f = font(22)
    amounts = [rng.randint(100, 3000) / 100 for _ in range(rng.randint(2, 4))]
    total = f"{sum(amounts):.2f}"
    keys = {
        "company": rng.choice(COMPANIES),
        "address": f"NO {rng.randint(1, 99)}, JALAN MAJU {rng.randint(1, 9)} 43000 KAJANG",
        "date": f"{rng.randint(10, 28)}/{rng.randint(10, 12)}/2018",
        "total": total,
    }
    rows = [
        [(keys["company"], 40)],
        [(keys["address"][: keys["address"].index(" 43000")], 40)],
        [("43000 KAJANG", 40)],
        [(f"TEL 03-{rng.randint(1000000, 9999999)}", 40)],
        [(f"DATE: {keys['date']} 10:{rng.randint(10, 59)}", 40)],
        *[[(f"ITEM {i + 1}", 40), (f"{a:.2f}", 380)] for i, a in enumerate(amounts)],
        [("TOTAL", 40), (total, 380)],
        [("CASH", 40), (f"{sum(amounts) + rng.randint(1, 20):.2f}", 380)],
    ]
    image = Image.new("RGB", (520, 60 + 40 * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    lines = []
    for r, row in enumerate(rows):
        for text, x in row:
            y = 30 + 40 * r
            draw.text((x, y), text, fill="black", font=f)
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=f)
            lines.append(f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1},{text}")
    name = f"{seed:03d}"
    for sub in ("images", "boxes", "keys"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    image.save(folder / "images" / f"{name}.jpg", quality=95)
    (folder / "boxes" / f"{name}.csv").write_text("\n".join(lines) + "\n")
    (folder / "keys" / f"{name}.json").write_text(json.dumps(keys))
    return keys


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("fields")
    for seed in range(10):
        render_receipt(seed, root / "train")
    done = run(
        "fields", "train", "--data", str(root / "train"), "--out", str(root / "model"),
        "--precision", "f32", "--page-cache", str(root / "cache"), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root, done


def test_train_writes_a_model_folder(trained):
    root, done = trained
    assert "trained on 10 images" in done.stdout
    assert "total (amount)" in done.stdout and "date (date)" in done.stdout
    meta = json.loads((root / "model" / "model.json").read_text())
    assert [c["name"] for c in meta["concepts"]] == ["address", "company", "date", "total"]
    assert (root / "model" / "weights.npz").is_file()
    assert len(list((root / "cache").glob("*.json"))) == 10  # retraining reads no image


def test_fields_reads_new_receipts_as_json_lines(trained, tmp_path):
    root, _ = trained
    truths = {}
    for seed in (100, 101):
        truths[seed] = render_receipt(seed, tmp_path)
    broken = tmp_path / "images" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    out = tmp_path / "out.jsonl"
    images = tmp_path / "images"
    done = run("fields", "--model", str(root / "model"), str(images), "--precision", "f32",
               "-o", str(out), "-q")  # fmt: skip
    assert done.returncode == 1
    assert f"ovocr: {broken}: not an image file" in done.stderr
    assert "Traceback" not in done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [Path(r["image"]).name for r in records] == ["100.jpg", "101.jpg"]
    for record, keys in zip(records, truths.values()):
        assert set(record) == {"image", "fields", "values", "regions"}
        assert record["values"]["total"] == [keys["total"]]
        assert set(record["fields"]) == {"company", "date", "address", "total"}
        assert record["fields"]["total"] == keys["total"]
        assert record["fields"]["date"] == keys["date"]
        assert record["fields"]["company"] == keys["company"]
        for region in record["regions"]:
            assert set(region) == {"concept", "box", "score", "text"}
            box = region["box"]
            assert 0 <= box["top_row"] < box["bottom_row"] <= 1
            assert 0 <= box["left_col"] < box["right_col"] <= 1
            assert 0 < region["score"] <= 1


def test_usage_and_model_errors_are_one_line(tmp_path):
    done = run("fields", "--model", str(tmp_path / "nowhere"), str(tmp_path))
    assert done.returncode == 2 and "nowhere: not a region model" in done.stderr
    done = run("fields", "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"))
    assert done.returncode == 2
    assert f"ovocr: {tmp_path}: no annotations.json and no boxes/ folder" in done.stderr
    for args in (["fields", str(tmp_path)], ["fields"], ["fields", "read", str(tmp_path)]):
        done = run(*args)
        assert done.returncode == 2 and "usage: ovocr fields --model DIR IMAGE" in done.stderr
        assert "Traceback" not in done.stderr
    done = run("fields", "train", "--data", str(tmp_path))
    assert done.returncode == 2 and "usage: ovocr fields train --data DIR --out DIR" in done.stderr


def test_read_and_train_are_sub_commands():
    done = run("fields", "--help")
    assert done.returncode == 0 and "{read,train}" in done.stdout
    done = run("fields", "train", "--help")
    assert done.returncode == 0
    assert "--data" in done.stdout and "--model" not in done.stdout  # train's options only
