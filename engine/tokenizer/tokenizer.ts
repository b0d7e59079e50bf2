/**
 * The tokenizer of a GGUF model: `tokenizerFromGguf(metadata)` builds it from the `tokenizer.*`
 * keys (see vocab.ts) and it encodes and decodes exactly like llama.cpp's llama_tokenize /
 * llama_token_to_piece for SentencePiece (`llama`), byte-level BPE (`gpt2`, 30+ pre-tokenizers)
 * and raw-UTF-8 BPE (`gemma4`) vocabularies.
 *
 * Untrusted text is never special: `encode` parses special-token text (<|im_end|>, <s>, ...) only
 * when asked with `parseSpecial: true`, which only chat-template markers should use (see
 * chat-template.ts). Extend: a new vocabulary type is one model class (like BpeModel/SpmModel)
 * plus a branch in `encodeText` and in `pieceBytes`.
 */
import { LongreadError } from '../errors.ts';
import { BpeModel } from './bpe.ts';
import { preTokenize } from './pre-tokenize.ts';
import { SpecialSplitter, type Fragment } from './special-split.ts';
import { SpmModel } from './spm.ts';
import { StreamDecoder } from './stream-decoder.ts';
import { CHAR_TO_BYTE, codePoints, cptFlagsTable, CPT_LETTER, utf8Decode, utf8Encode } from './unicode.ts';
import {
  ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_USER_DEFINED, vocabFromMetadata,
  type Metadata, type Vocab,
} from './vocab.ts';

export interface EncodeOptions {
  /** Add BOS / EOS as the vocabulary's add_bos_token / add_eos_token flags say. Default false. */
  addSpecial?: boolean;
  /** Turn special-token text into special tokens. Default false: untrusted text is never special. */
  parseSpecial?: boolean;
}

/** A piece of a prompt: template-owned text may contain special tokens, untrusted text never does. */
export interface PromptPart {
  text: string;
  special: boolean;
}

export interface DecodeOptions {
  /** Drop control and unknown tokens (llama.cpp's special=false). Default true. */
  skipSpecial?: boolean;
}

export class Tokenizer {
  readonly vocab: Vocab;
  private readonly spm: SpmModel | null;
  private readonly bpe: BpeModel | null;
  private readonly splitter: SpecialSplitter;
  private readonly pieceCache: (Uint8Array | undefined)[];
  /**
   * Long text is tokenized in pieces of about this many UTF-16 units, cut only where no token
   * or pre-token word can span (same ids, bounded memory). Tests lower it to check exactness.
   */
  chunkChars = 1 << 20;

  constructor(vocab: Vocab) {
    this.vocab = vocab;
    this.spm = vocab.model === 'llama' ? new SpmModel(vocab) : null;
    this.bpe = vocab.model === 'gpt2' ? new BpeModel(vocab) : null;
    this.splitter = new SpecialSplitter(vocab);
    this.pieceCache = new Array(vocab.tokens.length);
  }

  get vocabSize(): number { return this.vocab.tokens.length; }
  /** -1 when the vocabulary has none. */
  get bosId(): number { return this.vocab.bosId; }
  get eosId(): number { return this.vocab.eosId; }
  get eotId(): number { return this.vocab.eotId; }
  get eogIds(): Set<number> { return this.vocab.eogIds; }
  get addBos(): boolean { return this.vocab.addBos; }
  get addEos(): boolean { return this.vocab.addEos; }

