#!/usr/bin/env bash
# The data path runs one way: a header never includes one from a later stage.
#   check_layering.sh INCLUDE_DIR
# Stages, earliest first (a header may include its own stage and earlier ones):
#   core < data < features, rfm < scaler, distance < init, cluster, mixture, hierarchy, density, medoids, prototypes, decompose
#   < evaluate
#   < pipeline < select < profile < report, io < workflow; then mpi (segkit::mpi's communicator),
#   last, so that nothing in segkit includes MPI.
# segkit/segkit.hpp (everything in one include) and segkit/version.hpp stand outside.
set -euo pipefail
include_dir=$1
rank() {
  case $1 in
    core) echo 0 ;; data) echo 1 ;; features | rfm) echo 2 ;; scaler | distance) echo 3 ;;
    init | cluster | mixture | hierarchy | density | medoids | prototypes | decompose) echo 4 ;; evaluate) echo 5 ;; pipeline) echo 6 ;; select) echo 7 ;;
    profile) echo 8 ;; report | io) echo 9 ;; workflow) echo 10 ;; mpi) echo 11 ;;
    *) echo "unknown" ;;
  esac
}
status=0
checked=0
while IFS= read -r header; do
  stage=${header#segkit/}
  stage=${stage%%/*}
  from=$(rank "$stage")
  if [ "$from" = unknown ]; then
    echo "FAIL: $header is in a folder with no stage (add it to tests/layering/check_layering.sh)" >&2
    status=1
    continue
  fi
  checked=$((checked + 1))
  while IFS= read -r included; do
    to_stage=${included#segkit/}
    to_stage=${to_stage%%/*}
    [ "$included" = segkit/version.hpp ] && continue
    to=$(rank "$to_stage")
    if [ "$to" = unknown ] || [ "$to" -gt "$from" ]; then
      echo "FAIL: $header ($stage) includes $included ($to_stage), a later stage" >&2
      status=1
    fi
  done < <(grep -o '^#include "segkit/[^"]*"' "$include_dir/$header" | sed 's/^#include "//; s/"$//')
done < <(cd "$include_dir" && find segkit -mindepth 2 -name '*.hpp' | sort)
[ "$checked" -gt 30 ] || { echo "FAIL: only $checked headers found under $include_dir" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "layering: $checked headers, none includes a later stage"
exit "$status"
