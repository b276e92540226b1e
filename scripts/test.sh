#!/usr/bin/env bash
# One command: install what is needed, then run the architecture checks and the whole test suite
# (including the PulseAudio null-sink and PostgreSQL tests, which start their own servers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff"; .venv/bin/ruff check mit_trainer tests benchmarks
.venv/bin/ruff format --check --quiet mit_trainer tests benchmarks
echo "== import-linter"; .venv/bin/lint-imports --no-cache
echo "== mypy (non-GUI layers)"; .venv/bin/mypy
set +e
.venv/bin/python -m pytest -p no:cacheprovider -ra "$@"
status=$?
set -e
if [[ $status == 5 ]]; then
  echo "test: pytest collected no tests: failing" >&2
  exit 1
fi
exit $status
