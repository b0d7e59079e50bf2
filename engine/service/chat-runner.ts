/**
 * ChatRunner: answers a question about a chat's documents. It builds the prompt through the
 * model's chat template (document text and question are untrusted: never special tokens),
 * checks that it fits the loaded context BEFORE running (never a silent truncation), streams
 * tokens through the contract, saves the exchange, and turns the attention tap into evidence
 * passages and a heatmap (evidence.ts).
 *
 * Prompt layout (the one the bundled model was trained on, tools/train/tasks.py):
 *   system: Longread's role;  user: "Read the document below and answer the question.\n\n"
 *   + documents + "\n\nQuestion: " + question.
 * Each question is answered from the documents alone (earlier turns are not replayed), so the
 * documents form a stable prefix and the session reuses their KV cache across questions.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorToWire, LongreadError } from '../errors.ts';
import { kvSnapshotRestore, kvSnapshotSave } from '../kv/snapshot.ts';
import { snapshotDiscard, snapshotFingerprint } from '../kv/snapshot-file.ts';
import type { GenerateRequest, GenerateResult } from '../decode/index.ts';
import { chatTemplateFor, renderChatPrompt } from '../tokenizer/chat-template.ts';
import type { AttentionHeatmap, Chat, ChatMessage, ContextCheck, DocumentContent, GenerateOptions, NoticeEvent } from './contract.ts';
import { ENGINE_VERSION } from './version.ts';
import { DOC_INTRO, QUESTION_MARK, docQuestionMessages, joinDocuments } from './doc-prompt.ts';
import { evidenceFrom, heatmapBins, heatmapFromRows, tokenCharStarts, type DocRegion } from './evidence.ts';
import type { ModelHost } from './model-host.ts';
import type { RequestContext } from './server.ts';
import { newId } from './ids.ts';
import type { Stores } from './stores.ts';

const DEFAULT_MAX_TOKENS = 256;
const HEATMAPS_KEPT = 32;
/** Prefixes shorter than this are cheaper to prefill than to snapshot. */
export const SNAPSHOT_MIN_TOKENS = Number(process.env.LONGREAD_SNAPSHOT_MIN_TOKENS ?? 1024);

interface BuiltPrompt {
  ids: number[];
  rendered: string;
  /** character offset of each token in `rendered` (tokenCharStarts) */
  starts: Int32Array;
  regions: DocRegion[];
  docs: Map<string, DocumentContent>;
  documentTokens: number;
  questionTokens: number;
  /** Tokens before the question: the document prefix that KV snapshots hold. */
  prefixTokens: number;
  prefixText: string;
}

export class ChatRunner {
  private readonly heatmaps = new Map<string, AttentionHeatmap>();
  private readonly checkCache = new Map<string, { promptTokens: number; documentTokens: number }>();

  constructor(
    private readonly stores: Stores,
    private readonly models: ModelHost,
    private readonly notice: (n: NoticeEvent) => void = () => undefined,
  ) {}

  private async build(documentIds: string[], question: string): Promise<BuiltPrompt> {
    const model = this.models.loaded;
    const tok = model.tokenizer;
    const docs = new Map<string, DocumentContent>();
    for (const id of documentIds) docs.set(id, await this.stores.getDocument(id));
    const docList = [...docs.values()];
    const promptDocs = docList.map((d) => ({ title: d.info.title || d.info.name, text: d.text }));
    const joined = joinDocuments(promptDocs);
    const template = model.chatTemplate ?? chatTemplateFor(tok);
    const { parts, text: rendered } = renderChatPrompt(tok, template, docQuestionMessages(promptDocs, question));
    const ids = tok.encodeParts(parts);
    // Locate each document's text inside the rendered prompt.
    const regions: DocRegion[] = [];
    let from = rendered.indexOf(DOC_INTRO);
    for (const d of docList) {
      if (d.text.length === 0) continue;
      const at = rendered.indexOf(d.text.slice(0, Math.min(200, d.text.length)), Math.max(0, from));
      if (at < 0) continue;
      regions.push({ documentId: d.info.id, promptStart: at, length: d.text.length });
      from = at + d.text.length;
    }
    const documentTokens = docList.length ? tok.encode(joined).length : 0;
    const questionTokens = tok.encode(question).length;
    // The prefix: whole tokens ending before "\n\nQuestion:", less two for merges at the seam.
    const qAt = rendered.lastIndexOf(QUESTION_MARK);
    const starts = tokenCharStarts(ids.map((id) => tok.pieceBytes(id).length), rendered);
    let prefixTokens = 0;
    while (prefixTokens < ids.length && starts[prefixTokens + 1]! <= qAt) prefixTokens++;
    prefixTokens = Math.max(0, prefixTokens - 2);
    return { ids, rendered, starts, regions, docs, documentTokens, questionTokens, prefixTokens, prefixText: rendered.slice(0, Math.max(0, qAt)) };
  }

