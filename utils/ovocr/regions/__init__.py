"""Custom text regions: find the regions of your own concepts, then read only those.

Two stages, as with a cloud detection model: predict regions (a concept + a relative box),
crop them, OCR each crop. Modules, in the order data flows:

- ``annotations``: ``RelBox`` (``top_row, left_col, bottom_row, right_col`` in 0..1),
  ``Region``, ``Annotation``, JSON files, converters (pixels, ``ovocr`` types, annotator).
- ``sroie``: region annotations derived from SROIE's text lines and key values;
  ``synthetic``: receipts the project draws itself, in the same layout.
- ``augment``: scans made to look like phone photos, boxes moved alongside.
- ``cache``: OCR pages on disk, so retraining reads no image twice.
- ``features``: the page turned upright, then layout and content features of its lines.
- ``train``: line labels from annotated regions; scikit-learn trees or logistic regression,
  exported as arrays (``classifiers``: the NumPy side, checked when loaded, no pickle).
- ``model``: the deployed ``RegionModel`` on top of the generic OCR lines.
- ``values``: a field's value cut out of its region's text by kind (date, amount...).
- ``fields``: the ``FieldReader``; per-crop failures are reported, not raised.
- ``baseline``: the no-training rules; ``evaluation``: field F1 and region IoU.
- ``clarifai``: regions from a Clarifai detection response. The ``ovocr fields`` command
  lives in ``ovocr.cli.fields``.

Explained in 06-custom-text-regions.
"""
