/**
 * KV snapshots through the service: the first question about a document saves its prefilled
 * prefix; after a restart the prefix is restored instead of prefilled and the greedy answer is
 * identical; a corrupt snapshot is discarded with a notice, the document prefilled again, and
 * the answer is still identical.
 */
import { readdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { EngineClient } from '../../engine/service/client.ts';
import type { NoticeEvent, ProgressEvent } from '../../engine/service/contract.ts';
import { portClientTransport, portServerTransport } from '../../engine/service/port-transport.ts';

process.env.LONGREAD_SNAPSHOT_MIN_TOKENS = '32';
const { createEngineService } = await import('../../engine/service/service.ts');

const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
let dir: string;
let modelPath: string;

async function session(dataDir: string) {
  const service = await createEngineService({ dataDir });
  const { port1, port2 } = new MessageChannel();
  service.server.attach(portServerTransport(port2, { nodeStyle: true }));
  const client = new EngineClient(portClientTransport(port1, { nodeStyle: true }));
  const notices: NoticeEvent[] = [];
  client.on('notice', (n) => notices.push(n));
  await client.call('model.load', { path: modelPath, contextLength: 512 });
  return { client, notices, close: async () => { client.close(); await service.dispose(); } };
}

async function ask(client: EngineClient, docId: string) {
  const chat = await client.call('chat.create', { documentIds: [docId] });
  const stages: ProgressEvent['stage'][] = [];
  const msg = await client.call('chat.ask', { chatId: chat.id, question: 'Where did Ben go?', options: { maxTokens: 20 } }, { onProgress: (p) => stages.push(p.stage) });
  return { msg, stages };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'snap-'));
  modelPath = path.join(dir, 'stories260K.gguf');
  await importLlama2c(path.join(MODELS, 'stories260K.bin'), path.join(MODELS, 'tok512.bin'), modelPath);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('KV snapshots', () => {
  it('restore after restart gives the identical answer; a corrupt snapshot is discarded with a notice', async () => {
    const dataDir = path.join(dir, 'data');
    const story = 'Ben and Lily went to the park. Ben saw a big dog and a small cat. '.repeat(5) + 'Then Ben went to the shop to buy milk.';
    let s = await session(dataDir);
    const doc = await s.client.call('document.ingest', { source: { kind: 'bytes', name: 'ben.txt', data: new TextEncoder().encode(story) } });
    const first = await ask(s.client, doc.id);
    expect(first.stages).toContain('snapshot-save');
    const kvDir = path.join(dataDir, 'kv');
    const files = (await readdir(kvDir)).filter((f) => f.endsWith('.kv'));
    expect(files.length).toBe(1);
    await s.close();

    s = await session(dataDir);
    const second = await ask(s.client, doc.id);
    expect(second.stages).toContain('snapshot-restore');
    expect(second.stages).not.toContain('snapshot-save');
    expect(second.msg.stats!.reusedPrefix).toBeGreaterThan(32);
    expect(second.msg.text).toBe(first.msg.text);
    await s.close();

    const file = path.join(kvDir, files[0]!);
    const bytes = await readFile(file);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    await writeFile(file, bytes);
    s = await session(dataDir);
    const third = await ask(s.client, doc.id);
    expect(s.notices.some((n) => n.level === 'warning' && /discarded/.test(n.message))).toBe(true);
    expect(third.msg.stats!.reusedPrefix).toBe(0);
    expect(third.msg.text).toBe(first.msg.text);
    expect(third.stages).toContain('snapshot-save');
    await s.close();
  });
});
