#!/usr/bin/env python
"""cdktf app entry point: `npx cdktf synth` / `npx cdktf deploy <env>` run this file.

All environments under environments/ are built by default. Select a subset with
ZTAI_ENVIRONMENTS=local,dev. Every selected file is validated before anything is synthesized; on a
bad file the app prints what is wrong and how to fix it, exits non-zero and writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT / "constructs"))  # the construct library's container folder

from stacks.synth import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(project_root=PROJECT_ROOT))
