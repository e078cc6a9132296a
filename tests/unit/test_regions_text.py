"""The learnt vocabulary: stable hashed tokens, neighbour contexts, the text model's sums."""

import os
import subprocess
import sys

import numpy as np
import pytest
from ovocr.regions.text import (
    CONTEXTS,
    HashingConfig,
    TextModel,
    bucket_ids,
    hash_page,
    neighbours,
    tokens,
)
from regions_factory import form, receipt


def test_tokens_are_words_and_character_ngrams_with_digits_as_zero():
    config = HashingConfig(buckets=64, chars=(3,))
    found = tokens("Date: 25/12", config)
    assert found[:2] == ["w:DATE:", "w:DATE"] and "w:00/00" in found
    assert "c: DA" in found and "c:00 " in found
    assert bucket_ids("25/12/2018", config).tolist() == bucket_ids("03/01/2019", config).tolist()


def test_hashing_is_the_same_in_every_process():
    """CRC-32, not Python's hash(): a model trained in one process reads in another."""
    code = (
        "from ovocr.regions.text import HashingConfig, bucket_ids\n"
        "print(bucket_ids('TOTAL RM 9.00', HashingConfig()).tolist())"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout.strip())
    assert outputs == {str(bucket_ids("TOTAL RM 9.00", HashingConfig()).tolist())}


def test_hashing_settings_are_checked():
    with pytest.raises(ValueError, match="power of two"):
        HashingConfig(buckets=1000)
    with pytest.raises(ValueError, match="hash 'md5'"):
        HashingConfig(hash="md5")
    with pytest.raises(ValueError, match="bad hashing settings"):
        HashingConfig.from_dict(
            {"buckets": 64, "chars": [3], "words": True, "hash": "crc32", "x": 1}
        )
    back = HashingConfig.from_dict(HashingConfig(buckets=256).to_dict())
    assert back == HashingConfig(buckets=256)


def test_neighbours_see_the_label_left_and_the_row_above():
    page, _ = receipt(3)
    texts = [ln.text for ln in page.lines]
    total = next(i for i in range(len(texts)) if texts[i - 1] == "TOTAL")
    near = neighbours(page)
    assert [texts[j] for j in near["left"][total]] == ["TOTAL"]
    assert near["right"][total] == [] and near["own"][total] == [total]
    assert [texts[j] for j in near["above"][total]] == [texts[total - 2]]  # SUB TOTAL's amount
    assert near["above"][0] == []


def test_text_model_scores_sum_the_weights_of_present_buckets():
    page, _ = form(1)
    config = HashingConfig(buckets=64)
    hashed = hash_page(page, config)
    assert hashed.n_columns == len(CONTEXTS) * 64
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(2 * 64, 3)).astype(np.float32)
    model = TextModel(("own", "left"), weights, np.zeros(3))
    dense = np.zeros((hashed.n_lines, hashed.n_columns))
    dense[hashed.rows, hashed.columns] = hashed.values
    own_left = np.hstack([dense[:, :64], dense[:, 64:128]])
    assert np.allclose(model.scores(hashed, 64), own_left @ weights, atol=1e-5)
    assert np.allclose(np.linalg.norm(dense[:, :64], axis=1), 1.0)  # every line has text
