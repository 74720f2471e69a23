"""`python -m dossier` runs the command line."""

import sys

from dossier.cli import main

sys.exit(main())
