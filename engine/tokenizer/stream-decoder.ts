/**
 * Streaming detokenizer: push token ids as they are generated, get text that never contains a
 * broken UTF-8 sequence. Bytes of an unfinished character (a multi-byte char split over byte
 * tokens, or over BPE tokens) are held back until the character completes; `flush()` emits what
 * is left (an incomplete tail becomes U+FFFD, as any UTF-8 decoder would).
 */
export class StreamDecoder {
  private pending = new Uint8Array(0);
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  /** @param stripLeadingSpace drop one space at the very start of the stream (SentencePiece answers). */
  constructor(private readonly piece: (id: number) => Uint8Array, private stripLeadingSpace = false) {}

  push(id: number): string {
    let p = this.piece(id);
    if (p.length === 0) return '';
    if (this.stripLeadingSpace) {
      this.stripLeadingSpace = false;
      if (p[0] === 0x20) p = p.subarray(1);
      if (p.length === 0) return '';
    }
    const buf = new Uint8Array(this.pending.length + p.length);
    buf.set(this.pending);
    buf.set(p, this.pending.length);
    const cut = completePrefix(buf);
    this.pending = buf.slice(cut);
    return cut > 0 ? this.decoder.decode(buf.subarray(0, cut)) : '';
  }

  flush(): string {
    const rest = this.pending;
    this.pending = new Uint8Array(0);
    return rest.length > 0 ? this.decoder.decode(rest) : '';
  }
}

/**
 * Length of the longest prefix that does not end inside an unfinished UTF-8 sequence. Invalid
 * bytes are not held (they decode to U+FFFD right away); only a genuine unfinished lead byte with
 * its continuation bytes so far is kept back.
 */
export function completePrefix(b: Uint8Array): number {
  const n = b.length;
  // Look back at most 3 bytes for a lead byte whose sequence is not yet complete.
  for (let k = 1; k <= Math.min(3, n); k++) {
    const c = b[n - k]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte, keep looking for the lead
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? (c <= 0xef ? 3 : 0) : c >= 0xc2 ? 2 : 0;
    return need > k ? n - k : n;
  }
  return n;
}
