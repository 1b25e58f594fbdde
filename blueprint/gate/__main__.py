"""``python -m blueprint.gate``: the policy gate."""

import sys

from blueprint.gate.runner import main

sys.argv[0] = "python -m blueprint.gate"  # argparse names the command after argv[0]
sys.exit(main())
