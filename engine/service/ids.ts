/** Ids for documents, chats and messages: 20 url-safe characters (stores.ts accepts these). */
import { randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 20);
}
