#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection laid out the way
# ansible-test wants it (ansible_collections/NS/NAME). Only files git knows
# (tracked or untracked but not ignored) are copied.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(cd "${VENV:-.venv}" && pwd)  # absolute: the run below is in the copy
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
# One copy per venv: scripts/test-ansible-versions.sh runs one per
# ansible-core version, and a copy is not shared with another version's run.
dest="$CACHE/sanity/$(basename "$VENV")/ansible_collections/secure_kubo/rpc"
rm -rf "$dest" && mkdir -p "$dest"
# ansible-test bootstraps pip in its venvs with a script from a host CI cannot
# reach; give it a stand-in that uses ensurepip and PyPI instead. The script
# is cached under the pip version that this ansible-test pins in
# get_venv_packages (23.1.2 in 2.16 and 2.17, 24.2 in 2.18 and 2.19, 25.2
# in 2.20).
pip_version=$("$VENV/bin/python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
cp tests/sanity/get_pip_stub.py ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dest" 2>/dev/null || true
# ansible-test lists files through git when it finds a repository.
(cd "$dest" && git init -q && git add -A)
cd "$dest"
PATH="$VENV/bin:$PATH"
# The venv's Python: this machine's, or 3.13 in scripts/controller-container.sh.
python=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$VENV/bin/ansible-test" sanity --python "$python" --requirements --color no "$@"