  private contextLength(): number {
    const info = this.models.loaded.info;
    return info.loadedContextLength ?? info.contextLength;
  }

  /**
   * The context meter. The UI calls it on every pause in typing, so the documents' part of the
   * prompt is tokenized once per (model, documents) and only the question each time; the count
   * can differ by a token at the seam, and `ask` checks the exact prompt before running.
   */
  async check(documentIds: string[], question: string, maxTokens = DEFAULT_MAX_TOKENS): Promise<ContextCheck> {
    const key = `${this.models.identity ?? ''}|${documentIds.join(',')}`;
    let base = this.checkCache.get(key);
    if (!base) {
      const p = await this.build(documentIds, '');
      base = { promptTokens: p.ids.length, documentTokens: p.documentTokens };
      this.checkCache.set(key, base);
      while (this.checkCache.size > 16) this.checkCache.delete(this.checkCache.keys().next().value!);
    }
    const questionTokens = question.trim() ? this.models.loaded.tokenizer.encode(question.trim()).length : 0;
    const promptTokens = base.promptTokens + questionTokens;
    const contextLength = this.contextLength();
    const total = promptTokens + maxTokens;
    return {
      documentTokens: base.documentTokens,
      questionTokens,
      templateTokens: Math.max(0, promptTokens - base.documentTokens - questionTokens),
      reserveForAnswer: maxTokens,
      total,
      contextLength,
      fits: total <= contextLength,
    };
  }

  async ask(chatId: string, question: string, options: GenerateOptions, ctx: RequestContext): Promise<ChatMessage> {
    const chat = this.stores.getChat(chatId);
    if (!question.trim()) throw new LongreadError('bad-request', 'The question is empty.', 'Type a question about the document.');
    const user: ChatMessage = { id: newId(), role: 'user', text: question, createdAt: Date.now() };
    chat.messages.push(user);
    return this.answer(chat, question, options, ctx);
  }

  async regenerate(chatId: string, messageId: string, options: GenerateOptions, ctx: RequestContext): Promise<ChatMessage> {
    const chat = this.stores.getChat(chatId);
    const i = chat.messages.findIndex((m) => m.id === messageId);
    if (i < 0 || chat.messages[i]!.role !== 'assistant') {
      throw new LongreadError('not-found', 'That answer is not in this chat.', 'Regenerate the latest answer of the chat.');
    }
    const question = chat.messages.slice(0, i).reverse().find((m) => m.role === 'user');
    if (!question) throw new LongreadError('bad-request', 'No question precedes that answer.', 'Ask the question again.');
    chat.messages.splice(i);
    return this.answer(chat, question.text, options, ctx);
  }

  async heatmap(messageId: string): Promise<AttentionHeatmap> {
    const h = this.heatmaps.get(messageId);
    if (!h) throw new LongreadError('not-found', 'No attention data for that answer.', 'Attention maps are kept for recent answers of this session; ask the question again to see one.');
    return h;
  }

