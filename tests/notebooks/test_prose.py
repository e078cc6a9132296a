"""Numbers in notebook prose are printed by a cell, quoted from a file the text names, or a
constant: the prose cannot drift from the outputs when a notebook or a benchmark is re-run.

The rules and the allowlist are in ``prose.py`` beside this file. One notebook:
``pytest tests/notebooks/test_prose.py -q -k 08``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prose import ROOT, check_markdown, check_notebook

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_backed(path: Path):
    findings = check_notebook(path)
    assert not findings, (
        f"{path.name}: {len(findings)} number(s) or claim(s) in markdown that no output, named "
        "file or allowed constant backs (print it in a cell, name the committed file it comes "
        "from, or say what to look for instead):\n  " + "\n  ".join(map(str, findings))
    )


OUTPUT = "H-mean 0.4613 on 15 photos\nmissed: 4 lines\nasync 1.35x sync\n"
CODE = "subset = photos[:15]\nok = cer <= 0.2\n"


@pytest.mark.parametrize(
    ("markdown", "flagged"),
    [
        ("The H-mean is 0.46 on the subset.", []),  # printed, rounded
        ("The H-mean is 0.52 on the subset.", ["0.52"]),  # printed nowhere
        ("A crop counts as read when its CER is at most 0.2.", []),  # a literal of the code
        ("Async is 1.35x faster.", []),  # a comparative claim, printed
        ("Async is 1.8x faster.", ["1.8"]),  # a comparative claim, not printed
        ("The queue is 15% faster.", ["15%"]),  # a code literal does not back a comparison
        ("It is about twice as fast.", ["twice"]),  # no printed ratio near 2
        ("The pipeline missed four lines.", []),  # "missed: 4 lines"
        ("The pipeline missed two lines.", ["two lines"]),
        ("It missed one date and one address.", ["one date", "one address"]),
        ("One wrong character fails a field.", []),  # "one" as an article
        ("06 step 11 trains it; step 2 reads it.", []),  # another notebook's step
        ("Notebook 05 reads 32 px crops; see step 2 and 03-text-detection (ICDAR 2015).", []),
        ("`limit=73` and [link](https://x.org/7.5) are not claims.", []),
        ("As step 9 shows, ...", ["9"]),  # no step 9 in this notebook
        ("It took 0.46-0.52 s on AVX512-BF16.", ["0.52"]),  # both ends of a range are read
    ],
)
def test_the_checker_flags_unbacked_numbers_and_passes_backed_ones(markdown, flagged):
    found = check_markdown("x.ipynb", 0, markdown, OUTPUT, CODE, steps={1, 2, 3})
    assert [f.number for f in found] == flagged, [str(f) for f in found]


def test_a_number_quoted_from_a_named_file_must_be_in_that_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    number = next(n for n in ("3.13", "2-6", "0.3") if n in readme).split("-")[0]
    backed = check_markdown("x.ipynb", 0, f"README.md says {number}.", "", "")
    absent = next(f"{n}.987" for n in range(7, 99) if f"{n}.987" not in readme)
    unbacked = check_markdown("x.ipynb", 0, f"README.md says {absent}.", "", "")
    assert not backed, [str(f) for f in backed]
    assert [f.number for f in unbacked] == [absent]
