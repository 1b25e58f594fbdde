"""``python -m blueprint.bench``: the synthesis benchmark."""

import sys

from blueprint.bench.benchmark import main

sys.exit(main())
