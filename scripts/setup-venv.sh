#!/usr/bin/env bash
# Create (or refresh) a virtualenv with pinned tooling.
# Usage: scripts/setup-venv.sh            (VENV defaults to ./.venv)
#   VENV=.venv-core2.16 REQUIREMENTS=tests/versions/core-2.16.txt scripts/setup-venv.sh
# The venv is rebuilt when the requirements file, or a file it includes
# with `-r`, changes (a sha256 stamp in the venv).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
REQUIREMENTS=${REQUIREMENTS:-requirements-dev.txt}
stamp="$VENV/.requirements.sha256"
files=("$REQUIREMENTS")
while read -r include; do
  files+=("$(dirname "$REQUIREMENTS")/$include")
done < <(sed -n 's/^-r[[:space:]]*//p' "$REQUIREMENTS")
want=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)
if [[ -x $VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r "$REQUIREMENTS"
echo "$want" >"$stamp"
