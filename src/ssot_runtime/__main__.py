"""``python -m ssot_runtime``: the ``ssot-runtime`` command."""

import sys

from .cli import main

sys.exit(main())
