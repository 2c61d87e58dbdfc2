#!/usr/bin/env bash
# Installs the system tools `make test` uses beyond Rust and the venv, where
# it can: gpg (the release test signs with a throwaway key) and zip. Without
# root or apt it only says what is missing; the tests that need a tool skip
# that step with a message.
set -euo pipefail

missing=()
command -v gpg >/dev/null || missing+=(gnupg)
command -v zip >/dev/null || missing+=(zip)
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "test-tools.sh: installing ${missing[*]}" >&2
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null; } \
        || echo "test-tools.sh: could not install ${missing[*]}; the tests needing them skip" >&2
else
    echo "test-tools.sh: ${missing[*]} missing (install them for the release test's signing step)" >&2
fi
