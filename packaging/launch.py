"""The frozen app's entry point: the ``reviewer`` command (the GUI when run without arguments)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Ingest and analysis use worker processes; a frozen app must let them start as workers.
    multiprocessing.freeze_support()
    from reviewer.cli import main

    sys.exit(main())
