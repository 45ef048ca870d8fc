#!/usr/bin/env bash
# Run-time SIMD dispatch of the segkit tool: check_dispatch.sh SEGKIT TOOLS_BINARY_DIR DATA_DIR
#  1. The per-architecture objects define no shared (weak) symbol without the
#     architecture in its name: otherwise the linker could hand AVX code to the
#     baseline path, and the tool would crash on a CPU without AVX.
#  2. Every kernel set this CPU runs (SEGKIT_SIMD) is named by --version and
#     segments the Mall data to the same segments.
set -euo pipefail
segkit=$1 tools_dir=$2 data=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

found=0
for object in $(find "$tools_dir" -name 'kernels_*.cpp.o'); do
  case $object in
    *kernels_avx512.cpp.o) arch='avx512bw' ;;
    *kernels_avx2.cpp.o) arch='fma3<xsimd::avx2>' ;;
    *) fail "unexpected kernel object $object" ;;
  esac
  found=$((found + 1))
  # Weak, unique or common-data symbols that are not segkit's arch-named kernels
  # (the C++ personality reference is data, not code).
  stray=$(nm -C "$object" | awk '$2 ~ /^[WVu]$/' | grep -vF -e "$arch" -e 'DW.ref.__gxx_personality_v0' || true)
  [ -z "$stray" ] || fail "$object shares symbols without the architecture in their name:"$'\n'"$stray"
done
[ "$found" -ge 1 ] || fail "no per-architecture kernel objects under $tools_dir"

flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
sets="sse2"
if grep -qw avx2 <<< "$flags" && grep -qw fma <<< "$flags"; then sets="$sets avx2"; fi
if grep -qw avx512bw <<< "$flags"; then sets="$sets avx512"; fi
for set in $sets; do
  case $set in sse2) name=sse2 ;; avx2) name='fma3+avx2' ;; avx512) name=avx512bw ;; esac
  version=$(SEGKIT_SIMD=$set "$segkit" --version)
  grep -qF "SIMD kernels: $name)" <<< "$version" || fail "SEGKIT_SIMD=$set: --version says \"$version\""
  SEGKIT_SIMD=$set "$segkit" segment "$data/mall_customers/Mall_Customers.csv" \
    --features 'Annual Income (k$),Spending Score (1-100)' --k auto --out "$work/labels_$set.csv" > "$work/stdout_$set.txt"
  grep -qF "K = 5 (3 of 4 criteria agree)" "$work/stdout_$set.txt" || fail "SEGKIT_SIMD=$set: K = 5 not chosen"
  cmp "$work/labels_sse2.csv" "$work/labels_$set.csv" || fail "SEGKIT_SIMD=$set gives other segments than sse2"
done
echo "kernel sets checked: $sets"
