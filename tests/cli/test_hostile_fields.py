"""``ovocr fields train`` on careless or hostile training folders (issue 22): one ``ovocr:``
line per problem, never a traceback; a missing image is skipped and training goes on."""

from __future__ import annotations

import json

import pytest
from test_fields import render_receipt, run


def annotations_file(folder, records) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annotations.json").write_text(json.dumps({"annotations": records}))


@pytest.mark.parametrize(
    "records, problem",
    [
        (None, "annotations.json: expected an object with an 'annotations' list"),
        ([], "no annotations to train on"),
    ],
)
def test_null_or_empty_annotations_are_one_line(tmp_path, records, problem):
    annotations_file(tmp_path / "data", records)
    done = run("fields", "train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "m"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("ovocr: ") and problem in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_limit_zero_says_no_annotations(tmp_path):
    render_receipt(1, tmp_path / "data")
    args = ["fields", "train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "m")]
    done = run(*args, "--limit", "0")
    assert (done.returncode, done.stderr) == (
        2,
        "ovocr: --limit 0: no annotations to train on; give 1 or more\n",
    )


def test_missing_training_image_is_one_line_and_training_goes_on(requires_models, tmp_path):
    from ovocr.regions.annotations import save_annotations
    from ovocr.regions.sroie import load_sroie_annotations

    data = tmp_path / "data"
    for seed in range(6):
        render_receipt(seed, tmp_path / "sroie")
    save_annotations(data / "annotations.json", load_sroie_annotations(tmp_path / "sroie"))
    gone = tmp_path / "sroie" / "images" / "003.jpg"
    gone.unlink()
    done = run(
        "fields", "train", "--data", str(data), "--out", str(tmp_path / "m"),
        "--precision", "f32", "--page-cache", str(tmp_path / "cache"), "-q",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("ovocr: ") and line.endswith(f"{gone.name}: no such file")
    assert "trained on 5 images" in done.stdout
    assert (tmp_path / "m" / "model.json").is_file()
