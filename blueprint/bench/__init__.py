"""The synthesis benchmark (``python -m blueprint.bench``)."""
