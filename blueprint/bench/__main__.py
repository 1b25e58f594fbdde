"""``python -m blueprint.bench``: the synthesis benchmark."""

import sys

from blueprint.bench.benchmark import main

sys.argv[0] = "python -m blueprint.bench"  # argparse names the command after argv[0]
sys.exit(main())
