/**
 * The context meter: how much of the model's context the chat's documents, the question, the
 * template and the answer reserve take (chat.check), re-checked as the question is typed.
 * When they do not fit it says so plainly, before anything is sent.
 */

import { formatCount, formatPercent } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';

export function ContextMeter() {
  const check = useApp((s) => s.contextCheck);
  const error = useApp((s) => s.contextCheckError);
  if (error) {
    return (
      <div className="context-meter" data-testid="context-meter" data-fits="unknown">
        <span className="muted">Context: {error.message}</span>
      </div>
    );
  }
  if (!check) return <div className="context-meter muted" data-testid="context-meter" data-fits="unknown">Context: checking…</div>;
  const f = check.contextLength > 0 ? check.total / check.contextLength : 1;
  const docs = check.contextLength > 0 ? check.documentTokens / check.contextLength : 0;
  return (
    <div className={`context-meter${check.fits ? '' : ' over'}`} data-testid="context-meter" data-fits={String(check.fits)}>
      <div className="meter" aria-hidden="true">
        <div className="meter-docs" style={{ width: `${Math.min(100, docs * 100)}%` }} />
        <div className="meter-rest" style={{ width: `${Math.max(0, Math.min(100, f * 100) - Math.min(100, docs * 100))}%` }} />
      </div>
      <p className="meter-text">
        {check.fits ? (
          <>
            Documents {formatCount(check.documentTokens)} + question and template {formatCount(check.questionTokens + check.templateTokens)} + answer up to {formatCount(check.reserveForAnswer)} = {formatCount(check.total)} of {formatCount(check.contextLength)} tokens ({formatPercent(f)})
          </>
        ) : (
          <strong data-testid="context-too-large">
            Does not fit: these documents and the question need {check.total.toLocaleString('en-US')} tokens; the model holds {check.contextLength.toLocaleString('en-US')}. Remove a document or load a longer context.
          </strong>
        )}
      </p>
    </div>
  );
}
