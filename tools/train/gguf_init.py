"""Reads a GGUF written by tools/train/export-gguf.ts back into model.py's parameters (numpy only),
so that train.py --init-gguf can fine-tune the shipped model instead of training from scratch.

- GGUF v2/v3: header, metadata (all value types), tensor infos, data aligned to
  general.alignment (default 32).
- Tensor types: F32, F16 and Q8_0 (blocks of 32: f16 scale d + 32 int8 q, value = d * q), the
  types export-gguf.ts writes (Q8_0 matrices, F32 norms; F16 with --type f16).
- Names and layout: export-gguf.ts writes torch's row-major [out, in] matrix as ggml dims
  [in, out] with the same bytes and NO q/k permutation (model.py applies RoPE to adjacent pairs,
  llama.cpp's NORM mode), so a tensor is reshaped to reversed(dims) and mapped by the inverse of
  model.py's gguf_names(); token_embd doubles as the tied output.

    python3 tools/train/gguf_init.py assets/models/longread-lr28m.gguf   # summary

Extend: another tensor type is one more branch in `dequantize` (block layouts in
engine/formats/quant.ts).
"""
import struct
import sys

import numpy as np

GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
TYPE_NAMES = {GGML_F32: 'F32', GGML_F16: 'F16', GGML_Q8_0: 'Q8_0'}
_SCALAR = {0: '<B', 1: '<b', 2: '<H', 3: '<h', 4: '<I', 5: '<i', 6: '<f', 7: '<?', 10: '<Q', 11: '<q', 12: '<d'}


class GGUF:
    """Parsed GGUF: metadata dict, tensors {name: (type, dims (ggml order), absolute offset, nbytes)}."""

    def __init__(self, path):
        self.path = path
        with open(path, 'rb') as f:
            self.buf = f.read()
        b = self.buf
        if b[:4] != b'GGUF':
            raise ValueError(f'{path}: not a GGUF file')
        self.pos = 4
        self.version = self._u32()
        if self.version not in (2, 3):
            raise ValueError(f'{path}: GGUF version {self.version} not supported')
        n_tensors, n_kv = self._u64(), self._u64()
        self.metadata = {}
        for _ in range(n_kv):
            k = self._str()
            self.metadata[k] = self._value(self._u32())
        infos = []
        for _ in range(n_tensors):
            name = self._str()
            nd = self._u32()
            dims = [self._u64() for _ in range(nd)]
            infos.append((name, self._u32(), dims, self._u64()))
        align = int(self.metadata.get('general.alignment', 32))
        self.data_start = (self.pos + align - 1) // align * align
        self.tensors = {}
        for name, t, dims, off in infos:
            n = int(np.prod(dims))
            if t == GGML_F32:
                nbytes = 4 * n
            elif t == GGML_F16:
                nbytes = 2 * n
            elif t == GGML_Q8_0:
                if dims[0] % 32:
                    raise ValueError(f'{name}: Q8_0 row of {dims[0]} values')
                nbytes = n // 32 * 34
            else:
                raise ValueError(f'{name}: tensor type {t} not supported (F32, F16, Q8_0)')
            start = self.data_start + off
            if start + nbytes > len(b):
                raise ValueError(f'{name}: data past the end of the file')
            self.tensors[name] = (t, dims, start, nbytes)

    def _u32(self):
        v = struct.unpack_from('<I', self.buf, self.pos)[0]
        self.pos += 4
        return v

    def _u64(self):
        v = struct.unpack_from('<Q', self.buf, self.pos)[0]
        self.pos += 8
        return v

    def _str(self):
        n = self._u64()
        s = self.buf[self.pos:self.pos + n].decode('utf8')
        self.pos += n
        return s

    def _value(self, t):
        if t == 8:
            return self._str()
        if t == 9:
            et, n = self._u32(), self._u64()
            if et in _SCALAR and et != 7:
                dt = np.dtype(_SCALAR[et])
                arr = np.frombuffer(self.buf, dtype=dt, count=n, offset=self.pos)
                self.pos += n * dt.itemsize
                return arr.tolist()
            return [self._value(et) for _ in range(n)]
        fmt = _SCALAR[t]
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def raw(self, name):
        t, dims, start, nbytes = self.tensors[name]
        return self.buf[start:start + nbytes]

    def array(self, name):
        """Dequantised float32 values in torch layout (shape = reversed ggml dims)."""
        t, dims, _, _ = self.tensors[name]
        return dequantize(t, self.raw(name), int(np.prod(dims))).reshape(list(reversed(dims)))


