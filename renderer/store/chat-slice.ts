/**
 * Chat slice: the chat list, the open chat, the streamed answer in progress (tokens arrive as
 * `token` events for the chat.ask / chat.regenerate job), stop (job.cancel), regenerate, and
 * the context check (chat.check) that must say before sending when the documents do not fit.
 *
 * The engine is the source of truth: after every ask / regenerate / stop the chat is re-read
 * with chat.get. The optimistic user message and the streaming text only bridge the wait.
 */

import type { Chat, ChatMessage, ChatSummary, ContextCheck, GenerateOptions } from '../../engine/service/contract.ts';
import type { WireError } from '../../engine/errors.ts';
import { isCancelled, toWireError } from './errors.ts';
import type { SliceCreator } from './types.ts';

export interface Streaming {
  jobId: string | null;
  chatId: string;
  /** Message being regenerated, or null for a new answer. */
  replacesMessageId: string | null;
  messageId: string | null;
  question: string | null;
  text: string;
  tokens: number;
  tokensPerSecond: number;
  startedAt: number;
}

export interface ChatSlice {
  chats: ChatSummary[];
  activeChat: Chat | null;
  chatError: WireError | null;
  streaming: Streaming | null;
  contextCheck: ContextCheck | null;
  contextCheckError: WireError | null;
  /** The answer whose evidence is shown in the viewer and heatmap. */
  selectedAnswerId: string | null;
  /** The question being typed (kept here so switching panels does not lose it). */
  draft: string;
  setDraft(text: string): void;
  refreshChats(): Promise<void>;
  openChat(id: string | null): Promise<void>;
  newChat(documentIds: string[]): Promise<Chat | null>;
  deleteChat(id: string): Promise<void>;
  checkContext(question: string): Promise<ContextCheck | null>;
  ask(question: string, options?: GenerateOptions): Promise<ChatMessage | null>;
  regenerate(messageId: string, options?: GenerateOptions): Promise<ChatMessage | null>;
  stop(): Promise<void>;
  selectAnswer(messageId: string | null): void;
}

/** The last assistant message of a chat, if any. */
export function lastAnswer(chat: Chat | null): ChatMessage | null {
  if (!chat) return null;
  for (let i = chat.messages.length - 1; i >= 0; i--) if (chat.messages[i]!.role === 'assistant') return chat.messages[i]!;
  return null;
}

