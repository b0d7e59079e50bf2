// Paged KV cache addressing (layout defined in engine/kernels/kv-layout.ts; keep in sync).
// Requires HD (head dim) defined. A page = 64 tokens of one (layer, KV head): K block
// [64][HD/2] u32 then V block [64][HD/2] u32, f16 packed two per word (low half = even dim).

const KV_PAGE: u32 = 64u;
const KV_HW: u32 = HD / 2u;                 // u32 words per token row
const KV_PAGE_WORDS: u32 = 64u * HD;        // words per page (K + V)
const KV_V_OFFSET: u32 = 32u * HD;          // words from page start to the V block

// Word offset of the start of physical page `phys`.
fn kv_page_base(phys: u32) -> u32 {
  return phys * KV_PAGE_WORDS;
}

// Word offset of token `pos`'s K row in physical page `phys` (the page holding it); its V row is
// KV_V_OFFSET words further. The cache writers (kv-append, rope-kv, the fused q|k|v epilogue).
fn kv_slot_base(phys: u32, pos: u32) -> u32 {
  return kv_page_base(phys) + (pos % KV_PAGE) * KV_HW;
}
