/**
 * The engine contract: every request the UI (or any client) can make of the engine host, every
 * response, progress / token / telemetry event and error, in one file. Imported by engine/,
 * electron/ and renderer/; both transports (Electron MessagePort, WebSocket) carry exactly
 * these messages. Pure types and constants: no Node built-ins, no DOM.
 *
 * Extending: add a method to `Methods` (params + result) and to `METHOD_NAMES`, implement it in
 * engine/service/service.ts; the preload verbs and the client pick it up from `METHOD_NAMES`.
 * Long-running methods report `progress` events tagged with the request id (= the job id) and
 * can be stopped with `job.cancel`.
 */

import type { WireError } from '../errors.ts';

export type { WireError } from '../errors.ts';

export const CONTRACT_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Shared payload types

export interface GpuLimitsInfo {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  minStorageBufferOffsetAlignment: number;
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** One-line human name, e.g. "llvmpipe (LLVM 19.1.7, 256 bits)" or "NVIDIA H100 80GB HBM3". */
  adapterName: string;
  backend: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: GpuLimitsInfo;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export type ModelState = 'none' | 'loading' | 'ready' | 'error';

export interface ModelInfo {
  path: string;
  name: string;
  architecture: string;
  /** Dominant quantization, e.g. "Q4_K" / "Q8_0" / "F16"; `typeMix` has the full count. */
  quantization: string;
  typeMix: Record<string, number>;
  parameterCount: number;
  fileBytes: number;
  contextLength: number;
  /** Context the engine will allocate (<= contextLength). */
  loadedContextLength?: number;
  layers: number;
  embeddingLength: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  tokenizer: string;
  hasChatTemplate: boolean;
  /** Estimated GPU bytes: weights + KV cache at the requested context + activations. */
  memory: { weightsBytes: number; kvBytesPerToken: number; kvBytes: number; activationBytes: number; totalBytes: number };
  bundled: boolean;
}

export interface EngineStatus {
  contractVersion: number;
  engineVersion: string;
  gpu: GpuInfo | null;
  gpuError: WireError | null;
  model: ModelInfo | null;
  modelState: ModelState;
  bundledModelPath: string | null;
}

export type DocumentFormat = 'pdf' | 'docx' | 'epub' | 'html' | 'markdown' | 'text';

export interface DocumentInfo {
  id: string;
  name: string;
  format: DocumentFormat;
  title: string;
  author: string | null;
  pages: number | null;
  words: number;
  characters: number;
  bytes: number;
  addedAt: number;
  /** Tokens under the loaded model's tokenizer, when known. */
  tokens?: number;
  /** Text encoding the file was decoded with (text, HTML, Markdown), e.g. "utf-8" or "windows-1252". */
  encoding?: string;
  /** What ingest had to do that the user may want to know (encoding fallback, removed running headers...). */
  notes?: string[];
}

/** Half-open character range [start, end) in the document's normalised text. */
export interface TextSpan {
  start: number;
  end: number;
}

export interface PageSpan extends TextSpan {
  page: number;
}

export interface SectionSpan extends TextSpan {
  /** Heading path from the top: ["Chapter 2", "2.1 Methods"]. */
  path: string[];
  level: number;
}

export interface SourceMap {
  pages: PageSpan[];
  sections: SectionSpan[];
}

export interface DocumentContent {
  info: DocumentInfo;
  text: string;
  sourceMap: SourceMap;
}

export type DocumentSource = { kind: 'path'; path: string } | { kind: 'bytes'; name: string; data: Uint8Array };

export interface Evidence extends TextSpan {
  documentId: string;
  page: number | null;
  section: string[];
  /** Share of the answer's attention mass that fell on this passage, 0..1. */
  score: number;
  snippet: string;
}

export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  reusedPrefix: number;
  stopReason: 'eos' | 'stop-string' | 'max-tokens' | 'cancelled' | 'error';
}

export type ChatRole = 'user' | 'assistant';

