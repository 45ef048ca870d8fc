#!/usr/bin/env bash
# Installs segkit with vcpkg from the overlay port in ports/segkit, offline, then builds and
# runs tests/consumer against the installed tree with vcpkg's toolchain file; checks that the
# port installs what `cmake --install` installs (its CMake package moved to share/segkit, as
# vcpkg expects), and that segkit[core] (without the io feature) leaves out segkit::io.
# segkit's dependencies are overlay ports written here that stand for the Debian libraries
# installed on this machine (empty packages: the headers and libraries are the system's), so
# nothing is downloaded.
#
#   packaging/vcpkg/check.sh VCPKG_ROOT
#
# VCPKG_ROOT: a vcpkg root, https://github.com/microsoft/vcpkg (its scripts/, triplets/ and
# ports vcpkg-cmake and vcpkg-cmake-config), with the vcpkg executable in it, built from
# https://github.com/microsoft/vcpkg-tool (docs/getting-started.md says how, offline).
# vcpkg is told to use the system's CMake and Ninja, to send no metrics, and to write only in
# a scratch folder, removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: packaging/vcpkg/check.sh VCPKG_ROOT" >&2; exit 1; }
root=$(cd "$1" && pwd)
[ -x "$root/vcpkg" ] && [ -f "$root/scripts/buildsystems/vcpkg.cmake" ] ||
  { echo "check.sh: $root is not a vcpkg root with the vcpkg executable in it" >&2; exit 1; }
for tool in ninja patchelf; do
  command -v $tool >/dev/null || { echo "check.sh: vcpkg needs $tool (apt-get install ninja-build patchelf)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-vcpkg.XXXXXX")
# SEGKIT_CHECK_KEEP=1 keeps the scratch folder (its logs) for a look after a failure.
[ "${SEGKIT_CHECK_KEEP:-0}" = 1 ] && echo "== keeping $work" || trap 'rm -rf "$work"' EXIT
export VCPKG_ROOT=$root VCPKG_FORCE_SYSTEM_BINARIES=1 VCPKG_DISABLE_METRICS=1 \
  VCPKG_DOWNLOADS=$work/downloads VCPKG_DEFAULT_BINARY_CACHE=$work/binary-cache \
  X_VCPKG_REGISTRIES_CACHE=$work/registries
mkdir -p "$VCPKG_DOWNLOADS" "$VCPKG_DEFAULT_BINARY_CACHE" "$X_VCPKG_REGISTRIES_CACHE"
echo "== vcpkg $("$root/vcpkg" version --disable-metrics | head -n 1)"

# segkit's dependencies, each an empty port standing for a Debian package, at its version.
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -e 's/^[0-9]*://' -e 's/[-+].*//'; }
while read -r port debian; do
  version=$(version_of "$debian")
  [ -n "$version" ] || { echo "check.sh: apt-get install $debian (segkit's $port)" >&2; exit 1; }
  mkdir -p "$work/debian-ports/$port"
  cat >"$work/debian-ports/$port/vcpkg.json" <<EOF
{ "name": "$port", "version": "$version", "description": "Debian's $debian, installed on this machine" }
EOF
  cat >"$work/debian-ports/$port/portfile.cmake" <<EOF
execute_process(COMMAND dpkg-query -W -f=\\\${Status} $debian OUTPUT_VARIABLE status ERROR_QUIET)
if(NOT status MATCHES "install ok installed")
  message(FATAL_ERROR "$port stands for the Debian package $debian, which is not installed")
endif()
set(VCPKG_POLICY_EMPTY_PACKAGE enabled)
EOF
  echo "   $port $version from Debian's $debian"
done <<'EOF'
xtl xtl-dev
xsimd libxsimd-dev
xtensor libxtensor-dev
xtensor-blas libxtensor-blas-dev
openblas libopenblas-dev
lapack liblapack-dev
nlohmann-json nlohmann-json3-dev
libcsv libcsv-dev
EOF

