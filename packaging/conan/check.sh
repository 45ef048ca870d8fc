#!/usr/bin/env bash
# Creates segkit's Conan package from this tree and builds and runs its test_package, offline:
# Conan 2 is run from its source (Python, on Debian's interpreter and Debian's packages of its
# dependencies), and each of segkit's requirements is a package standing for the Debian library
# installed here (packaging/conan/debian), so nothing is downloaded. Then checks that the package
# holds what `cmake --install` installs, and that a package without segkit::io (-o io=False)
# leaves out what only segkit::io needs.
#
#   packaging/conan/check.sh [CONAN_SOURCE]
#
# CONAN_SOURCE: a checkout of https://github.com/conan-io/conan (a release/2.x branch; 2.8 is
# tested); without it, the `conan` on PATH (pip install conan), which must be Conan 2.
# Everything is written in a scratch folder (its Conan home included), removed at the end;
# the tree is copied there, so test_package/build is not left in it.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

apt_packages=(python3 python3-requests python3-urllib3 python3-colorama python3-yaml python3-patch-ng
  python3-fasteners python3-distro python3-jinja2 python3-dateutil g++ cmake make libxtensor-dev
  libxtensor-blas-dev libxsimd-dev xtl-dev libopenblas-dev liblapack-dev nlohmann-json3-dev libcsv-dev)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check.sh: missing Debian packages: apt-get install ${missing[*]}" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-conan.XXXXXX")
# SEGKIT_CHECK_KEEP=1 keeps the scratch folder (its logs) for a look after a failure.
[ "${SEGKIT_CHECK_KEEP:-0}" = 1 ] && echo "== keeping $work" || trap 'rm -rf "$work"' EXIT
export CONAN_HOME=$work/home
if [ $# -ge 1 ]; then
  [ -f "$1/conans/conan.py" ] || { echo "check.sh: $1 is not a checkout of Conan (no conans/conan.py)" >&2; exit 1; }
  conan_source=$(cd "$1" && pwd)
  conan() { PYTHONPATH="$conan_source${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/python3 -m conans.conan "$@"; }
elif ! command -v conan >/dev/null; then
  echo "check.sh: give a checkout of Conan 2 (https://github.com/conan-io/conan), or put conan on PATH" >&2
  exit 1
fi
case "$(conan --version)" in
  "Conan version 2."*) ;;
  *) echo "check.sh: $(conan --version): Conan 2 is needed" >&2; exit 1 ;;
esac
echo "== $(conan --version), home $CONAN_HOME"
conan profile detect >/dev/null 2>&1

# segkit's requirements, each standing for the Debian package installed here, at its version.
version_of() { dpkg-query -W -f='${Version}' "$1" | sed -e 's/^[0-9]*://' -e 's/[-+].*//'; }
while read -r name debian; do
  conan export "$here/packaging/conan/debian" --name "$name" --version "$(version_of "$debian")" >/dev/null 2>&1
  echo "   $name/$(version_of "$debian") from Debian's $debian"
done <<'EOF'
xtl xtl-dev
xsimd libxsimd-dev
xtensor libxtensor-dev
openblas libopenblas-dev
xtensor-blas libxtensor-blas-dev
nlohmann_json nlohmann-json3-dev
libcsv libcsv-dev
EOF

# The recipe's sources and the consumer its test_package builds.
mkdir "$work/src"
(cd "$here" && tar -cf - conanfile.py CMakeLists.txt cmake include test_package/conanfile.py tests/consumer) |
  tar -xf - -C "$work/src"

settings=(-s compiler.cppstd=20 -s build_type=Release)
conan create "$work/src" --build=missing --no-remote "${settings[@]}" >"$work/create.log" 2>&1 ||
  { tail -n 40 "$work/create.log" >&2; echo "FAIL: conan create" >&2; exit 1; }
grep "consumer: " "$work/create.log"
grep -q "consumer: ok" "$work/create.log" || { echo "FAIL: the test_package's consumer did not pass" >&2; exit 1; }

# The package holds what cmake --install installs (the headers and segkit's CMake package).
# package_folder IO: the cache folder of the package built with io=IO.
package_folder() {
  local id
  id=$(conan list 'segkit/*:*' --format=json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for ref, revs in json.load(sys.stdin)["Local Cache"].items():
    for rrev in revs["revisions"].values():
        for pid, p in rrev.get("packages", {}).items():
            if p["info"]["options"]["io"] == sys.argv[1]:
                print(ref + ":" + pid)' "$1" | head -n 1)
  [ -n "$id" ] || { echo "FAIL: no package of segkit with io=$1 in the cache" >&2; exit 1; }
  conan cache path "$id"
}
package_dir=$(package_folder True)
cmake -S "$here" -B "$work/install-build" -DCMAKE_BUILD_TYPE=Release -DSEGKIT_BUILD_TESTS=OFF \
  -DSEGKIT_BUILD_BENCHMARKS=OFF -DSEGKIT_BUILD_EXAMPLES=OFF -DSEGKIT_BUILD_TOOLS=OFF -DSEGKIT_INSTALL=ON \
  -DSEGKIT_WITH_MPI=OFF >/dev/null
cmake --install "$work/install-build" --prefix "$work/prefix" >/dev/null
(cd "$package_dir" && find . -type f ! -name conaninfo.txt ! -name conanmanifest.txt | sort) >"$work/package.txt"
(cd "$work/prefix" && find . -type f | sort) >"$work/install.txt"
if ! cmp -s "$work/package.txt" "$work/install.txt"; then
  diff "$work/install.txt" "$work/package.txt" | head -n 20 >&2
  echo "FAIL: the Conan package differs from cmake --install (< install, > package)" >&2
  exit 1
fi
echo "== the package holds the $(wc -l <"$work/install.txt") files cmake --install installs"

# Without segkit::io: neither libcsv nor nlohmann_json is required, and segkit::io is not installed.
conan create "$work/src" --build=missing --no-remote "${settings[@]}" -o 'segkit/*:io=False' --test-folder "" \
  >"$work/create-core.log" 2>&1 || { tail -n 40 "$work/create-core.log" >&2; echo "FAIL: conan create -o io=False" >&2; exit 1; }
if grep -q "libcsv/\|nlohmann_json/" "$work/create-core.log"; then
  echo "FAIL: the package without io still requires libcsv or nlohmann_json" >&2
  exit 1
fi
core_dir=$(package_folder False)
[ "$core_dir" != "$package_dir" ] || { echo "FAIL: io=False gave the package of io=True" >&2; exit 1; }
targets=$(find "$core_dir" -name segkitTargets.cmake)
grep -q "segkit::segkit" "$targets" && ! grep -q "segkit::io" "$targets" ||
  { echo "FAIL: the package without io still exports segkit::io, or not segkit::segkit" >&2; exit 1; }
echo "== without io: no libcsv, no nlohmann_json, no segkit::io"
echo "PASS: conan create builds, packages and tests segkit offline"
