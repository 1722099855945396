#!/usr/bin/env bash
# Debian's python3 has no venv/ensurepip until python3-venv is installed.
set -euo pipefail
PYTHON="${1:-python3}"
if "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's python3-venv ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
else
    echo "$PYTHON cannot create virtualenvs: install python3-venv (as root: apt-get install python3-venv)." >&2
    exit 1
fi
