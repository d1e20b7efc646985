#!/usr/bin/env bash
# Installs the Debian packages ipchaos builds and tests with; does nothing when they are there.
set -euo pipefail
# libclang-rt-dev: clang's sanitizer and libFuzzer runtimes (ci/fuzz.sh), only recommended by clang.
pkgs=(cmake make gcc clang libclang-rt-dev pkg-config libcmocka-dev libunwind-dev zlib1g-dev valgrind python3 procps util-linux groff-base strace)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "ci/setup.sh: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