export const createChatSlice: SliceCreator<ChatSlice> = (set, get, { client, now }) => {
  async function reloadActive(chatId: string): Promise<void> {
    try {
      const chat = await client.call('chat.get', { id: chatId });
      if (get().activeChat?.id === chatId) set({ activeChat: chat });
    } catch (e) {
      set({ chatError: toWireError(e) });
    }
    await get().refreshChats();
  }

  async function generate(
    kind: 'ask' | 'regenerate',
    question: string | null,
    replacesMessageId: string | null,
    options: GenerateOptions | undefined,
  ): Promise<ChatMessage | null> {
    const chat = get().activeChat;
    if (!chat || get().streaming) return null;
    set({
      chatError: null,
      streaming: { jobId: null, chatId: chat.id, replacesMessageId, messageId: null, question, text: '', tokens: 0, tokensPerSecond: 0, startedAt: now() },
    });
    const onToken = (t: { messageId: string; text: string; index: number; tokensPerSecond: number }) => {
      const s = get().streaming;
      if (!s) return;
      set({ streaming: { ...s, messageId: t.messageId, text: s.text + t.text, tokens: Math.max(s.tokens + 1, t.index + 1), tokensPerSecond: t.tokensPerSecond } });
    };
    const onStart = (jobId: string) => {
      const s = get().streaming;
      if (s) set({ streaming: { ...s, jobId } });
    };
    // Explicit options win; else the persisted generation settings (Models > Answers).
    const chosen = options ?? get().settings?.generation;
    const opts = chosen && Object.keys(chosen).length > 0 ? { options: chosen } : {};
    let result: ChatMessage | null = null;
    try {
      result =
        kind === 'ask'
          ? await get().runJob('chat.ask', { chatId: chat.id, question: question ?? '', ...opts }, { label: 'Answering', onToken, onStart })
          : await get().runJob('chat.regenerate', { chatId: chat.id, messageId: replacesMessageId ?? '', ...opts }, { label: 'Regenerating', onToken, onStart });
    } catch (e) {
      if (!isCancelled(e)) set({ chatError: toWireError(e) });
    }
    set({ streaming: null });
    await reloadActive(chat.id);
    if (result) {
      get().selectAnswer(result.id);
      void get().loadHeatmap(result.id);
    }
    return result;
  }

  return {
    chats: [],
    activeChat: null,
    chatError: null,
    streaming: null,
    contextCheck: null,
    contextCheckError: null,
    selectedAnswerId: null,
    draft: '',

    setDraft(draft) {
      set({ draft });
    },

    async refreshChats() {
      try {
        const chats = await client.call('chat.list', {});
        chats.sort((a, b) => b.updatedAt - a.updatedAt);
        set({ chats });
      } catch (e) {
        set({ chatError: toWireError(e) });
      }
    },

    async openChat(id) {
      if (id === null) {
        set({ activeChat: null, selectedAnswerId: null, contextCheck: null });
        return;
      }
      try {
        const chat = await client.call('chat.get', { id });
        set({ activeChat: chat, chatError: null, contextCheck: null, contextCheckError: null });
        if (get().settings?.lastChatId !== id) void get().patchSettings({ lastChatId: id });
        const first = chat.documentIds[0];
        if (first && get().openDocumentId !== first) await get().openDocument(first);
        // Show the evidence of the latest answer that has some (a stopped answer may have none).
        const withEvidence = [...chat.messages].reverse().find((m) => m.role === 'assistant' && (m.evidence?.length ?? 0) > 0);
        get().selectAnswer(withEvidence?.id ?? lastAnswer(chat)?.id ?? null);
      } catch (e) {
        set({ chatError: toWireError(e) });
      }
    },

    async newChat(documentIds) {
      try {
        const chat = await client.call('chat.create', { documentIds });
        await get().refreshChats();
        await get().openChat(chat.id);
        return chat;
      } catch (e) {
        set({ chatError: toWireError(e) });
        return null;
      }
    },

    async deleteChat(id) {
      try {
        await client.call('chat.delete', { id });
        if (get().activeChat?.id === id) await get().openChat(null);
        await get().refreshChats();
      } catch (e) {
        set({ chatError: toWireError(e) });
      }
    },

    async checkContext(question) {
      const chat = get().activeChat;
      if (!chat) return null;
      try {
        const maxTokens = get().settings?.generation.maxTokens;
        const contextCheck = await client.call('chat.check', { documentIds: chat.documentIds, question, ...(maxTokens ? { maxTokens } : {}) });
        set({ contextCheck, contextCheckError: null });
        return contextCheck;
      } catch (e) {
        set({ contextCheck: null, contextCheckError: toWireError(e) });
        return null;
      }
    },

    async ask(question, options) {
      const q = question.trim();
      if (!q || !get().activeChat || get().streaming) return null;
      const check = await get().checkContext(q);
      if (check && !check.fits) {
        set({
          chatError: {
            code: 'context-too-large',
            message: `The documents and question need ${check.total.toLocaleString()} tokens but the model's context holds ${check.contextLength.toLocaleString()}. Nothing was sent.`,
            hint: 'Remove a document from this chat, or load the model with a longer context (Models).',
          },
        });
        return null;
      }
      return generate('ask', q, null, options);
    },

    async regenerate(messageId, options) {
      return generate('regenerate', null, messageId, options);
    },

    async stop() {
      const s = get().streaming;
      if (s?.jobId) await get().cancelJob(s.jobId);
    },

    selectAnswer(messageId) {
      set({ selectedAnswerId: messageId });
      const chat = get().activeChat;
      const msg = chat?.messages.find((m) => m.id === messageId);
      const ev = msg?.evidence ?? [];
      const docId = ev[0]?.documentId ?? chat?.documentIds[0];
      if (!docId) return;
      const spans = ev.filter((e) => e.documentId === docId).map((e) => ({ start: e.start, end: e.end }));
      get().setHighlight(docId, spans, null);
    },
  };
};
