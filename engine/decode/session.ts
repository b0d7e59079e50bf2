/**
 * Generation sessions over a loaded model: the generation loop, stop conditions, cancellation,
 * streaming and KV prefix reuse.
 *
 *   const s = sessionCreate(model)
 *   const r = await s.generate({ promptTokens, maxTokens: 256, temperature: 0, topK: 40, topP: 0.95,
 *                                minP: 0.05, seed: 1, stop: ['\n\n'], signal, onToken(text, id, i) {} })
 *   const r2 = await s.generate({ promptTokens: [...samePrefix, ...question2], ... })  // prefix not prefilled again
 *   s.reset()
 *
 * The session remembers which tokens' K/V are in the cache (prompt + fed generated tokens); a new
 * prompt reuses the longest common prefix (at least one token is always run, for its logits)
 * and prefills only the rest. Each decode step is one submit with GPU-side sampling; only the
 * token id comes back. Stops: end-of-generation ids (not shown), stop strings (cut before the
 * string), maxTokens, the loaded context, or the AbortSignal (checked before every step, so a
 * cancel returns within one token, with stopReason 'cancelled'). Text is streamed through the
 * tokenizer's stream decoder, so no callback ever sees half a UTF-8 character.
 *
 * Taps (`taps: { attention: true }`): result.attention holds the attention of the decoded tokens
 * over the prompt positions, summed per layer and head, and binned per answer-token row: row r
 * holds the decode steps whose queries are generated tokens [r * group, (r + 1) * group)
 * (engine/telemetry/attention-tap.ts).
 *
 * Extend: speculative decoding replaces `forward.decode` by a draft + verify step that returns
 * several ids; everything after it (stops, streaming) stays.
 */

import { LongreadError } from '../errors.ts';
import { kvCacheTruncate } from '../kv/kv-cache.ts';
import type { LoadedModel } from '../models/index.ts';
import type { GenerationStats } from '../service/contract.ts';
import type { AttentionSums, AttentionTap, TapRequest } from '../telemetry/attention-tap.ts';
import { StopMatcher } from './stop.ts';

export interface GenerateRequest {
  promptTokens: number[];
  maxTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  stop?: string[];
  signal?: AbortSignal;
  onPrefillProgress?: (done: number, total: number) => void;
  /** text: newly released text (may be '' while a stop-string prefix is held back) */
  onToken?: (text: string, id: number, index: number) => void;
  taps?: TapRequest;
  /** Submit each decode step before the previous id is read (default true; tests compare both). */
  pipeline?: boolean;
}

export interface GenerateResult {
  /** generated ids (an end-of-generation id included when that ended it) */
  tokens: number[];
  text: string;
  stats: GenerationStats;
  attention?: AttentionSums;
}

export interface Session {
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** Forgets the cached prefix (the next generate prefills everything). */
  reset(): void;
  /**
   * Declares that the cache now holds the K/V of exactly these tokens (restored from a KV
   * snapshot by engine/kv/snapshot.ts); the next generate reuses them as a prefix.
   */
  adoptCache(tokens: readonly number[]): void;
  /**
   * Prepares (plans, pipelines, buffers) the prefill a generate of `promptLength` tokens will
   * run when the cache holds a reused prefix of `reuse` tokens, without running it: call it
   * alongside a snapshot restore so the question's prefill pays no one-time costs.
   */
  prepare(promptLength: number, reuse: number): Promise<void>;
  /** Tokens whose K/V are in the cache. */
  readonly cachedTokens: readonly number[];
}

