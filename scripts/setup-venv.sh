#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv with the pinned tooling.
# Usage: scripts/setup-venv.sh            (VENV defaults to ./.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
stamp="$VENV/.requirements.sha256"
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [[ -x $VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r requirements-dev.txt
echo "$want" >"$stamp"
