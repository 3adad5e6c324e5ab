# shellcheck shell=bash
# Makes this checkout importable as the collection secure_kubo.rpc, for
# ansible and pytest: .cache/collections/ansible_collections/secure_kubo/rpc
# links back to the checkout. The link is relative and inside the checkout,
# so each clone or worktree has its own and none repoints another's.
#
#   . scripts/lib/collection.sh || exit   from a script: also exports
#                                         ANSIBLE_COLLECTIONS_PATH
#   bash scripts/lib/collection.sh        prints that directory
#                                         (tests/unit/conftest.py)
#
# molecule/config.yml points Molecule's ANSIBLE_COLLECTIONS_PATH at the same
# directory.
secure_kubo_collections() {
  local dir link
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/collections || return
  link=$dir/ansible_collections/secure_kubo/rpc
  if [[ $(readlink "$link" 2>/dev/null) != ../../../.. ]]; then
    mkdir -p "$(dirname "$link")" && ln -sfn ../../../.. "$link" || return
  fi
  [[ -f $link/galaxy.yml ]] || { echo "$link does not lead to the repository" >&2; return 1; }
  export ANSIBLE_COLLECTIONS_PATH=$dir
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  secure_kubo_collections && printf '%s\n' "$ANSIBLE_COLLECTIONS_PATH"
else
  secure_kubo_collections
fi
