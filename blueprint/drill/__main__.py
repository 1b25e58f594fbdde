"""``python -m blueprint.drill``: the red-team drill against the deployed environment."""

import sys

from blueprint.drill.platform import main

sys.argv[0] = "python -m blueprint.drill"  # argparse names the command after argv[0]
sys.exit(main())
