/**
 * The chat panel: the open chat's messages, the answer being streamed (live text, tokens/s,
 * Stop), the context meter and the composer. Enter sends, Shift+Enter adds a line, Escape
 * stops a generation. Without an open chat it offers to start one on the open document.
 */

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatPercent } from '../../components/format.ts';
import { formatEta, jobFraction } from '../../store/jobs-slice.ts';
import { useApp, useAppStore } from '../../store/react.ts';
import { ContextMeter } from './context-meter.tsx';
import { Markdown, MessageView } from './message-view.tsx';

const CHECK_DEBOUNCE_MS = 350;

export function ChatPanel() {
  const chat = useApp((s) => s.activeChat);
  const openDocId = useApp((s) => s.openDocumentId);
  const openDoc = useApp((s) => s.documents.find((d) => d.id === s.openDocumentId) ?? null);
  const newChat = useApp((s) => s.newChat);
  const chatError = useApp((s) => s.chatError);
  if (!chat) {
    return (
      <section className="panel-body chat-empty" aria-label="Chat">
        {chatError && <ErrorBox error={chatError} />}
        <p>Ask questions about a document: the whole document goes into the model's context.</p>
        {openDocId && openDoc ? (
          <button type="button" className="btn-primary" onClick={() => void newChat([openDocId])} data-testid="new-chat">
            New chat with “{openDoc.title || openDoc.name}”
          </button>
        ) : (
          <p className="muted">Open a document from the library first, or tick several to chat over them together.</p>
        )}
      </section>
    );
  }
  return (
    <section className="chat" aria-label={`Chat: ${chat.title}`} data-testid="chat">
      <ChatHeader />
      <Messages />
      <Composer />
    </section>
  );
}

function ChatHeader() {
  const chat = useApp((s) => s.activeChat)!;
  const documents = useApp((s) => s.documents);
  const deleteChat = useApp((s) => s.deleteChat);
  const openDocument = useApp((s) => s.openDocument);
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="chat-header">
      <div className="chat-title">
        <strong title={chat.title}>{chat.title}</strong>
        <span className="chat-docs">
          {chat.documentIds.map((id) => {
            const d = documents.find((x) => x.id === id);
            return (
              <button key={id} type="button" className="chip chip-button" onClick={() => void openDocument(id)}>
                {d ? d.title || d.name : 'missing document'}
              </button>
            );
          })}
        </span>
      </div>
      {confirm ? (
        <button type="button" className="btn btn-small btn-danger" onClick={() => void deleteChat(chat.id)} onBlur={() => setConfirm(false)} autoFocus>
          Delete chat?
        </button>
      ) : (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setConfirm(true)}>
          Delete
        </button>
      )}
    </div>
  );
}

function Messages() {
  const chat = useApp((s) => s.activeChat)!;
  const streaming = useApp((s) => (s.streaming && s.streaming.chatId === s.activeChat?.id ? s.streaming : null));
  const chatError = useApp((s) => s.chatError);
  const stop = useApp((s) => s.stop);
  const endRef = useRef<HTMLDivElement | null>(null);
  // Follow the stream only while the reader is at the bottom; scrolling up to read stops it.
  const pinned = useRef(true);
  const messages = streaming?.replacesMessageId ? chat.messages.filter((m) => m.id !== streaming.replacesMessageId) : chat.messages;
  const lastAnswerId = [...chat.messages].reverse().find((m) => m.role === 'assistant')?.id;
  useEffect(() => {
    if (pinned.current) endRef.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, streaming?.text.length]);
  return (
    <div
      className="messages"
      data-testid="messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {messages.length === 0 && !streaming && <p className="muted">Ask the first question below.</p>}
      {messages.map((m) => (
        <MessageView key={m.id} message={m} isLast={m.id === lastAnswerId} />
      ))}
      {streaming?.question && (
        <div className="msg msg-user" data-testid="message-user">
          <p className="msg-user-text">{streaming.question}</p>
        </div>
      )}
      {streaming && (
        <article className="msg msg-answer streaming" data-testid="message-streaming" aria-busy="true">
          {streaming.text ? <Markdown text={streaming.text} /> : <PrefillProgress jobId={streaming.jobId} />}
          <div className="msg-footer">
            <span className="msg-stats muted" data-testid="streaming-stats">
              {streaming.tokens > 0 ? `${streaming.tokensPerSecond.toFixed(1)} tok/s · ${streaming.tokens} tokens` : 'prefill'}
            </span>
            <button type="button" className="btn btn-small" onClick={() => void stop()} disabled={!streaming.jobId} data-testid="stop">
              Stop
            </button>
          </div>
        </article>
      )}
      {chatError && <ErrorBox error={chatError} />}
      <div ref={endRef} />
    </div>
  );
}

/** Before the first token: the prefill's progress from the engine (per chunk), inline. */
function PrefillProgress({ jobId }: { jobId: string | null }) {
  const job = useApp((s) => (jobId ? s.jobs[jobId] : undefined));
  const f = job ? jobFraction(job) : null;
  const eta = job ? formatEta(job.etaMs) : null;
  return (
    <p className="muted" data-testid="prefill-progress">
      Reading the documents{f !== null ? ` · ${formatPercent(f)}` : '…'}
      {job && job.total > 0 ? ` of ${job.total.toLocaleString('en-US')} ${job.unit ?? ''}` : ''}
      {eta ? ` · about ${eta} left` : ''}
    </p>
  );
}

function Composer() {
  const chatId = useApp((s) => s.activeChat?.id);
  const busy = useApp((s) => s.streaming !== null);
  const check = useApp((s) => s.contextCheck);
  const checkContext = useApp((s) => s.checkContext);
  const ask = useApp((s) => s.ask);
  const modelReady = useApp((s) => s.status?.modelState === 'ready');
  const store = useAppStore();
  const text = useApp((s) => s.draft);
  const setDraft = useApp((s) => s.setDraft);
  const setText = (next: string | ((cur: string) => string)) => setDraft(typeof next === 'function' ? next(store.getState().draft) : next);

  useEffect(() => {
    const t = setTimeout(() => void checkContext(text), CHECK_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, chatId, checkContext, modelReady]);

  const tooLarge = check !== null && !check.fits;
  const canSend = text.trim().length > 0 && !busy && !tooLarge;
  const send = async () => {
    if (!canSend) return;
    const q = text;
    setText('');
    const r = await ask(q);
    // A question that was refused (did not fit) or failed goes back into the box.
    if (r === null && store.getState().chatError) setText((cur) => cur || q);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Escape (stop) is handled window-wide in app/shortcuts.ts.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };
  return (
    <div className="composer">
      <ContextMeter />
      <div className="composer-row">
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          rows={3}
          placeholder={modelReady ? 'Ask about the document… (Enter to send, Shift+Enter for a new line)' : 'Ask about the document… (load a model in Models first)'}
          aria-label="Question"
          data-testid="question"
        />
        <button type="button" className="btn-primary" onClick={() => void send()} disabled={!canSend} data-testid="send">
          Send
        </button>
      </div>
    </div>
  );
}
