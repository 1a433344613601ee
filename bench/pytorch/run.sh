#!/usr/bin/env bash
# PyTorch CPU baseline: HF transformers' CPU code paths for Mamba-1, Mamba-2 and GPT-NeoX,
# re-implemented in bench.py, timed with Debian's python3-torch. See README.md.
#
# usage: bench/pytorch/run.sh [--threads N] [--tuned] [bench.py flags ...]
#   --threads N   torch.set_num_threads(N) and OMP/OpenBLAS thread counts (default 2)
#   --tuned       OMP_WAIT_POLICY=PASSIVE and tcmalloc (libtcmalloc-minimal4, installed if missing)
#   --smoke       1 layer, short shapes, plus correctness checks (seconds to a few minutes)
#   anything else goes to bench.py (--help lists: --reps, --budget, --models, --cases, --train, --json ...)
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3   # Debian's python3-torch installs for the system interpreter, not pyenv's
threads=2
tuned=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --threads=*) threads="${1#*=}"; shift ;;
    --tuned) tuned=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; [ -x "$PY" ] && "$PY" -c 'import torch' 2>/dev/null && "$PY" bench.py --help; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

tcmalloc_path() { ldconfig -p 2>/dev/null | awk '/libtcmalloc_minimal\.so\.4 /{print $NF; exit}'; }

need=()
[ -x "$PY" ] || need+=(python3)
{ [ -x "$PY" ] && "$PY" -c 'import torch' 2>/dev/null; } || need+=(python3-torch)
{ [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; } || need+=(python3-numpy)
if [ "$tuned" = 1 ] && [ -z "$(tcmalloc_path)" ]; then need+=(libtcmalloc-minimal4); fi
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing ${need[*]} with apt-get" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi

export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
if [ "$tuned" = 1 ]; then
  export OMP_WAIT_POLICY=PASSIVE
  LD_PRELOAD="$(tcmalloc_path)${LD_PRELOAD:+:$LD_PRELOAD}"
  export LD_PRELOAD
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
exec "$PY" bench.py --threads "$threads" ${args[@]+"${args[@]}"}