  private async answer(chat: Chat, question: string, options: GenerateOptions, ctx: RequestContext): Promise<ChatMessage> {
    const p = await this.build(chat.documentIds, question);
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    const contextLength = this.contextLength();
    if (p.ids.length + maxTokens > contextLength) {
      throw new LongreadError(
        'context-too-large',
        `The documents and question need ${p.ids.length} tokens plus ${maxTokens} for the answer, but the loaded context holds ${contextLength}.`,
        'Load the model with a longer context in the Models panel, or ask about fewer documents. Longread never truncates a document.',
        { promptTokens: p.ids.length, contextLength },
      );
    }
    const msg: ChatMessage = { id: newId(), role: 'assistant', text: '', createdAt: Date.now() };
    const started = Date.now();
    let firstToken = 0;
    let streamed = '';
    // heatmap columns: token ranges of the first document, binned per answer token by the tap
    const heatBins = p.regions[0] ? heatmapBins(p.starts, p.regions[0]) : null;
    try {
      const r = await this.generateWithSnapshot(p, ctx, {
        promptTokens: p.ids,
        maxTokens,
        temperature: options.temperature ?? 0,
        ...(options.topK !== undefined ? { topK: options.topK } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.minP !== undefined ? { minP: options.minP } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        signal: ctx.signal,
        taps: { attention: p.regions.length > 0, ...(heatBins ? { attentionBins: heatBins.bounds } : {}) },
        onPrefillProgress: (done, total) => {
          const elapsed = Date.now() - started;
          ctx.progress({ stage: 'prefill', done, total, unit: 'tokens', ...(done > 0 ? { etaMs: Math.round((elapsed * (total - done)) / done) } : {}) });
        },
        onToken: (text, _id, index) => {
          if (!firstToken) firstToken = Date.now();
          streamed += text;
          const secs = (Date.now() - firstToken) / 1000;
          ctx.token({ chatId: chat.id, messageId: msg.id, text, index, tokensPerSecond: secs > 0 ? index / secs : 0 });
        },
      });
      msg.text = r.text;
      msg.stats = r.stats;
      if (r.attention) {
        msg.evidence = evidenceFrom(r.attention, p.starts, p.regions, p.docs);
        const tok = this.models.loaded.tokenizer;
        // rows: the generated tokens fed back as queries (the last one never is)
        if (heatBins && r.attention.binned && r.attention.binned.rows > 0) this.keepHeatmap(heatmapFromRows(r.attention, heatBins.binCharStarts, p.regions[0]!.documentId, msg.id, (i, j) => tok.decode(r.tokens.slice(i, j))));
      }
    } catch (e) {
      if (!(e instanceof LongreadError && e.code === 'cancelled')) {
        // Keep the question and say what went wrong in the chat: nothing the user typed is lost.
        msg.text = streamed;
        msg.error = errorToWire(e);
        chat.messages.push(msg);
        chat.updatedAt = Date.now();
        await this.stores.saveChat(chat);
        throw e;
      }
      msg.text = streamed;
      msg.stats = { promptTokens: p.ids.length, generatedTokens: 0, prefillMs: 0, decodeMs: Date.now() - started, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0, reusedPrefix: 0, stopReason: 'cancelled' };
    }
    chat.messages.push(msg);
    chat.updatedAt = Date.now();
    await this.stores.saveChat(chat);
    await this.stores.patchSettings({ lastChatId: chat.id });
    return msg;
  }

  /**
   * Generation with KV snapshots of the document prefix: when the session's cache does not hold
   * the prefix, restore it from `<data>/kv/<fingerprint>.kv` if there is one (a damaged or
   * mismatched file is discarded with a notice and the prefix prefilled); after a generation
   * that prefilled the prefix, save it for next time.
   */
  private generateWithSnapshot(p: BuiltPrompt, ctx: RequestContext, req: GenerateRequest): Promise<GenerateResult> {
    return this.models.withSession(async ({ model, session, identity }) => {
      const n = p.prefixTokens;
      if (n < SNAPSHOT_MIN_TOKENS || !identity) return session.generate(req);
      const prefix = p.ids.slice(0, n);
      const fp = snapshotFingerprint({ modelIdentity: identity, documentText: p.prefixText, engineVersion: ENGINE_VERSION });
      const file = path.join(this.stores.dir, 'kv', `${fp}.kv`);
      const cached = session.cachedTokens;
      let common = 0;
      while (common < cached.length && common < n && cached[common] === prefix[common]) common++;
      let restored = false;
      if (common < n && existsSync(file)) {
        ctx.progress({ stage: 'snapshot-restore', done: 0, total: n, unit: 'tokens' });
        // the question's prefill plans are built while the snapshot is read (errors surface in generate)
        const prepared = session.prepare(p.ids.length, n).catch(() => undefined);
        try {
          const ids = await kvSnapshotRestore(model.kv, file, fp);
          await prepared;
          if (ids.length !== n || ids.some((t, i) => t !== prefix[i])) throw new LongreadError('snapshot-invalid', 'The KV snapshot holds other tokens.', 'It will be discarded.');
          session.adoptCache(ids);
          restored = true;
          ctx.progress({ stage: 'snapshot-restore', done: n, total: n, unit: 'tokens' });
        } catch (e) {
          await prepared;
          session.reset();
          await snapshotDiscard(file);
          const w = errorToWire(e);
          this.notice({ level: 'warning', message: `A saved document state was discarded: ${w.message}`, hint: 'The document is read again (prefill); nothing else is affected.' });
        }
      }
      const r = await session.generate(req);
      if (!restored && r.stats.reusedPrefix < n && r.stats.stopReason !== 'cancelled' && !existsSync(file)) {
        ctx.progress({ stage: 'snapshot-save', done: 0, total: n, unit: 'tokens' });
        try {
          await kvSnapshotSave(model.kv, prefix, file, fp, ENGINE_VERSION);
        } catch (e) {
          const w = errorToWire(e);
          this.notice({ level: 'warning', message: `The document state could not be saved: ${w.message}`, hint: w.hint });
        }
        ctx.progress({ stage: 'snapshot-save', done: n, total: n, unit: 'tokens' });
      }
      return r;
    });
  }

  private keepHeatmap(h: AttentionHeatmap): void {
    this.heatmaps.set(h.messageId, h);
    while (this.heatmaps.size > HEATMAPS_KEPT) this.heatmaps.delete(this.heatmaps.keys().next().value!);
  }
}
