"""``python -m ovocr.cli``: the same as the ``ovocr`` command."""

import sys

from . import main

sys.exit(main())
