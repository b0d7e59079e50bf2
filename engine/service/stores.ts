/**
 * The engine host's persisted state: settings, the document library and chats, each in
 * versioned, checksummed, atomically written files under the data directory (storage.ts):
 *
 *   <data>/settings.json            Settings
 *   <data>/library.json             DocumentInfo[] (the index)
 *   <data>/documents/<id>.json      DocumentContent (text + source map)
 *   <data>/chats/<id>.json          Chat (messages, evidence, stats)
 *
 * Writes to one record are serialised (a per-file queue) so two quick saves never interleave.
 * A corrupt file is moved aside and reported through `onNotice`; the rest keeps working.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LongreadError } from '../errors.ts';
import type { Chat, ChatSummary, DocumentContent, DocumentInfo, NoticeEvent, Settings } from './contract.ts';
import { readVersioned, writeVersioned } from './storage.ts';

const SETTINGS = { magic: 'longread.settings', version: 1 };
const LIBRARY = { magic: 'longread.library', version: 1 };
const DOCUMENT = { magic: 'longread.document', version: 1 };
const CHAT = { magic: 'longread.chat', version: 1 };

export function defaultSettings(): Settings {
  return {
    theme: 'system',
    modelPath: null,
    contextLength: null,
    vramBudgetBytes: null,
    lastChatId: null,
    lastDocumentId: null,
    generation: { maxTokens: 256, temperature: 0 },
  };
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function assertSafeId(id: string, what: string): void {
  if (!SAFE_ID.test(id)) throw new LongreadError('bad-request', `Invalid ${what} id "${id}".`, 'Ids are 1-64 letters, digits, "-" or "_".');
}

export class Stores {
  private settings: Settings = defaultSettings();
  private library: DocumentInfo[] = [];
  private readonly chats = new Map<string, Chat>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    readonly dir: string,
    private readonly onNotice: (n: NoticeEvent) => void = () => undefined,
  ) {}

  async init(): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'documents'), { recursive: true });
    await fs.mkdir(path.join(this.dir, 'chats'), { recursive: true });
    this.settings = { ...defaultSettings(), ...(await this.read(this.file('settings.json'), SETTINGS, defaultSettings)) };
    this.library = await this.read(this.file('library.json'), LIBRARY, () => [] as DocumentInfo[]);
    for (const name of await fs.readdir(path.join(this.dir, 'chats'))) {
      if (!name.endsWith('.json')) continue;
      const chat = await this.read<Chat | null>(path.join(this.dir, 'chats', name), CHAT, () => null);
      if (chat) this.chats.set(chat.id, chat);
    }
  }

  // Settings ---------------------------------------------------------------------------------
  getSettings(): Settings {
    return structuredClone(this.settings);
  }

  async patchSettings(patch: Partial<Settings>): Promise<Settings> {
    const allowed = new Set(Object.keys(defaultSettings()));
    for (const k of Object.keys(patch)) {
      if (!allowed.has(k)) throw new LongreadError('bad-request', `Unknown setting "${k}".`, `Known settings: ${[...allowed].join(', ')}.`);
    }
    this.settings = { ...this.settings, ...patch };
    await this.write(this.file('settings.json'), SETTINGS, this.settings);
    return this.getSettings();
  }

  // Library ----------------------------------------------------------------------------------
  listDocuments(): DocumentInfo[] {
    return this.library.map((d) => ({ ...d }));
  }

  getDocumentInfo(id: string): DocumentInfo {
    const d = this.library.find((x) => x.id === id);
    if (!d) throw new LongreadError('document-not-found', `No document with id ${id}.`, 'It may have been removed; add it again.');
    return d;
  }

  async getDocument(id: string): Promise<DocumentContent> {
    assertSafeId(id, 'document');
    this.getDocumentInfo(id);
    const c = await this.read<DocumentContent | null>(path.join(this.dir, 'documents', `${id}.json`), DOCUMENT, () => null);
    if (!c) throw new LongreadError('document-not-found', `The text of document ${id} is missing or damaged.`, 'Remove it from the library and add the file again.');
    return c;
  }

  async addDocument(content: DocumentContent): Promise<void> {
    assertSafeId(content.info.id, 'document');
    await this.write(path.join(this.dir, 'documents', `${content.info.id}.json`), DOCUMENT, content);
    this.library = [...this.library.filter((d) => d.id !== content.info.id), content.info];
    await this.write(this.file('library.json'), LIBRARY, this.library);
  }

  async updateDocumentInfo(info: DocumentInfo): Promise<void> {
    this.library = this.library.map((d) => (d.id === info.id ? info : d));
    await this.write(this.file('library.json'), LIBRARY, this.library);
  }

  async removeDocument(id: string): Promise<void> {
    assertSafeId(id, 'document');
    this.getDocumentInfo(id);
    this.library = this.library.filter((d) => d.id !== id);
    await this.write(this.file('library.json'), LIBRARY, this.library);
    await fs.rm(path.join(this.dir, 'documents', `${id}.json`), { force: true });
  }

  // Chats ------------------------------------------------------------------------------------
  listChats(): ChatSummary[] {
    return [...this.chats.values()]
      .map(({ messages, ...s }) => ({ ...s, messageCount: messages.length }))
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  getChat(id: string): Chat {
    const c = this.chats.get(id);
    if (!c) throw new LongreadError('not-found', `No chat with id ${id}.`, 'It may have been deleted.');
    return structuredClone(c);
  }

  async saveChat(chat: Chat): Promise<void> {
    assertSafeId(chat.id, 'chat');
    chat.messageCount = chat.messages.length;
    this.chats.set(chat.id, structuredClone(chat));
    await this.write(path.join(this.dir, 'chats', `${chat.id}.json`), CHAT, chat);
  }

  async deleteChat(id: string): Promise<void> {
    assertSafeId(id, 'chat');
    this.getChat(id);
    this.chats.delete(id);
    await fs.rm(path.join(this.dir, 'chats', `${id}.json`), { force: true });
  }

  // ------------------------------------------------------------------------------------------
  private file(name: string): string {
    return path.join(this.dir, name);
  }

  private async read<T>(file: string, kind: { magic: string; version: number }, fallback: () => T): Promise<T> {
    const r = await readVersioned(file, kind.magic, kind.version, fallback);
    if (r.recovered) {
      this.onNotice({
        level: 'warning',
        message: `${path.basename(file)} was damaged (${r.recovered.reason}) and has been set aside.`,
        hint: `The damaged copy is kept at ${r.recovered.movedTo}.`,
      });
    }
    return r.value;
  }

  /** Serialises writes per file: the newest payload always lands last. */
  private write<T>(file: string, kind: { magic: string; version: number }, payload: T): Promise<void> {
    const snapshot = structuredClone(payload);
    const prev = this.queues.get(file) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => writeVersioned(file, kind.magic, kind.version, snapshot));
    this.queues.set(file, next);
    return next;
  }
}
