"""The automated-quarantine Lambda function (packaged as a single file, handler.py)."""