vcpkg() {
  (cd "$work" && "$root/vcpkg" "$@" --overlay-ports="$here/ports" --overlay-ports="$work/debian-ports" \
    --x-install-root="$work/installed" --x-buildtrees-root="$work/buildtrees" \
    --x-packages-root="$work/packages" --binarysource=clear --disable-metrics)
}
vcpkg install segkit >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; echo "FAIL: vcpkg install segkit" >&2; exit 1; }
echo "== vcpkg install segkit: done"
triplet=$(ls "$work/installed" | grep -v '^vcpkg$' | head -n 1)
prefix=$work/installed/$triplet

# The same files as cmake --install, the CMake package in share/segkit.
cmake -S "$here" -B "$work/install-build" -DCMAKE_BUILD_TYPE=Release -DSEGKIT_BUILD_TESTS=OFF \
  -DSEGKIT_BUILD_BENCHMARKS=OFF -DSEGKIT_BUILD_EXAMPLES=OFF -DSEGKIT_BUILD_TOOLS=OFF -DSEGKIT_INSTALL=ON \
  -DSEGKIT_WITH_MPI=OFF >/dev/null
cmake --install "$work/install-build" --prefix "$work/prefix" >/dev/null
(cd "$work/prefix" && find . -type f | sed 's|^\./share/cmake/segkit/|./share/segkit/|' | sort) >"$work/install.txt"
(cd "$prefix" && find ./include/segkit ./share/segkit -type f ! -name usage ! -name copyright \
  ! -name vcpkg.spdx.json ! -name vcpkg_abi_info.txt | sort) >"$work/port.txt"
if ! cmp -s "$work/install.txt" "$work/port.txt"; then
  diff "$work/install.txt" "$work/port.txt" | head -n 20 >&2
  echo "FAIL: the port installs other files than cmake --install (< install, > port)" >&2
  exit 1
fi
echo "== the port installs the $(wc -l <"$work/install.txt") files cmake --install installs"

# A consumer with vcpkg's toolchain file: find_package(segkit COMPONENTS io), a fit, a model file.
cmake -S "$here/tests/consumer" -B "$work/consumer" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/scripts/buildsystems/vcpkg.cmake" \
  -DVCPKG_INSTALLED_DIR="$work/installed" -DVCPKG_TARGET_TRIPLET="$triplet" -DVCPKG_MANIFEST_MODE=OFF \
  >"$work/consumer.log" 2>&1 && cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 ||
  { tail -n 30 "$work/consumer.log" >&2; echo "FAIL: the consumer did not build against the port" >&2; exit 1; }
"$work/consumer/consumer" | tee "$work/consumer.out"
grep -q "consumer: ok" "$work/consumer.out" || { echo "FAIL: the consumer did not pass" >&2; exit 1; }

# segkit[core]: no libcsv, no nlohmann-json, no segkit::io.
vcpkg remove segkit >/dev/null 2>&1
vcpkg install "segkit[core]" >"$work/install-core.log" 2>&1 ||
  { tail -n 40 "$work/install-core.log" >&2; echo "FAIL: vcpkg install segkit[core]" >&2; exit 1; }
targets=$(find "$prefix/share/segkit" -name segkitTargets.cmake)
if ! grep -q "segkit::segkit" "$targets" || grep -q "segkit::io" "$targets"; then
  echo "FAIL: segkit[core] still exports segkit::io, or not segkit::segkit" >&2
  exit 1
fi
if grep -q "libcsv\|nlohmann-json" <(sed -n '/following packages will be built/,/^Detecting/p' "$work/install-core.log"); then
  echo "FAIL: segkit[core] still asks for libcsv or nlohmann-json" >&2
  exit 1
fi
echo "== segkit[core]: no segkit::io"
echo "PASS: vcpkg installs segkit from the overlay port offline, and a consumer builds and runs"
