"""``python -m sim.cli ARGS``: the ``caresim`` command."""

import sys

from . import main

sys.exit(main())
