#!/usr/bin/env bash
# Run `ansible-test sanity` (default) or `ansible-test units` for this collection,
# without needing any host except the Python package index.
#
#   tests/sanity/run.sh [sanity] [ansible-test options...]   e.g. --test pep8, --venv, -v
#   tests/sanity/run.sh units   [ansible-test options...]
#
# Exit code: ansible-test's. See tests/sanity/README.md for the why of each step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="$VENV/bin/python"
ANSIBLE_TEST="$VENV/bin/ansible-test"
NAMESPACE="${COLLECTION_NAMESPACE:-fortidiag}"
NAME="${COLLECTION_NAME:-ipsec}"
BUILD="$ROOT/build"
DEST="$BUILD/ansible_collections/$NAMESPACE/$NAME"

MODE=sanity
case "${1:-}" in
    sanity | units)
        MODE="$1"
        shift
        ;;
esac

die() {
    echo "run.sh: $*" >&2
    exit 2
}

[[ -x "$ANSIBLE_TEST" ]] || die "$ANSIBLE_TEST not found: create the venv first (make venv)"
"$PYTHON" -c 'import ensurepip' 2>/dev/null ||
    die "$PYTHON has no ensurepip module (Debian/Ubuntu: apt-get install python3.11-venv)"

mkdir -p "$BUILD"
if command -v flock >/dev/null 2>&1; then
    # Two runs at once would delete each other's copy.
    exec 9>"$BUILD/.ansible-test.lock"
    flock 9
fi

# 1. A real copy at .../ansible_collections/<namespace>/<name>/ (ansible-test rejects a symlinked root).
#    Copy what git would show (tracked + untracked, minus .gitignore'd), so results match a clean clone.
list_files() {
    if [[ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || true)" == "$ROOT" ]]; then
        git -C "$ROOT" ls-files -z --cached --others --exclude-standard
    else
        (cd "$ROOT" && find . -mindepth 1 \( -path ./.venv -o -path ./.git -o -path ./build -o -path ./reports \
            -o -path ./tests/output -o -path ./.lab -o -name __pycache__ \) -prune -o \( -type f -o -type l \) -printf '%P\0')
    fi
}

keep_file() {
    case "$1" in
        .venv/* | .git/* | .git | reports/* | build/* | tests/output/* | .lab/*) return 1 ;;
        __pycache__/* | */__pycache__/* | *.pyc) return 1 ;;
    esac
    [[ -e "$ROOT/$1" || -L "$ROOT/$1" ]] # tracked files deleted from the work tree are skipped
}

rm -rf "$DEST"
mkdir -p "$DEST"
list_files | while IFS= read -r -d '' f; do
    if keep_file "$f"; then printf '%s\0' "$f"; fi
done | tar -C "$ROOT" --null --no-recursion -T - -cf - | tar -C "$DEST" -xf -

# 2. Offline stand-in for the get-pip.py that ansible-test downloads from
#    ci-files.testing.ansible.com into ~/.ansible/test/cache/get_pip_<version>.py.
PIP_VERSION="$("$PYTHON" -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3"))["pip"])' 2>/dev/null)" ||
    PIP_VERSION="$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" \
        "$("$PYTHON" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py")"
[[ -n "$PIP_VERSION" ]] || die "cannot find the pip version pinned by ansible-test"
GET_PIP="$HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py"
MARKER='fortidiag-offline-get-pip-standin'

if [[ ! -s "$GET_PIP" ]] || grep -q "$MARKER" "$GET_PIP"; then
    mkdir -p "$(dirname "$GET_PIP")"
    cat >"$GET_PIP.tmp" <<EOF
# $MARKER (written by tests/sanity/run.sh; delete to let ansible-test download the real one)
"""Offline stand-in for ansible-test's get-pip-$PIP_VERSION.py.

ansible-test runs this file (via runpy, see ansible_test/_util/target/setup/quiet_pip.py) with the
python of a fresh \`python -m venv --without-pip\` environment and arguments like:
    --disable-pip-version-check pip==$PIP_VERSION --no-setuptools --no-wheel
It must leave a working \`python -m pip\` of the requested version behind, as get-pip.py does.
Here pip is seeded from the interpreter's bundled ensurepip wheel, then upgraded from the package index.
"""
import os
import subprocess
import sys

GET_PIP_ONLY = ('--no-setuptools', '--no-wheel', '--no-pip')


def run(cmd, quiet=False):
    env = dict(os.environ)
    env.pop('GET_PIP', None)
    if not quiet:
        subprocess.check_call(cmd, env=env)
        return
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stdout.decode('utf-8', 'replace'))
        sys.exit(proc.returncode)


def main():
    args = sys.argv[1:]
    py = [sys.executable]
    had_setuptools = subprocess.call(py + ['-c', 'import setuptools'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    run(py + ['-m', 'ensurepip', '--default-pip'], quiet=True)
    run(py + ['-m', 'pip', 'install', '--quiet'] + [a for a in args if a not in GET_PIP_ONLY])
    if '--no-setuptools' in args and not had_setuptools:
        # Python < 3.12's ensurepip also installs setuptools; get-pip would not have.
        run(py + ['-m', 'pip', 'uninstall', '--quiet', '--yes', '--disable-pip-version-check', 'setuptools'], quiet=True)


if __name__ == '__main__':
    main()
EOF
    if cmp -s "$GET_PIP.tmp" "$GET_PIP"; then rm -f "$GET_PIP.tmp"; else mv -f "$GET_PIP.tmp" "$GET_PIP"; fi
fi

# 3. Run ansible-test in the copy. ANSIBLE_TEST_CONTENT_ROOT stops it from walking up to the
#    repo's .git, whose .gitignore hides build/ (it would then find no files and pass vacuously).
PY_VERSION="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
cd "$DEST"
export ANSIBLE_TEST_CONTENT_ROOT="$DEST"
rc=0
"$ANSIBLE_TEST" "$MODE" --python "$PY_VERSION" "$@" || rc=$?
echo "run.sh: ansible-test $MODE exited $rc; results in ${DEST#"$ROOT"/}/tests/output/" >&2
exit "$rc"
