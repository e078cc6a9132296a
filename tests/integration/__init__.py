"""Tests that need the prepared default models (the ``requires_models`` fixture)."""