  isEog(id: number): boolean { return this.vocab.eogIds.has(id); }
  /** Control or unknown token: no text unless rendered with special on. */
  isSpecial(id: number): boolean { return (this.vocab.attrs[id]! & (ATTR_CONTROL | ATTR_UNKNOWN)) !== 0; }
  tokenId(text: string): number | undefined { return this.vocab.tokenToId.get(text); }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.encodeFragments(text, this.splitter.split(text, opts.parseSpecial ?? false), opts.addSpecial ?? false);
  }

  /**
   * Tokenizes the concatenation of `parts` as one text (same ids as encoding the joined string),
   * except that special tokens are recognised only inside parts with `special: true`. This is how
   * a chat prompt keeps its template markers and still never lets document text become one.
   */
  encodeParts(parts: readonly PromptPart[], opts: { addSpecial?: boolean } = {}): number[] {
    const frags: Fragment[] = [];
    let off = 0;
    for (const p of parts) {
      for (const f of this.splitter.split(p.text, p.special)) {
        if ('token' in f) { frags.push(f); continue; }
        const last = frags[frags.length - 1];
        if (last !== undefined && !('token' in last) && last.end === off + f.start) last.end = off + f.end;
        else frags.push({ start: off + f.start, end: off + f.end });
      }
      off += p.text.length;
    }
    return this.encodeFragments(parts.map((p) => p.text).join(''), frags, opts.addSpecial ?? false);
  }

  private encodeFragments(text: string, frags: readonly Fragment[], addSpecial: boolean): number[] {
    const v = this.vocab;
    const out: number[] = [];
    if (addSpecial && v.addBos) {
      if (v.bosId < 0) throw noSpecial('BOS', 'bos_token_id');
      out.push(v.bosId);
    }
    let prevSpecial = true;
    for (const f of frags) {
      if ('token' in f) {
        out.push(f.token);
        prevSpecial = true;
      } else {
        this.encodeText(text.slice(f.start, f.end), prevSpecial, out);
        prevSpecial = false;
      }
    }
    if (addSpecial && v.addEos) {
      if (v.eosId < 0) throw noSpecial('EOS', 'eos_token_id');
      out.push(v.eosId);
    }
    return out;
  }

  private encodeText(text: string, prevSpecial: boolean, out: number[]): void {
    if (this.spm) {
      // SPM: a space before the first fragment and after each special token, spaces as U+2581.
      const t = ((this.vocab.addSpacePrefix && prevSpecial ? ' ' : '') + text).replaceAll(' ', '\u2581');
      const spm = this.spm;
      for (const chunk of chunks(t, this.chunkChars, (a, b) => !spm.joinable(a, b))) spm.encode(chunk, out);
      return;
    }
    const bpe = this.bpe!;
    const F = cptFlagsTable();
    if (this.vocab.pre.escapeSpaces) text = text.replaceAll(' ', '\u2581');
    // A newline followed by a letter always ends a pre-token word (every supported splitter).
    for (const chunk of chunks(text, this.chunkChars, (a, b) => a === 0x0a && (F[b]! & CPT_LETTER) !== 0)) {
      const { cps, offsets, n } = codePoints(chunk);
      let pos = 0;
      for (const len of preTokenize(this.vocab.pre, cps, n)) {
        bpe.encodeWord(chunk.slice(offsets[pos]!, offsets[pos + len]!), out);
        pos += len;
      }
    }
  }

  /** The bytes a token stands for, llama.cpp token_to_piece(special = true). */
  pieceBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.tokens.length) {
      throw new LongreadError('bad-request', `Token id ${id} is outside the vocabulary (0..${this.vocab.tokens.length - 1}).`,
        'Pass ids produced by this model\'s tokenizer.', { id, vocabSize: this.vocab.tokens.length });
    }
    let p = this.pieceCache[id];
    if (p === undefined) {
      p = this.computePiece(id);
      this.pieceCache[id] = p;
    }
    return p;
  }

  private computePiece(id: number): Uint8Array {
    const text = this.vocab.tokens[id]!;
    const attr = this.vocab.attrs[id]!;
    if (attr & (ATTR_CONTROL | ATTR_UNKNOWN | ATTR_USER_DEFINED)) return utf8Encode(text);
    if (attr & ATTR_NORMAL) {
      if (this.spm || !this.vocab.pre.byteEncode) return utf8Encode(text.replaceAll('\u2581', ' '));
      // Byte-level alias chars back to bytes (llama_decode_text); unknown chars stay verbatim.
      const bytes: number[] = [];
      for (const ch of text) {
        const b = ch.length === 1 ? CHAR_TO_BYTE.get(ch.charCodeAt(0)) : undefined;
        if (b !== undefined) bytes.push(b);
        else for (const x of utf8Encode(`[UNK_BYTE_${ch}]`)) bytes.push(x);
      }
      return Uint8Array.from(bytes);
    }
    if (attr & ATTR_BYTE) {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
      return Uint8Array.of(m ? parseInt(m[1]!, 16) : 0);
    }
    return new Uint8Array(0);
  }

  /** Text of one token (may be part of a UTF-8 sequence: use a stream decoder for output). */
  tokenToPiece(id: number, opts: DecodeOptions = {}): string {
    if ((opts.skipSpecial ?? true) && this.isSpecial(id)) return '';
    return utf8Decode(this.pieceBytes(id));
  }

  /**
   * Ids -> text, as llama_detokenize(remove_special=false, unparse_special=!skipSpecial) without
   * its clean-up of spaces before punctuation. For space-prefix (SentencePiece) vocabularies the
   * leading space of the first piece of text is dropped even after a skipped BOS (Hugging Face
   * does the same; llama.cpp keeps it after BOS), so decode(encode(text, any options)) === text.
   */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const skip = opts.skipSpecial ?? true;
    const parts: Uint8Array[] = [];
    let total = 0;
    let first = true;
    for (const id of ids) {
      let p = this.pieceBytes(id);
      if (skip && this.isSpecial(id)) continue;
      if (first && this.vocab.addSpacePrefix && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      first = false;
      parts.push(p);
      total += p.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return utf8Decode(all);
  }

  /**
   * Incremental decoder for generated tokens: never emits a broken UTF-8 sequence. With
   * `stripLeadingSpace`, a space-prefix (SentencePiece) vocabulary's first piece loses its
   * leading space, as decode() does (an answer after "[/INST]" starts with "▁The").
   */
  createStreamDecoder(opts: DecodeOptions & { stripLeadingSpace?: boolean } = {}): StreamDecoder {
    const skip = opts.skipSpecial ?? true;
    return new StreamDecoder((id) => (skip && this.isSpecial(id) ? new Uint8Array(0) : this.pieceBytes(id)),
      (opts.stripLeadingSpace ?? false) && this.vocab.addSpacePrefix);
  }
}

