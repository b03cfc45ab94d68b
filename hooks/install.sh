#!/bin/sh
# Install this factory's git hooks: pre-commit's hook and the ledger index merge driver.
# Git-level glue that pre-commit does not cover; the work is done by `toyfoundry hooks install`,
# run with the Python hooks/python finds, so the venv need not be on PATH.
set -eu
cd "$(git rev-parse --show-toplevel)"
exec hooks/python -m toyfoundry_ci hooks install "$@"
