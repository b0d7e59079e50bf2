/**
 * Chat prompts: renders the model's `tokenizer.chat_template` (Jinja, via @huggingface/jinja) or
 * a fallback for GGUFs without one, then tokenizes so that only the template's own markers can
 * be special tokens.
 *
 * How untrusted text stays plain: message contents never go through Jinja. Each content is
 * replaced by a sentinel (private-use characters, padded with EM SPACEs so we can see whether
 * the template trims it), the template is rendered, and the output is cut at the sentinels:
 * template text becomes `special: true` parts, the real contents (trimmed where the template
 * trimmed) become `special: false` parts, and Tokenizer.encodeParts tokenizes the whole as one
 * string with special tokens recognised only in template parts. A document containing
 * `<|im_end|>` therefore stays text, and content cannot steer the template's control flow.
 * Consequence: templates that rewrite content by inspecting it (Qwen3 cutting "<think>...</think>"
 * out of earlier assistant turns) see only the sentinel, so pass such history already cleaned.
 *
 * Extend: a new fallback is one entry in FALLBACKS plus its detection in `chatTemplateFor`.
 */
import { Template } from '@huggingface/jinja';
import { LongreadError } from '../errors.ts';
import type { PromptPart, Tokenizer } from './tokenizer.ts';
import { ATTR_CONTROL } from './vocab.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

export type ChatTemplateKind = 'gguf' | 'chatml' | 'llama3' | 'llama2';

export interface ChatTemplate {
  kind: ChatTemplateKind;
  source: string;
}

export interface ChatPromptOptions {
  /** End with the opening of an assistant turn. Default true. */
  addGenerationPrompt?: boolean;
}

const FALLBACKS: Record<Exclude<ChatTemplateKind, 'gguf'>, string> = {
  chatml: "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3: "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  // Llama 2 chat: system folded into the first user turn.
  llama2: "{% if messages[0]['role'] == 'system' %}{% set system = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% set loop_messages = messages[1:] %}"
    + "{% else %}{% set system = '' %}{% set loop_messages = messages %}{% endif %}"
    + "{% for message in loop_messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + (system if loop.first else '') + message['content'] | trim + ' [/INST]' }}"
    + "{% else %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}",
};

/** The model's template, or the fallback its vocabulary suggests (ChatML, Llama 3, Llama 2). */
export function chatTemplateFor(tok: Tokenizer): ChatTemplate {
  const src = tok.vocab.chatTemplate;
  if (src !== null && src.trim() !== '') return { kind: 'gguf', source: src };
  const has = (t: string): boolean => tok.tokenId(t) !== undefined;
  const kind = has('<|im_start|>') && has('<|im_end|>') ? 'chatml'
    : has('<|start_header_id|>') && has('<|eot_id|>') ? 'llama3'
      : 'llama2';
  return { kind, source: FALLBACKS[kind] };
}

const compiled = new Map<string, Template>();

function unsupported(e: unknown, phase: string): LongreadError {
  const msg = e instanceof Error ? e.message : String(e);
  return new LongreadError('template-unsupported', `The chat template (tokenizer.chat_template) could not be ${phase}: ${msg}`,
    'The model\'s template uses Jinja that Longread cannot render. Choose a fallback template in the model settings, or use a model with a standard template.',
    { field: 'tokenizer.chat_template', phase, cause: msg });
}

function compile(source: string): Template {
  let t = compiled.get(source);
  if (t === undefined) {
    try {
      t = new Template(source);
    } catch (e) {
      throw unsupported(e, 'parsed');
    }
    compiled.set(source, t);
  }
  return t;
}

/** Text of a special token for the template (empty when the id is not a control token). */
function specialText(tok: Tokenizer, id: number): string {
  return id >= 0 && tok.vocab.attrs[id]! & ATTR_CONTROL ? tok.vocab.tokens[id]! : '';
}

const PAD = '\u2003';
const SENTINEL = /(\u2003?)\uE000(\d+)\uE001(\u2003?)/g;

/**
 * Renders messages into prompt parts: template text (special) and message contents (plain).
 * Also returns the rendered string for display.
 */
export function renderChatPrompt(tok: Tokenizer, template: ChatTemplate | string | null, messages: readonly ChatMessage[],
  opts: ChatPromptOptions = {}): { parts: PromptPart[]; text: string } {
  const tmpl = template === null ? chatTemplateFor(tok) : typeof template === 'string' ? { kind: 'gguf' as const, source: template } : template;
  for (const m of messages) {
    if (typeof m.content !== 'string' || typeof m.role !== 'string') {
      throw new LongreadError('bad-request', 'Chat messages need a string role and a string content.', 'Pass {role, content} objects with text content.');
    }
  }
  const stand = messages.map((m, i) => ({ role: m.role, content: `${PAD}\uE000${i}\uE001${PAD}` }));
  let rendered: string;
  try {
    rendered = compile(tmpl.source).render({
      messages: stand,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: specialText(tok, tok.bosId),
      eos_token: specialText(tok, tok.eosId),
      unk_token: specialText(tok, tok.vocab.unkId),
      pad_token: specialText(tok, tok.vocab.padId),
    });
  } catch (e) {
    throw unsupported(e, 'rendered');
  }
  const parts: PromptPart[] = [];
  let pos = 0;
  for (const m of rendered.matchAll(SENTINEL)) {
    const i = Number(m[2]);
    const msg = messages[i];
    if (msg === undefined) continue;
    if (m.index > pos) parts.push({ text: rendered.slice(pos, m.index), special: true });
    let content = msg.content;
    if (m[1] === '') content = content.trimStart();
    if (m[3] === '') content = content.trimEnd();
    if (content !== '') parts.push({ text: content, special: false });
    pos = m.index + m[0].length;
  }
  if (pos < rendered.length) parts.push({ text: rendered.slice(pos), special: true });
  if (parts.some((p) => p.special && (p.text.includes('\uE000') || p.text.includes('\uE001')))) {
    throw unsupported(new Error('the template altered message content in a way Longread cannot track'), 'rendered');
  }
  return { parts, text: parts.map((p) => p.text).join('') };
}

/**
 * Token ids of a chat prompt: template markers as special tokens, message contents never.
 * BOS/EOS come from the template itself (as Hugging Face's apply_chat_template does).
 */
export function chatPromptTokens(tok: Tokenizer, template: ChatTemplate | string | null, messages: readonly ChatMessage[],
  opts: ChatPromptOptions = {}): number[] {
  return tok.encodeParts(renderChatPrompt(tok, template, messages, opts).parts);
}
