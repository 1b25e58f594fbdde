"""The run-recorder Lambda function (packaged as a single file, handler.py) and :mod:`.query` to read its records."""
