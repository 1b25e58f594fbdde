"""zero_trust_ai: reusable CDKTF constructs for a zero-trust AI platform on AWS.

The folder that holds this package is called ``constructs/`` (the layout users asked for), but it is
deliberately *not* a package itself: a top-level ``constructs`` package would shadow the ``constructs``
library that cdktf imports (aws-cdk#19301). ``tests/test_import_guard.py`` keeps it that way.

Constructs never read files or environment variables; they take typed props and other constructs.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
