#!/usr/bin/env bash
# The version is written once, in include/segkit/version.hpp: the vcpkg port must say the same
# (the Conan recipe reads version.hpp itself), and so must the port's usage of the CMake package.
set -euo pipefail
root=$1
part() { sed -n "s/^#define SEGKIT_VERSION_$1 \([0-9]*\)$/\1/p" "$root/include/segkit/version.hpp"; }
version="$(part MAJOR).$(part MINOR).$(part PATCH)"
port=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$root/ports/segkit/vcpkg.json")
[ "$port" = "$version" ] || { echo "FAIL: ports/segkit/vcpkg.json says $port, version.hpp $version"; exit 1; }
grep -q 'def set_version' "$root/conanfile.py" || { echo "FAIL: conanfile.py no longer reads version.hpp"; exit 1; }
echo "version $version: version.hpp, the vcpkg port and the Conan recipe agree"
