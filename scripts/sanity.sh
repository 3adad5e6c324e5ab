#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection laid out the way
# ansible-test wants it (ansible_collections/NS/NAME). Only files git knows
# (tracked or untracked but not ignored) are copied.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
dest="$CACHE/sanity/ansible_collections/secure_kubo/rpc"
rm -rf "$dest" && mkdir -p "$dest"
# ansible-test bootstraps pip in its venvs with a script from a host CI cannot
# reach; give it a stand-in that uses ensurepip and PyPI instead.
pip_version=$("$VENV/bin/python" -c 'from ansible_test._internal.python_requirements import PIP_VERSION; print(PIP_VERSION)' 2>/dev/null || echo 24.2)
mkdir -p ~/.ansible/test/cache
cp tests/sanity/get_pip_stub.py ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dest" 2>/dev/null || true
# ansible-test lists files through git when it finds a repository.
(cd "$dest" && git init -q && git add -A)
cd "$dest"
PATH="$PWD/../../../../../$VENV/bin:$PATH"
"$OLDPWD/$VENV/bin/ansible-test" sanity --python 3.11 --requirements --color no "$@"
