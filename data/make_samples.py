"""Render the project's stand-in for the tutorial photo into data/rnb_sign.png.

The notebooks read ../shared/data/samples/intel_rnb.jpg when it is there; without it and
without the network they fall back to this picture (see ovocr.samples.sample_image). It is
committed, so run this only after changing ovocr.samples.render_sign:

    python data/make_samples.py
"""

from pathlib import Path

from ovocr.samples import SIGN_NAME, render_sign
from PIL import Image


def main() -> None:
    target = Path(__file__).resolve().parent / SIGN_NAME
    Image.fromarray(render_sign()).save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