export interface ChatMessage {
  id: string;
  role: ChatRole;
  text: string;
  createdAt: number;
  stats?: GenerationStats;
  evidence?: Evidence[];
  error?: WireError;
}

export interface ChatSummary {
  id: string;
  title: string;
  documentIds: string[];
  updatedAt: number;
  messageCount: number;
}

export interface Chat extends ChatSummary {
  messages: ChatMessage[];
}

export interface GenerateOptions {
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
}

export interface ContextCheck {
  documentTokens: number;
  questionTokens: number;
  templateTokens: number;
  reserveForAnswer: number;
  total: number;
  contextLength: number;
  fits: boolean;
}

export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  theme: Theme;
  modelPath: string | null;
  contextLength: number | null;
  /** VRAM budget for the KV cache, bytes; null = probed default. */
  vramBudgetBytes: number | null;
  lastChatId: string | null;
  lastDocumentId: string | null;
  generation: GenerateOptions;
}

// Telemetry ----------------------------------------------------------------------------------

export type TapName = 'attn_scores' | 'kv_pages' | 'kept_tokens' | 'sparsity';

export interface SparsitySample {
  /** Fraction of attention work skipped per layer (0 = dense). */
  perLayer: number[];
  mode: 'dense' | string;
}

export interface KvTierSample {
  t: number;
  gpuPages: number;
  ramPages: number;
  diskPages: number;
  pageTokens: number;
  bytesPerPage: number;
}

export interface AttentionHeatmap {
  messageId: string;
  documentId: string | null;
  layers: number;
  heads: number;
  /** Document positions are binned: bin i covers characters [binStarts[i], binStarts[i+1]). */
  bins: number;
  binCharStarts: number[];
  /**
   * Row labels: rows = answer tokens (each generated token as the query that produced the next
   * one), or groups of consecutive tokens for long answers (at most 128 rows), labelled with
   * their text; cols = bins.
   */
  answerTokens: string[];
  /**
   * Matrices keyed `heatmapKey(layer, head)` ("layer:head"), each row-major [answerTokens x bins]:
   * the mean attention per token of the row on the bin; layer / head index `-1` = average
   * ("-1:-1" is the mean over all layers and heads). Per-(layer, head) matrices are left out of
   * very large maps (over ~1M cells; the averages per layer and per head stay).
   */
  values: Record<string, number[]>;
}

/** Key of one matrix in `AttentionHeatmap.values`; -1 for the average over layers or heads. */
export function heatmapKey(layer: number, head: number): string {
  return `${layer}:${head}`;
}

export type TelemetryEvent =
  | { tap: 'sparsity'; sample: SparsitySample }
  | { tap: 'kv_pages'; sample: KvTierSample }
  | { tap: 'attn_scores'; messageId: string; available: true };

// ---------------------------------------------------------------------------------------------
// Methods

export interface Methods {
  'engine.status': { params: Record<string, never>; result: EngineStatus };
  'model.inspect': { params: { path: string }; result: ModelInfo };
  'model.load': { params: { path?: string; contextLength?: number }; result: ModelInfo };
  'model.unload': { params: Record<string, never>; result: { ok: true } };
  'document.ingest': { params: { source: DocumentSource }; result: DocumentInfo };
  'document.list': { params: Record<string, never>; result: DocumentInfo[] };
  'document.get': { params: { id: string }; result: DocumentContent };
  'document.remove': { params: { id: string }; result: { ok: true } };
  'chat.list': { params: Record<string, never>; result: ChatSummary[] };
  'chat.get': { params: { id: string }; result: Chat };
  'chat.create': { params: { documentIds: string[]; title?: string }; result: Chat };
  'chat.delete': { params: { id: string }; result: { ok: true } };
  /** `maxTokens`: the answer reserve to count (the UI sends its generation setting); engine default when absent. */
  'chat.check': { params: { documentIds: string[]; question: string; maxTokens?: number }; result: ContextCheck };
  'chat.ask': { params: { chatId: string; question: string; options?: GenerateOptions }; result: ChatMessage };
  'chat.regenerate': { params: { chatId: string; messageId: string; options?: GenerateOptions }; result: ChatMessage };
  'job.cancel': { params: { jobId: string }; result: { cancelled: boolean } };
  'telemetry.subscribe': { params: { taps: TapName[] }; result: { ok: true } };
  'telemetry.heatmap': { params: { messageId: string }; result: AttentionHeatmap };
  'telemetry.kvHistory': { params: Record<string, never>; result: KvTierSample[] };
  'settings.get': { params: Record<string, never>; result: Settings };
  'settings.set': { params: { patch: Partial<Settings> }; result: Settings };
}

