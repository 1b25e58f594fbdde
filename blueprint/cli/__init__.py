"""The ``ztai`` command line (``python -m blueprint.cli``) and its live progress display."""
