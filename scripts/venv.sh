#!/usr/bin/env bash
# Create (or refresh) <repo>/.venv with the test-only Python dependencies from
# requirements-test.txt — chiefly moto, the local AWS emulator the end-to-end
# tests and the demo run through emulator/serve.py (moto's server plus the
# project's SageMaker Studio extension), and boto3 for its own tests.
#
# Idempotent: a stamp file holds the sha256 of requirements-test.txt; when it
# matches (and the venv's python still runs) the script exits at once. Edit
# requirements-test.txt and the next run re-installs.
#
# Environment: PYTHON  interpreter used to create the venv (default: python3).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
requirements="$repo/requirements-test.txt"
stamp="$venv/.requirements-test.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c '' 2>/dev/null \
    && [[ -x "$venv/bin/moto_server" ]]; then
    exit 0
fi

if ! "$venv/bin/python" -c '' 2>/dev/null; then
    echo "venv.sh: creating $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

echo "venv.sh: installing $requirements" >&2
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" > "$stamp"
echo "venv.sh: ready ($venv; the emulator starts with .venv/bin/python emulator/serve.py)" >&2
