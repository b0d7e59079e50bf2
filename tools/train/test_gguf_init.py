"""Checks tools/train/gguf_init.py (the reader behind train.py --init-gguf) on the shipped model,
without torch:

    python3 tools/train/test_gguf_init.py [assets/models/longread-lr28m.gguf]

- every parameter of model.py's LlamaModel (its gguf_names() mapping, config from the GGUF
  metadata) is present with the shape model.py gives it, and no GGUF tensor is left over;
- round trip: the dequantised values quantised again (Q8_0 as engine/formats/quant.ts does it)
  give back the GGUF's stored bytes exactly; F32 tensors are the stored floats;
- our engine's own reader and dequantiser (engine/formats, via node + tsx) give the same values
  for every tensor (checksums and samples), when node is available.
Exit status 1 on any failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gguf_init  # noqa: E402


def import_model():
    """model.py, with a stand-in torch when torch is not installed (only gguf_names() is used)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        class Any:
            def __init__(self, *a, **k):
                pass

            def __getattr__(self, k):
                return Any

        t = types.ModuleType('torch')
        nn = types.ModuleType('torch.nn')
        fn = types.ModuleType('torch.nn.functional')
        nn.Module = Any
        t.nn, t.Tensor = nn, Any
        t.no_grad = lambda: (lambda f: f)
        sys.modules.update({'torch': t, 'torch.nn': nn, 'torch.nn.functional': fn})
    import model
    return model


TS_DUMP = r"""
import { readFileSync } from 'node:fs';
import { ggufParse } from '%ROOT%/engine/formats/gguf-read.ts';
import { dequantize } from '%ROOT%/engine/formats/quant.ts';
const bytes = new Uint8Array(readFileSync(process.argv[2]!));
const f = ggufParse(bytes);
const out: Record<string, number[]> = {};
for (const t of f.tensors) {
  const n = t.dims.reduce((a, b) => a * Number(b), 1);
  const x = dequantize(t.type, bytes.subarray(t.offset, t.offset + t.nbytes), n);
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { s += x[i]!; s2 += x[i]! * x[i]!; }
  out[t.name] = [s, s2, x[0]!, x[1]!, x[n >> 1]!, x[n - 1]!];
}
console.log(JSON.stringify(out));
"""


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'assets', 'models', 'longread-lr28m.gguf')
    fails = []

    def check(ok, msg):
        if not ok:
            fails.append(msg)
            print('FAIL', msg)

    model = import_model()
    g = gguf_init.GGUF(path)
    cfg = gguf_init.config_from_gguf(g.metadata)
    names = model.gguf_names(model.Config(**{k: v for k, v in cfg.items() if k in ('vocab', 'dim', 'n_layers', 'n_heads', 'n_kv_heads', 'ffn')}))
    cfg2, state = gguf_init.load_state(path, names)
    shapes = gguf_init.expected_shapes(cfg2)
    check(set(state) == set(shapes) == set(names), 'parameter names differ from model.py')
    check(len(g.tensors) == len(names), f'{len(g.tensors)} GGUF tensors, model.py has {len(names)}')
    nparam = sum(int(np.prod(s)) for s in shapes.values())
    check(nparam == 28_320_256, f'{nparam} parameters (the card says 28,320,256)')
    for k, a in state.items():
        check(a.shape == shapes[k] and a.dtype == np.float32 and np.isfinite(a).all(), f'{k}: {a.shape} {a.dtype}')
    counts = {}
    for gname, (t, dims, _, _) in g.tensors.items():
        counts[gguf_init.TYPE_NAMES[t]] = counts.get(gguf_init.TYPE_NAMES[t], 0) + 1
        a = g.array(gname)
        raw = g.raw(gname)
        if t == gguf_init.GGML_Q8_0:
            again = gguf_init.quantize_q8_0(a)
            check(again == raw, f'{gname}: Q8_0 round trip differs in {sum(x != y for x, y in zip(again, raw))} bytes')
        elif t == gguf_init.GGML_F32:
            check(a.tobytes() == raw, f'{gname}: F32 values differ from the stored bytes')
    check(counts == {'Q8_0': 57, 'F32': 17}, f'tensor types {counts} (the card: 57 Q8_0, 17 F32)')
    # cross-check with our engine's reader
    node = shutil.which('node')
    if node and os.path.exists(os.path.join(ROOT, 'node_modules', 'tsx')):
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, 'dump.mts')
            open(script, 'w').write(TS_DUMP.replace('%ROOT%', ROOT))
            r = subprocess.run([node, '--import', 'tsx', script, path], cwd=ROOT, capture_output=True, text=True)
            if r.returncode:
                check(False, 'engine dump failed: ' + r.stderr[-500:])
            else:
                ref = json.loads(r.stdout)
                check(set(ref) == set(g.tensors), 'engine sees other tensor names')
                for gname in g.tensors:
                    a = g.array(gname).reshape(-1).astype(np.float64)
                    n = a.size
                    mine = [a.sum(), (a * a).sum(), a[0], a[1], a[n >> 1], a[n - 1]]
                    check(np.allclose(mine, ref[gname], rtol=1e-6, atol=1e-6), f'{gname}: numpy {mine} vs engine {ref[gname]}')
                print(f'engine cross-check: {len(ref)} tensors')
    else:
        print('engine cross-check skipped (no node/tsx)')
    print(f'{len(state)} parameters mapped, {nparam} values, types {counts}')
    print(f'{len(fails)} failures' if fails else 'all checks passed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
