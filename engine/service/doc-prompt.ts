/**
 * The document question prompt, shared by the app (chat-runner.ts) and `longread ask`: the
 * layout the bundled model was trained on (tools/train/tasks.py, `gen_docqa` layout 0), in
 * ChatML through the model's chat template:
 *   system: Longread's role
 *   user:   "Read the document below and answer the question.\n\n" + documents + "\n\nQuestion: " + q
 * Documents come before the question so that they form a stable prefix (KV reuse, snapshots).
 */
import type { ChatMessage } from '../tokenizer/chat-template.ts';

export const DOC_SYSTEM = 'You are Longread, an assistant that reads documents and answers questions about them.';
export const DOC_INTRO = 'Read the document below and answer the question.\n\n';
export const QUESTION_MARK = '\n\nQuestion: ';

export interface PromptDoc {
  title: string;
  text: string;
}

/** The documents as they appear in the prompt (several are each headed by their title). */
export function joinDocuments(docs: readonly PromptDoc[]): string {
  return docs.map((d) => (docs.length > 1 ? `Document: ${d.title}\n\n${d.text}` : d.text)).join('\n\n');
}

export function docQuestionMessages(docs: readonly PromptDoc[], question: string): ChatMessage[] {
  return [
    { role: 'system', content: DOC_SYSTEM },
    { role: 'user', content: `${DOC_INTRO}${joinDocuments(docs)}${QUESTION_MARK}${question.trim()}` },
  ];
}
