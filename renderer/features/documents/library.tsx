/**
 * The library (every ingested document, newest first) and the chats list, in the sidebar.
 * A document row opens it in the viewer; "Chat" starts a chat over it; ticking several rows
 * and "Chat with N" starts one chat over them together. Remove asks once for confirmation.
 */

import { useState } from 'react';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatCount } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';

export function Library() {
  const documents = useApp((s) => s.documents);
  const loaded = useApp((s) => s.documentsLoaded);
  const openId = useApp((s) => s.openDocumentId);
  const openDocument = useApp((s) => s.openDocument);
  const removeDocument = useApp((s) => s.removeDocument);
  const newChat = useApp((s) => s.newChat);
  const setPanel = useApp((s) => s.setPanel);
  const failures = useApp((s) => s.ingestFailures);
  const dismissFailure = useApp((s) => s.dismissIngestFailure);
  const [picked, setPicked] = useState<string[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);

  const startChat = async (ids: string[]) => {
    const chat = await newChat(ids);
    if (chat) {
      setPanel('chat');
      setPicked([]);
    }
  };
  const togglePick = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));

  return (
    <section className="library" aria-label="Library" data-testid="library">
      <div className="section-head">
        <h2 className="panel-title">Library</h2>
        {picked.length > 1 && (
          <button type="button" className="btn btn-small" onClick={() => void startChat(picked)} data-testid="chat-with-picked">
            Chat with {picked.length}
          </button>
        )}
      </div>
      {failures.map((f, i) => (
        <ErrorBox key={i} error={{ ...f.error, message: `${f.name}: ${f.error.message}` }} onDismiss={() => dismissFailure(i)} />
      ))}
      {loaded && documents.length === 0 && <p className="muted small">No documents yet.</p>}
      <ul className="doc-list">
        {documents.map((d) => (
          <li key={d.id} className={`doc-row${d.id === openId ? ' active' : ''}`} data-testid="library-item">
            <input type="checkbox" checked={picked.includes(d.id)} onChange={() => togglePick(d.id)} aria-label={`Select ${d.title || d.name} for a chat over several documents`} />
            <button type="button" className="doc-open" onClick={() => void openDocument(d.id)} aria-current={d.id === openId ? 'true' : undefined} title={d.name}>
              <span className="doc-title">{d.title || d.name}</span>
              <span className="doc-meta muted">
                {d.format.toUpperCase()}
                {d.pages ? ` · ${d.pages} p.` : ''} · {formatCount(d.tokens ?? d.words)} {d.tokens ? 'tok' : 'words'}
              </span>
            </button>
            <div className="doc-actions">
              <button type="button" className="btn btn-small" onClick={() => void startChat([d.id])} data-testid="chat-with-document" aria-label={`New chat with ${d.title || d.name}`}>
                Chat
              </button>
              {confirming === d.id ? (
                <button type="button" className="btn btn-small btn-danger" onClick={() => void removeDocument(d.id).then(() => setConfirming(null))} onBlur={() => setConfirming(null)} autoFocus>
                  Remove?
                </button>
              ) : (
                <button type="button" className="btn-icon" aria-label={`Remove ${d.title || d.name}`} onClick={() => setConfirming(d.id)}>
                  ×
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ChatList() {
  const chats = useApp((s) => s.chats);
  const activeId = useApp((s) => s.activeChat?.id ?? null);
  const openChat = useApp((s) => s.openChat);
  const setPanel = useApp((s) => s.setPanel);
  if (chats.length === 0) return null;
  return (
    <section className="chat-list" aria-label="Chats" data-testid="chat-list">
      <h2 className="panel-title">Chats</h2>
      <ul className="doc-list">
        {chats.map((c) => (
          <li key={c.id} className={`doc-row${c.id === activeId ? ' active' : ''}`}>
            <button
              type="button"
              className="doc-open"
              data-testid="chat-list-item"
              aria-current={c.id === activeId ? 'true' : undefined}
              onClick={() => {
                void openChat(c.id);
                setPanel('chat');
              }}
            >
              <span className="doc-title">{c.title}</span>
              <span className="doc-meta muted">
                {c.messageCount} messages · {new Date(c.updatedAt).toLocaleDateString()}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
