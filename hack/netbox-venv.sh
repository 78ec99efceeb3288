#!/usr/bin/env bash
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Creates build/netbox/venv: NetBox from PyPI (pinned, below) in its own virtualenv on Python >= 3.12, for the
# tests that start a real NetBox (tests/netbox/harness.py). Also makes sure of the Debian packages those need:
#   - postgresql, redis-server: the servers the harness starts (each in a temporary directory, on loopback);
#   - libpq-dev, gcc: NetBox pins psycopg[c], whose C part pip builds from source against libpq.
# (hack/ensure-debian-packages.sh installs them: its PACKAGE arguments check a list of their own, so they stay
# out of the list that .ci/run and every `make test` install.)
# Once done it only compares a stamp (no pip, no network); a different NetBox version or Python starts over.
#
# Usage: hack/netbox-venv.sh [--force]
#   NETBOX_VERSION  the NetBox release (default below)
#   NETBOX_PYTHON   the interpreter (default: the newest pyenv 3.12.x, else python3.12, else python3.13 on PATH)
#   NETBOX_VENV     where (default: build/netbox/venv)
#   GUESTNET_NETBOX_SKIP_APT=1  do not check the Debian packages
# Prints the venv's path on its last line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
me=netbox-venv

NETBOX_VERSION=${NETBOX_VERSION:-4.7.3}
VENV=${NETBOX_VENV:-build/netbox/venv}
STAMP=$VENV/.guestnet-installed
APT_PACKAGES=(postgresql redis-server libpq-dev gcc)

force=0
case "${1:-}" in
    --force) force=1 ;;
    '') ;;
    -h | --help)
        sed -n '6,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "$me: unknown argument $1 (see --help)" >&2
        exit 2
        ;;
esac

# python_ok PATH: PATH runs and is Python 3.12 or newer.
python_ok() {
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    if [ -n "${NETBOX_PYTHON:-}" ]; then
        if python_ok "$NETBOX_PYTHON"; then
            command -v "$NETBOX_PYTHON"
            return 0
        fi
        echo "$me: NETBOX_PYTHON=$NETBOX_PYTHON does not run, or is older than 3.12" >&2
        return 1
    fi
    # pyenv's own interpreters first, by path: its shims run python3.12 only when 3.12 is a selected version
    # (the Makefile finds ansible-test's interpreters the same way).
    local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv} pyenv312 pyenv313
    # (an unmatched pattern stays as it is, and python_ok refuses it)
    mapfile -t pyenv312 < <(printf '%s\n' "$pyenv_root"/versions/3.12.*/bin/python3.12 | sort -V -r)
    mapfile -t pyenv313 < <(printf '%s\n' "$pyenv_root"/versions/3.13.*/bin/python3.13 | sort -V -r)
    for candidate in "${pyenv312[@]}" "$(command -v python3.12 2>/dev/null || true)" \
        "${pyenv313[@]}" "$(command -v python3.13 2>/dev/null || true)"; do
        if python_ok "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    echo "$me: no Python 3.12 or newer found (looked for $pyenv_root/versions/3.12.*, python3.12 and python3.13 on PATH);" \
        "install one (pyenv install 3.12) or set NETBOX_PYTHON" >&2
    return 1
}

python=$(find_python)
python_version=$("$python" -c 'import platform; print(platform.python_version())')
want="netbox==$NETBOX_VERSION python=$python_version ($python)"

if [ "$force" != 1 ] && [ -x "$VENV/bin/gunicorn" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    echo "$VENV"
    exit 0
fi

if [ "${GUESTNET_NETBOX_SKIP_APT:-0}" != 1 ]; then
    packages=("${APT_PACKAGES[@]}")
    # Debian's own Python needs its -venv and -dev packages (a pyenv one has ensurepip and its headers).
    if [[ "$(readlink -f "$python")" == /usr/bin/* ]]; then
        minor=$("$python" -c 'import sys; print("python3.%d" % sys.version_info[1])')
        packages+=("$minor-venv" "$minor-dev")
    fi
    bash hack/ensure-debian-packages.sh --quiet "${packages[@]}"
fi

echo "$me: creating $VENV: $want"
started=$SECONDS
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
cleanup() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "$me: failed (exit $rc); removing the half-made $VENV" >&2
        rm -rf "$VENV"
    fi
}
trap cleanup EXIT
"$python" -m venv "$VENV"
# NetBox pins all its requirements (==), gunicorn among them.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "netbox==$NETBOX_VERSION"
test -x "$VENV/bin/gunicorn"
installed=$("$VENV/bin/netbox" version)
if [ "$installed" != "$NETBOX_VERSION" ]; then
    echo "$me: installed NetBox $installed, wanted $NETBOX_VERSION" >&2
    exit 1
fi
echo "$want" >"$STAMP"
echo "$me: NetBox $installed in $VENV in $((SECONDS - started))s ($(du -sh "$VENV" | cut -f1))"
echo "$VENV"
