#!/usr/bin/env bash
# Installs llama.cpp (through node-llama-cpp, prebuilt CPU build only) into .peer/, outside the
# app's dependencies: it is the reference peer of the parity tests and benchmarks, never shipped.
# The optional GPU packages (CUDA/Vulkan builds, hundreds of MB) are left out; install scripts
# are skipped so nothing is downloaded or compiled.
set -euo pipefail
cd "$(dirname "$0")/../.."
ver=3.22.1
if [[ -f .peer/node_modules/node-llama-cpp/package.json ]] && grep -q "\"version\": \"$ver\"" .peer/node_modules/node-llama-cpp/package.json; then
  exit 0
fi
mkdir -p .peer
echo '{"private":true,"type":"module"}' > .peer/package.json
npm install --prefix .peer --no-save --ignore-scripts --omit=optional --no-audit --no-fund \
  "node-llama-cpp@$ver" "@node-llama-cpp/linux-x64@$ver" >/dev/null
echo "peer installed: node-llama-cpp $ver (CPU build) in .peer/"
