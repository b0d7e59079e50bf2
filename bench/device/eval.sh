#!/usr/bin/env bash
# Issue 9's long-document QA suite through our engine (dense) on the GPU machine, one process per
# length in parallel (the 28M model leaves the GPU mostly idle). Pack first:
#   pack.sh bench/longqa/eval-device.ts && mv .devpack .devpack-eval   (no --peer: with the tracked
#   30 MB model the tree must stay under 64 MiB); carry [".devpack-eval"], then
#   source .devpack-eval/enter.sh && bash bench/device/eval.sh
# M (the GGUF, default the bundled model), N (cases, default 100), T (seconds per process, default 520). Results: $OUT/res.tgz (r/e<len>.json, r/peer<len>.json) + summary.txt.
set -u
# the bundle resolves bench/longqa/data next to itself
rm -rf .devpack-eval/data && cp -r bench/longqa/data .devpack-eval/data
M=${M:-assets/models/longread-lr28m.gguf}
N=${N:-100}; T=${T:-520}
# a third argument "peer" runs llama.cpp's Vulkan build on the same cases (when a --peer devpack was
# unpacked on this machine by an earlier call: the eval devpack itself has no room for it)
export LONGREAD_PEER_ENTRY=/tmp/dp/node_modules/node-llama-cpp/dist/index.js
run() { timeout $T node .devpack-eval/eval-device.mjs --model $M --cases $N --tasks $1 --lengths $2 ${3:+--peer-gpu} --out /tmp/r/${3:-e}$2.json > /tmp/${3:-e}$2.log 2>&1; echo "${3:-e} $2 rc=$?" >> /tmp/rc.txt; }
mkdir -p /tmp/r; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $OUT/summary.txt
# decode-attention sweep first (issue 4: 'page' vs 'stream'), alone on the GPU; OPS_S=0 skips it
if [ "${OPS_S:-120}" -gt 0 ] && [ -f .devpack-eval/ops.mjs ]; then
  (OUT=/tmp/r timeout ${OPS_S:-120} node .devpack-eval/ops.mjs --only=decode > /tmp/r/ops.log 2>&1; echo "ops rc=$?" >> /tmp/rc.txt)
fi
run niah_single,niah_multikey,vt 4096 &
run niah_single,niah_multikey,vt 8192 &
run niah_single,niah_multikey 16384 &
run niah_single 32768 &
if [ -f $LONGREAD_PEER_ENTRY ]; then
  run niah_single,niah_multikey,vt 4096 peer &
  run niah_single,niah_multikey,vt 8192 peer &
  run niah_single,niah_multikey 16384 peer &
  run niah_single 32768 peer &
fi
wait
cat /tmp/rc.txt >> $OUT/summary.txt
for f in /tmp/e*.log /tmp/peer*.log; do echo "== $f"; grep -v '^[a-z_0-9]*/[0-9]*/[0-9]* ' $f | tail -12; tail -2 $f; done >> $OUT/summary.txt
tar -C /tmp -czf $OUT/res.tgz r
