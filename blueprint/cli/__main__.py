"""``python -m blueprint.cli``: the toolkit's command line."""

import sys

from blueprint.cli.commands import main

sys.exit(main(prog="python -m blueprint.cli"))
