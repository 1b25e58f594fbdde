"""``python -m blueprint.drill``: the red-team drill against the deployed environment."""

import sys

from blueprint.drill.platform import main

sys.exit(main())
