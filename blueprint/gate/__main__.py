"""``python -m blueprint.gate``: the policy gate."""

import sys

from blueprint.gate.runner import main

sys.exit(main())