/**
 * Splits text into pieces of at least `size` units, cutting only between code points a, b with
 * canCut(a, b); a piece grows past `size` until such a place comes.
 */
function* chunks(text: string, size: number, canCut: (a: number, b: number) => boolean): Generator<string> {
  let start = 0;
  while (text.length - start > size) {
    let cut = -1;
    for (let i = start + size; i < text.length; i++) {
      const b = text.codePointAt(i)!;
      if (b >= 0xdc00 && b <= 0xdfff) continue; // inside a surrogate pair
      const a = text.codePointAt(i - 1)!;
      const prev = a >= 0xdc00 && a <= 0xdfff && i >= 2 ? text.codePointAt(i - 2)! : a;
      if (canCut(prev, b)) { cut = i; break; }
    }
    if (cut < 0) break;
    yield text.slice(start, cut);
    start = cut;
  }
  yield start === 0 ? text : text.slice(start);
}

function noSpecial(what: string, key: string): LongreadError {
  return new LongreadError('tokenizer-invalid', `The vocabulary asks for a ${what} token but has none (tokenizer.ggml.${key}).`,
    'Tokenize without addSpecial, or fix the model metadata.', { field: `tokenizer.ggml.${key}` });
}

/** Builds the tokenizer of a GGUF file from its metadata record. */
export function tokenizerFromGguf(metadata: Metadata): Tokenizer {
  return new Tokenizer(vocabFromMetadata(metadata));
}
