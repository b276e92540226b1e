#!/usr/bin/env bash
# One command: install what is needed, then start the trainer on its embedded defaults
# (SQLite in the user data folder, the shipped phrase sets). Extra arguments go to mit-trainer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/mit-trainer "$@"
