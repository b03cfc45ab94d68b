#!/bin/sh
# Install this factory's git hooks: pre-commit's hook and the ledger index merge driver.
# Git-level glue that pre-commit does not cover; the work is done by `toyfoundry hooks install`.
set -eu
cd "$(git rev-parse --show-toplevel)"
if command -v toyfoundry >/dev/null 2>&1; then
    exec toyfoundry hooks install "$@"
fi
exec python3 -m toyfoundry_ci hooks install "$@"
