"""``python -m mit_trainer`` runs the command line."""

import sys

from mit_trainer.cli.main import main

sys.exit(main())
