/**
 * One chat message: the user's question, or an answer rendered from Markdown (sanitised, see
 * components/markdown.ts) with its stats (tokens/s, tokens, prefill time), actions (copy,
 * regenerate for the last answer) and the evidence list: the passages that received the most
 * attention, with page numbers, each a button that jumps the viewer to it.
 */

import { useMemo, useState } from 'react';
import type { ChatMessage, Evidence } from '../../../engine/service/contract.ts';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatPercent } from '../../components/format.ts';
import { renderMarkdown } from '../../components/markdown.ts';
import { useApp } from '../../store/react.ts';

export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

export function MessageView({ message, isLast }: { message: ChatMessage; isLast: boolean }) {
  if (message.role === 'user') {
    return (
      <div className="msg msg-user" data-testid="message-user">
        <p className="msg-user-text">{message.text}</p>
      </div>
    );
  }
  return <AnswerView message={message} isLast={isLast} />;
}

function AnswerView({ message, isLast }: { message: ChatMessage; isLast: boolean }) {
  const regenerate = useApp((s) => s.regenerate);
  const busy = useApp((s) => s.streaming !== null);
  const selected = useApp((s) => s.selectedAnswerId === message.id);
  const selectAnswer = useApp((s) => s.selectAnswer);
  const [copied, setCopied] = useState(false);
  const stats = message.stats;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(message.text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <article className={`msg msg-answer${selected ? ' selected' : ''}`} data-testid="message-answer" data-message-id={message.id} aria-label="Answer">
      <Markdown text={message.text} />
      {message.error && <ErrorBox error={message.error} />}
      <div className="msg-footer">
        {stats && (
          <span className="msg-stats muted" data-testid="answer-stats">
            {stats.decodeTokensPerSecond.toFixed(1)} tok/s · {stats.generatedTokens} tokens · prefill {(stats.prefillMs / 1000).toFixed(1)} s
            {stats.reusedPrefix > 0 ? ` (${stats.reusedPrefix.toLocaleString('en-US')} reused)` : ''}
            {stats.stopReason === 'cancelled' ? ' · stopped' : stats.stopReason === 'max-tokens' ? ' · length limit' : ''}
          </span>
        )}
        <span className="msg-actions">
          <button type="button" className="btn btn-small" onClick={() => void copy()} data-testid="copy-answer">
            {copied ? 'Copied' : 'Copy'}
          </button>
          {isLast && (
            <button type="button" className="btn btn-small" onClick={() => void regenerate(message.id)} disabled={busy} data-testid="regenerate">
              Regenerate
            </button>
          )}
          {!selected && (message.evidence?.length ?? 0) > 0 && (
            <button type="button" className="btn btn-small" onClick={() => selectAnswer(message.id)}>
              Show evidence
            </button>
          )}
        </span>
      </div>
      {message.evidence && message.evidence.length > 0 && <EvidenceList evidence={message.evidence} />}
    </article>
  );
}

export function EvidenceList({ evidence }: { evidence: Evidence[] }) {
  const jumpTo = useApp((s) => s.jumpTo);
  const selectSpans = (docId: string) => evidence.filter((e) => e.documentId === docId).map((e) => ({ start: e.start, end: e.end }));
  return (
    <div className="evidence" data-testid="evidence-list">
      <h3 className="evidence-title">Evidence</h3>
      <ol className="evidence-items">
        {evidence.map((e, i) => (
          <li key={`${e.documentId}-${e.start}-${i}`}>
            <button type="button" className="evidence-item" data-testid="evidence-item" onClick={() => void jumpTo(e.documentId, { start: e.start, end: e.end }, selectSpans(e.documentId))}>
              <span className="evidence-page">{e.page !== null ? `p. ${e.page}` : e.section.length ? e.section[e.section.length - 1] : `char ${e.start}`}</span>
              <span className="evidence-snippet">{e.snippet}</span>
              <span className="evidence-score muted" title="Share of the answer's attention on this passage">
                {formatPercent(e.score)}
              </span>
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
