"""Where prepared models come from, one module per source: ``packaged`` (PyPI wheels),
``omz`` (the Open Model Zoo tools) and ``local`` (a user's own file). INT8 models are
made from prepared ones by ``ovocr.quantize``."""
