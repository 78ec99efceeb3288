#!/usr/bin/env bash
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the govmomi simulator launcher (tests/simulator/*.go) once, in GOPATH mode, from Debian's
# golang-go and golang-github-vmware-govmomi-dev. The binary and Go's build cache live in build/simulator/
# (git-ignored); the build is skipped while the sources, the Go toolchain and govmomi are unchanged.
# Prints the binary's path on the last line of stdout. No network access: GOPROXY=off, GOFLAGS=-mod=vendor unused.
#
# Usage: tests/simulator/build.sh [--force]
# Environment: GUESTNET_SIM_BUILD_DIR (default: <repo>/build/simulator), GOCODE (default: /usr/share/gocode)
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "${src_dir}/../.." && pwd)"
out_dir="${GUESTNET_SIM_BUILD_DIR:-${repo_dir}/build/simulator}"
gocode="${GOCODE:-/usr/share/gocode}"
binary="${out_dir}/guestnet-vcsim"
stamp="${out_dir}/guestnet-vcsim.stamp"

if ! command -v go >/dev/null 2>&1; then
    echo "build.sh: 'go' not found; install Debian's golang-go and golang-github-vmware-govmomi-dev" >&2
    exit 2
fi
if [ ! -d "${gocode}/src/github.com/vmware/govmomi/simulator" ]; then
    echo "build.sh: govmomi not found under ${gocode}; install Debian's golang-github-vmware-govmomi-dev" >&2
    exit 2
fi

mkdir -p "${out_dir}"
exec 9>"${out_dir}/.build.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

govmomi_version="$(dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || echo unknown)"
want="$( { go version; echo "govmomi ${govmomi_version}"; cat "${src_dir}"/*.go; } | sha256sum | cut -d' ' -f1)"

if [ "${1:-}" != "--force" ] && [ -x "${binary}" ] && [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want}" ]; then
    echo "${binary}"
    exit 0
fi

start=$(date +%s)
(
    cd "${src_dir}"
    env GOPATH="${gocode}" GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="${out_dir}/gocache" \
        go build -o "${binary}.tmp" .
)
mv -f "${binary}.tmp" "${binary}"
echo "${want}" >"${stamp}"
echo "build.sh: built ${binary} in $(($(date +%s) - start))s" >&2
echo "${binary}"
