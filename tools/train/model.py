"""Llama-architecture decoder of the bundled Longread model (PyTorch).

Exactly the graph llama.cpp runs for `general.architecture = llama` with no weight permutation:
RMSNorm -> GQA attention with RoPE on ADJACENT pairs (llama.cpp's NORM mode, Meta's original
layout) -> residual -> RMSNorm -> SwiGLU FFN -> residual; final RMSNorm; output tied to the
token embedding. Tensor names map 1:1 onto GGUF names in `gguf_names()`.

Extend: new hyper-parameters go into `Config` and `export-gguf.ts` (GGUF metadata) together.
"""
from dataclasses import dataclass, asdict
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 8192
    dim: int = 512
    n_layers: int = 8
    n_heads: int = 8
    n_kv_heads: int = 2
    ffn: int = 1536
    rope_base: float = 1_000_000.0
    norm_eps: float = 1e-5
    max_ctx: int = 131072

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight.float()).to(x.dtype)


def rope_tables(cfg: Config, positions: torch.Tensor):
    hd = cfg.dim // cfg.n_heads
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, device=positions.device, dtype=torch.float64) / hd)
    ang = positions.to(torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    # x: (B, H, T, D); rotate adjacent pairs (x[2i], x[2i+1]) like llama.cpp NORM mode
    xf = x.float().unflatten(-1, (-1, 2))
    x0, x1 = xf[..., 0], xf[..., 1]
    c, s = cos[None, None], sin[None, None]
    out = torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)
    return out.to(x.dtype)


def attention(q, k, v, causal=True):
    if hasattr(F, 'scaled_dot_product_attention'):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    # fallback for old torch (CPU smoke tests only)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal:
        T, S = q.shape[-2], k.shape[-2]
        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(S - T)
        att = att.masked_fill(~mask, float('-inf'))
    return att.softmax(-1) @ v


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        hd = cfg.dim // cfg.n_heads
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.w_gate = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.w_up = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.w_down = nn.Linear(cfg.ffn, cfg.dim, bias=False)

    def forward(self, x, cos, sin, cache=None):
        cfg = self.cfg
        B, T, _ = x.shape
        hd = cfg.dim // cfg.n_heads
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, cfg.n_heads, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, cfg.n_kv_heads, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, cfg.n_kv_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            if 'k' in cache:
                k = torch.cat([cache['k'], k], dim=2)
                v = torch.cat([cache['v'], v], dim=2)
            cache['k'], cache['v'] = k, v
        rep = cfg.n_heads // cfg.n_kv_heads
        kk = k.repeat_interleave(rep, dim=1)
        vv = v.repeat_interleave(rep, dim=1)
        o = attention(q, kk, vv, causal=T > 1)
        x = x + self.wo(o.transpose(1, 2).reshape(B, T, -1))
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class LlamaModel(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.apply(self._init)
        for l in self.layers:  # scaled residual projections
            nn.init.normal_(l.wo.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))
            nn.init.normal_(l.w_down.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def hidden(self, ids, start=0, caches=None):
        T = ids.shape[1]
        pos = torch.arange(start, start + T, device=ids.device)
        cos, sin = rope_tables(self.cfg, pos)
        x = self.embed(ids)
        for i, l in enumerate(self.layers):
            x = l(x, cos, sin, None if caches is None else caches[i])
        return self.norm(x)

    def logits(self, h):
        return h @ self.embed.weight.t()

    def forward(self, ids):
        return self.logits(self.hidden(ids))

    @torch.no_grad()
    def generate(self, ids, max_new, stop_ids=()):
        """Greedy decoding with a KV cache; ids: 1-D LongTensor. Returns new token ids."""
        caches = [dict() for _ in self.layers]
        h = self.hidden(ids[None], 0, caches)
        out = []
        nxt = int(self.logits(h[:, -1]).argmax(-1))
        pos = ids.shape[0]
        for _ in range(max_new):
            if nxt in stop_ids:
                break
            out.append(nxt)
            h = self.hidden(torch.tensor([[nxt]], device=ids.device), pos, caches)
            pos += 1
            nxt = int(self.logits(h[:, -1]).argmax(-1))
        return out


def gguf_names(cfg: Config):
    """PyTorch state_dict key -> (GGUF tensor name). token_embd doubles as the output (tied)."""
    m = {'embed.weight': 'token_embd.weight', 'norm.weight': 'output_norm.weight'}
    for i in range(cfg.n_layers):
        p = f'layers.{i}.'
        b = f'blk.{i}.'
        m.update({
            p + 'attn_norm.weight': b + 'attn_norm.weight',
            p + 'wq.weight': b + 'attn_q.weight',
            p + 'wk.weight': b + 'attn_k.weight',
            p + 'wv.weight': b + 'attn_v.weight',
            p + 'wo.weight': b + 'attn_output.weight',
            p + 'ffn_norm.weight': b + 'ffn_norm.weight',
            p + 'w_gate.weight': b + 'ffn_gate.weight',
            p + 'w_up.weight': b + 'ffn_up.weight',
            p + 'w_down.weight': b + 'ffn_down.weight',
        })
    return m