def dequantize(t, raw, n):
    if t == GGML_F32:
        return np.frombuffer(raw, dtype='<f4', count=n).astype(np.float32)
    if t == GGML_F16:
        return np.frombuffer(raw, dtype='<f2', count=n).astype(np.float32)
    if t == GGML_Q8_0:
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 34)
        d = blocks[:, :2].copy().view('<f2').astype(np.float32)  # (nb, 1)
        q = blocks[:, 2:].view(np.int8).astype(np.float32)
        return (d * q).reshape(-1)[:n]
    raise ValueError(f'tensor type {t} not supported')


def quantize_q8_0(x):
    """Q8_0 exactly as engine/formats/quant.ts (llama.cpp's reference: f32 arithmetic, round half away)."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide='ignore'):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idv).astype(np.float32)
    q = (np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))).astype(np.int8)
    out = np.empty((x.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype('<f2').view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def config_from_gguf(meta):
    """model.py Config fields from llama.* metadata."""
    return dict(
        vocab=int(meta.get('llama.vocab_size') or len(meta['tokenizer.ggml.tokens'])),
        dim=int(meta['llama.embedding_length']),
        n_layers=int(meta['llama.block_count']),
        n_heads=int(meta['llama.attention.head_count']),
        n_kv_heads=int(meta['llama.attention.head_count_kv']),
        ffn=int(meta['llama.feed_forward_length']),
        rope_base=float(meta['llama.rope.freq_base']),
        norm_eps=float(meta['llama.attention.layer_norm_rms_epsilon']),
    )


def expected_shapes(cfg):
    """torch parameter name -> shape for model.py's LlamaModel with config dict cfg."""
    hd = cfg['dim'] // cfg['n_heads']
    s = {'embed.weight': (cfg['vocab'], cfg['dim']), 'norm.weight': (cfg['dim'],)}
    for i in range(cfg['n_layers']):
        p = f'layers.{i}.'
        s.update({p + 'attn_norm.weight': (cfg['dim'],), p + 'ffn_norm.weight': (cfg['dim'],),
                  p + 'wq.weight': (cfg['n_heads'] * hd, cfg['dim']), p + 'wk.weight': (cfg['n_kv_heads'] * hd, cfg['dim']),
                  p + 'wv.weight': (cfg['n_kv_heads'] * hd, cfg['dim']), p + 'wo.weight': (cfg['dim'], cfg['n_heads'] * hd),
                  p + 'w_gate.weight': (cfg['ffn'], cfg['dim']), p + 'w_up.weight': (cfg['ffn'], cfg['dim']),
                  p + 'w_down.weight': (cfg['dim'], cfg['ffn'])})
    return s


def load_state(path, names):
    """(config dict, {torch name: float32 array}) for model.py's gguf_names() mapping `names`
    (torch name -> GGUF name). Every mapped tensor must be present with the expected shape."""
    g = GGUF(path)
    cfg = config_from_gguf(g.metadata)
    shapes = expected_shapes(cfg)
    state = {}
    for tname, gname in names.items():
        if gname not in g.tensors:
            raise KeyError(f'{path}: no tensor {gname} (for {tname})')
        a = g.array(gname)
        if tname in shapes and tuple(a.shape) != shapes[tname]:
            raise ValueError(f'{gname}: shape {a.shape}, model.py expects {shapes[tname]}')
        state[tname] = a
    extra = set(g.tensors) - set(names.values())
    if extra:
        raise ValueError(f'{path}: tensors model.py does not have: {sorted(extra)}')
    return cfg, state


if __name__ == '__main__':
    g = GGUF(sys.argv[1])
    print(f'GGUF v{g.version}, {len(g.tensors)} tensors, config {config_from_gguf(g.metadata)}')
    for n, (t, dims, _, nb) in list(g.tensors.items())[:12]:
        print(f'  {n:<28} {TYPE_NAMES[t]:<5} {dims} {nb} bytes')
