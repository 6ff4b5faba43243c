"""``python -m reviewer``: the same entry point as the ``reviewer`` console script."""

import sys

from reviewer.cli import main

sys.exit(main())