export function sessionCreate(model: LoadedModel): Session {
  const { forward, kv, tokenizer } = model;
  let cached: number[] = [];
  let busy = false;

  async function generate(req: GenerateRequest): Promise<GenerateResult> {
    if (busy) throw new LongreadError('bad-request', 'A generation is already running on this session.', 'Wait for it to finish or cancel it first.');
    const prompt = req.promptTokens;
    if (prompt.length === 0) throw new LongreadError('bad-request', 'The prompt is empty.', 'Pass at least one prompt token (e.g. BOS).');
    if (prompt.length >= kv.maxTokens) {
      throw new LongreadError('context-too-large', `The prompt has ${prompt.length} tokens; the loaded context holds ${kv.maxTokens}.`,
        'Shorten the document or question, or load the model with a longer context.', { promptTokens: prompt.length, contextLength: kv.maxTokens });
    }
    busy = true;
    let tap: AttentionTap | undefined;
    try {
      // Longest common prefix with what the cache holds; always run >= 1 token for logits.
      let reuse = 0;
      while (reuse < cached.length && reuse < prompt.length - 1 && cached[reuse] === prompt[reuse]) reuse++;
      kvCacheTruncate(kv, reuse);
      cached = prompt.slice(0, reuse);
      forward.reseed(req.seed ?? 0);
      const sampler = { config: { temperature: req.temperature, topK: req.topK ?? 0, topP: req.topP ?? 1, minP: req.minP ?? 0 } };
      if (req.taps?.attention) {
        // decode steps: one per generated token after the first, within the loaded context
        const maxSteps = Math.max(1, Math.min(req.maxTokens - 1, kv.maxTokens - prompt.length));
        tap = await forward.tapCreate(prompt.length, { maxSteps, ...(req.taps.attentionBins ? { binBounds: req.taps.attentionBins } : {}), ...(req.taps.attentionRows !== undefined ? { maxRows: req.taps.attentionRows } : {}) });
      }

      const t0 = performance.now();
      const stats: GenerationStats = { promptTokens: prompt.length, generatedTokens: 0, prefillMs: 0, decodeMs: 0, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0, reusedPrefix: reuse, stopReason: 'max-tokens' };
      const tokens: number[] = [];
      const decoder = tokenizer.createStreamDecoder();
      const stops = new StopMatcher(req.stop ?? []);
      const finish = async (reason: GenerationStats['stopReason']): Promise<GenerateResult> => {
        stats.stopReason = reason;
        if (reason !== 'stop-string') {
          const rest = stops.flush(decoder.flush());
          if (rest && req.onToken) req.onToken(rest, -1, tokens.length);
        }
        stats.generatedTokens = tokens.length;
        const result: GenerateResult = { tokens, text: stops.output, stats };
        if (tap) result.attention = await tap.read();
        return result;
      };
      if (req.signal?.aborted) return await finish('cancelled');

      let id: number;
      try {
        id = await forward.prefill(prompt.slice(reuse), reuse, sampler, req.onPrefillProgress, req.signal);
      } catch (e) {
        // the cache past `reuse` is in an unknown state
        kvCacheTruncate(kv, reuse);
        if (e instanceof LongreadError && e.code === 'cancelled') return await finish('cancelled');
        throw e;
      }
      cached = prompt.slice();
      const t1 = performance.now();
      stats.prefillMs = t1 - t0;
      stats.prefillTokensPerSecond = ((prompt.length - reuse) * 1000) / Math.max(1e-3, stats.prefillMs);

      let pos = prompt.length;
      let reason: GenerationStats['stopReason'] = 'max-tokens';
      // Pipelined decode: the step after the current one is submitted before the current id is
      // read (the id feeds it on the GPU), so recording, submitting and reading overlap the GPU's
      // work. A step submitted for a token that then ends the generation is discarded: the
      // position it appended is truncated in the finally below. Not with KV tiers or taps.
      const pipelined = !kv.tiers && !tap && req.pipeline !== false;
      let ahead: Promise<number> | null = null;
      try {
        for (;;) {
          tokens.push(id);
          if (tokenizer.isEog(id)) {
            reason = 'eos';
            break;
          }
          const piece = stops.push(decoder.push(id));
          req.onToken?.(piece, id, tokens.length - 1);
          if (stops.stopped) {
            reason = 'stop-string';
            break;
          }
          if (tokens.length >= req.maxTokens || pos + 1 > kv.maxTokens) break;
          if (req.signal?.aborted) {
            reason = 'cancelled';
            break;
          }
          const cur: Promise<number> = ahead ?? (await forward.decodeSubmit(pos, sampler, tap)).id;
          ahead = null;
          // the next step is used if the token `cur` brings does not end the generation
          if (pipelined && tokens.length + 1 < req.maxTokens && pos + 2 <= kv.maxTokens) ahead = (await forward.decodeSubmit(pos + 1, sampler, tap)).id;
          id = await cur;
          cached.push(tokens[tokens.length - 1]!);
          pos++;
        }
      } finally {
        if (ahead) {
          // a discarded step: let its read finish and give back the position it appended
          await ahead.catch(() => undefined);
          kvCacheTruncate(kv, cached.length);
        }
      }
      stats.decodeMs = performance.now() - t1;
      stats.decodeTokensPerSecond = tokens.length > 1 ? ((tokens.length - 1) * 1000) / Math.max(1e-3, stats.decodeMs) : 0;
      return await finish(reason);
    } finally {
      tap?.dispose();
      busy = false;
    }
  }

  return {
    generate,
    reset() {
      cached = [];
      kvCacheTruncate(kv, 0);
    },
    adoptCache(tokens) {
      if (busy) throw new LongreadError('bad-request', 'A generation is running on this session.', 'Restore the cache between generations.');
      if (tokens.length > kv.mappedTokens) throw new LongreadError('internal', `The cache maps ${kv.mappedTokens} tokens, not ${tokens.length}.`, 'This is a bug in Longread; please report it.');
      cached = tokens.slice();
    },
    prepare(promptLength, reuse) {
      // generate always runs at least the last prompt token
      const start = Math.max(0, Math.min(reuse, promptLength - 1));
      return forward.prefillPrepare(promptLength - start, start);
    },
    get cachedTokens() {
      return cached;
    },
  };
}
