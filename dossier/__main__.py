"""`python -m dossier` runs the command line."""

import sys

from dossier.cli import main

if __name__ == "__main__":  # not when a worker process imports it (multiprocessing's spawn)
    sys.exit(main())
