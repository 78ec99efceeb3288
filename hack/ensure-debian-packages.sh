#!/usr/bin/env bash
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian packages that `make demo`, `make test` and CI (.ci/run) need, when they are missing:
#   - golang-go, golang-github-vmware-govmomi-dev: the govmomi vCenter simulator (tests/simulator/build.sh);
#   - netplan.io, cloud-init: their tools validate what we render for guests (unit and e2e tests);
#   - shellcheck: make lint, and ansible-test's shellcheck sanity test;
#   - python3.X-venv, only when $PYTHON (python3.11) is Debian's and cannot make a venv (make venv).
# With everything installed it only asks dpkg (no apt, no network, no root). Otherwise it runs
# `apt-get update` and `apt-get install` as root, or through sudo when not root; when neither is possible
# it stops with one message that names the packages and the command to run.
#
# Usage: hack/ensure-debian-packages.sh [-q|--quiet] [-n|--dry-run] [PACKAGE...]
#   PACKAGE...      check these instead of the list above (also: GUESTNET_APT_PACKAGES="a b c")
#   -q, --quiet     print nothing when every package is installed
#   -n, --dry-run   print the commands that would install the missing packages instead of running them
#                   (also: GUESTNET_APT_DRY_RUN=1)
# Exit status: 0 when all are installed (or were just installed), 1 when they could not be, 2 on a usage error.
set -euo pipefail

DEFAULT_PACKAGES=(golang-go golang-github-vmware-govmomi-dev netplan.io cloud-init shellcheck)
me=ensure-debian-packages

quiet=0
dry_run=${GUESTNET_APT_DRY_RUN:-0}
packages=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        -q | --quiet) quiet=1 ;;
        -n | --dry-run) dry_run=1 ;;
        -h | --help)
            sed -n '6,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "$me: unknown option $1 (see --help)" >&2
            exit 2
            ;;
        *) packages+=("$1") ;;
    esac
    shift
done
if [ "${#packages[@]}" -eq 0 ]; then
    if [ -n "${GUESTNET_APT_PACKAGES:-}" ]; then
        read -r -a packages <<<"$GUESTNET_APT_PACKAGES"
    else
        packages=("${DEFAULT_PACKAGES[@]}")
        # Debian's own Python makes virtual environments only with its -venv package (`make venv`);
        # a pyenv or other self-built Python has ensurepip already.
        python=${PYTHON:-python3.11}
        python_path=$(command -v "$python" 2>/dev/null || true)
        if [ -n "$python_path" ] && [[ "$(readlink -f "$python_path")" == /usr/bin/* ]] &&
            ! "$python_path" -c 'import ensurepip' >/dev/null 2>&1; then
            venv_package=$("$python_path" -c 'import sys; print("python3.%d-venv" % sys.version_info[1])' 2>/dev/null) || true
            if [ -n "$venv_package" ]; then
                packages+=("$venv_package")
            fi
        fi
    fi
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$me: not a Debian system (no dpkg-query); make sure these are installed: ${packages[*]}" >&2
    exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    if [ "$quiet" != 1 ]; then
        echo "all present: ${packages[*]}"
    fi
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
install_command="apt-get update -q && apt-get install -y -q --no-install-recommends ${missing[*]}"
as=()
if [ "$(id -u)" -ne 0 ]; then
    # sudo that can run without a password, or that can ask for one on this terminal.
    if ! command -v sudo >/dev/null 2>&1; then
        why="sudo is not installed"
    elif sudo -n true 2>/dev/null || [ -t 0 ]; then
        as=(sudo -E)
    else
        why="sudo needs a password and there is no terminal to ask for it"
    fi
    if [ "${#as[@]}" -eq 0 ]; then
        {
            echo "$me: missing Debian packages: ${missing[*]}."
            echo "  They cannot be installed from here: this user ($(id -un 2>/dev/null || id -u)) is not root and $why."
            echo "  Install them as root (or give this user sudo), then run make (or .ci/run) again:"
            echo "    $install_command"
        } >&2
        exit 1
    fi
fi

echo "installing: ${missing[*]}${as[*]:+ (with ${as[*]})}"
if [ "$dry_run" = 1 ]; then
    echo "dry run, would run: ${as[*]:+${as[*]} }apt-get update -q"
    echo "dry run, would run: ${as[*]:+${as[*]} }apt-get install -y -q --no-install-recommends ${missing[*]}"
    exit 0
fi
if ! { "${as[@]}" apt-get update -q && "${as[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
    echo "$me: could not install ${missing[*]}; as root, run: $install_command" >&2
    exit 1
fi
