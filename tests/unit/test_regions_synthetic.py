"""Rendered receipts: repeatable, in the SROIE layout, their keys found in their lines,
and chosen only when the real receipts are absent."""

import numpy as np
from ovocr.regions import synthetic
from ovocr.regions.sroie import load_sroie_annotations


def test_the_same_seed_draws_the_same_receipt():
    a, b = synthetic.render_receipt(5), synthetic.render_receipt(5)
    assert np.array_equal(a.image, b.image) and a.keys == b.keys
    assert synthetic.render_receipt(6).keys != a.keys


def test_written_receipts_read_back_with_every_key_boxed(tmp_path):
    root = synthetic.write_receipts(tmp_path / "set", 6)
    annotations = load_sroie_annotations(root)
    assert len(annotations) == 6
    for annotation in annotations:
        assert sorted(r.concept for r in annotation.regions) == sorted(annotation.values)
        address = annotation.regions_of("address")[0]
        assert address.box.bottom_row - address.box.top_row > 0.05  # three printed lines
    again = synthetic.write_receipts(tmp_path / "set", 6)  # kept, not drawn again
    assert again == root


def test_folders_fall_back_to_rendered_receipts(tmp_path, monkeypatch):
    monkeypatch.setenv("OVOCR_SHARED_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    train, test, real = synthetic.receipt_folders(n_train=3, n_test=2)
    assert not real and train.is_relative_to(tmp_path / "cache")
    assert len(load_sroie_annotations(train)) == 3 and len(load_sroie_annotations(test)) == 2
    first_train = load_sroie_annotations(train)[0].values
    assert all(a.values != first_train for a in load_sroie_annotations(test))