export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** Every method, in one list: the preload exposes exactly these verbs and nothing else. */
export const METHOD_NAMES = [
  'engine.status',
  'model.inspect',
  'model.load',
  'model.unload',
  'document.ingest',
  'document.list',
  'document.get',
  'document.remove',
  'chat.list',
  'chat.get',
  'chat.create',
  'chat.delete',
  'chat.check',
  'chat.ask',
  'chat.regenerate',
  'job.cancel',
  'telemetry.subscribe',
  'telemetry.heatmap',
  'telemetry.kvHistory',
  'settings.get',
  'settings.set',
] as const satisfies readonly MethodName[];

// Compile-time check that METHOD_NAMES lists every method exactly.
type _AllListed = Exclude<MethodName, (typeof METHOD_NAMES)[number]> extends never ? true : never;
export const _methodListComplete: _AllListed = true;

export function isMethodName(x: unknown): x is MethodName {
  return typeof x === 'string' && (METHOD_NAMES as readonly string[]).includes(x);
}

// ---------------------------------------------------------------------------------------------
// Events

export type ProgressStage = 'ingest' | 'model-load' | 'prefill' | 'decode' | 'snapshot-save' | 'snapshot-restore' | 'tokenize';

export interface ProgressEvent {
  jobId: string;
  stage: ProgressStage;
  done: number;
  total: number;
  unit: 'bytes' | 'pages' | 'tokens' | 'tensors' | 'chunks';
  /** Estimated milliseconds until done; absent until there is a rate. */
  etaMs?: number;
  message?: string;
}

export interface TokenEvent {
  jobId: string;
  chatId: string;
  messageId: string;
  /** UTF-8-safe text delta (never half a character). */
  text: string;
  index: number;
  tokensPerSecond: number;
}

export interface NoticeEvent {
  level: 'info' | 'warning' | 'error';
  message: string;
  hint?: string;
}

export interface Events {
  progress: ProgressEvent;
  token: TokenEvent;
  telemetry: TelemetryEvent;
  status: EngineStatus;
  notice: NoticeEvent;
}

export type EventName = keyof Events;

// ---------------------------------------------------------------------------------------------
// Wire messages (what a transport carries)

export interface RequestMessage<M extends MethodName = MethodName> {
  kind: 'request';
  id: string;
  method: M;
  params: ParamsOf<M>;
}

export type ResponseMessage =
  | { kind: 'response'; id: string; ok: true; result: unknown }
  | { kind: 'response'; id: string; ok: false; error: WireError };

export interface EventMessage<E extends EventName = EventName> {
  kind: 'event';
  event: E;
  payload: Events[E];
}

export type ClientMessage = RequestMessage;
export type ServerMessage = ResponseMessage | EventMessage;

/** A bidirectional message channel. Both transports (MessagePort, WebSocket) implement it. */
export interface Transport<In, Out> {
  send(msg: Out): void;
  onMessage(handler: (msg: In) => void): () => void;
  onClose(handler: () => void): () => void;
  close(): void;
}

export type ClientTransport = Transport<ServerMessage, ClientMessage>;
export type ServerTransport = Transport<ClientMessage, ServerMessage>;
