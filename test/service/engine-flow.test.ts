/**
 * The engine service end to end over the contract, on the real engine (lavapipe here): load a
 * model, ingest a document, check the context, ask with streamed tokens and evidence, cancel a
 * generation within a token, regenerate, and find the chat again after a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LongreadError } from '../../engine/errors.ts';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { EngineClient } from '../../engine/service/client.ts';
import { portClientTransport, portServerTransport } from '../../engine/service/port-transport.ts';
import { createEngineService, type EngineService } from '../../engine/service/service.ts';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
let dir: string;
let modelPath: string;

async function connect(dataDir: string): Promise<{ service: EngineService; client: EngineClient }> {
  const service = await createEngineService({ dataDir });
  const { port1, port2 } = new MessageChannel();
  service.server.attach(portServerTransport(port2, { nodeStyle: true }));
  return { service, client: new EngineClient(portClientTransport(port1, { nodeStyle: true })) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flow-'));
  modelPath = path.join(dir, 'stories260K.gguf');
  await importLlama2c(path.join(MODELS, 'stories260K.bin'), path.join(MODELS, 'tok512.bin'), modelPath);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('engine service flow', () => {
  it('loads, ingests, asks with streaming and evidence, cancels, regenerates, persists', async () => {
    const dataDir = path.join(dir, 'data');
    let { service, client } = await connect(dataDir);
    const status = await client.call('engine.status', {});
    expect(status.gpu?.adapterName).toBeTruthy();

    const loadProgress: number[] = [];
    const info = await client.call('model.load', { path: modelPath, contextLength: 512 }, { onProgress: (p) => loadProgress.push(p.done / p.total) });
    expect(info.architecture).toBe('llama');
    expect(loadProgress.length).toBeGreaterThan(0);
    expect((await client.call('engine.status', {})).modelState).toBe('ready');

    const story = 'Lily had a red ball. She played with the ball in the park every day.\n\nOne day Ben came to the park with his dog. The dog was big and brown.';
    const doc = await client.call('document.ingest', { source: { kind: 'bytes', name: 'story.txt', data: new TextEncoder().encode(story) } });
    expect(doc.format).toBe('text');
    const chat = await client.call('chat.create', { documentIds: [doc.id] });
    const check = await client.call('chat.check', { documentIds: [doc.id], question: 'What did Lily have?' });
    expect(check.fits).toBe(true);
    expect(check.documentTokens).toBeGreaterThan(20);

    const tokens: string[] = [];
    const prefill: number[] = [];
    const answer = await client.call('chat.ask', { chatId: chat.id, question: 'What did Lily have?', options: { maxTokens: 24 } }, {
      onToken: (t) => tokens.push(t.text),
      onProgress: (p) => { if (p.stage === 'prefill') prefill.push(p.done); },
    });
    expect(tokens.length).toBeGreaterThan(0);
    expect(answer.text).toBe(tokens.join(''));
    expect(prefill.length).toBeGreaterThan(0);
    expect(answer.stats?.generatedTokens).toBeGreaterThan(0);
    expect(answer.evidence?.length).toBeGreaterThan(0);
    for (const e of answer.evidence!) expect(story.slice(e.start, e.end).length).toBeGreaterThan(0);
    const heat = await client.call('telemetry.heatmap', { messageId: answer.id });
    expect(heat.values['-1:-1']!.some((v) => v > 0)).toBe(true);
    // one row per answer token fed back as a query (all but the last), labelled with its text
    const steps = answer.stats!.generatedTokens - 1;
    expect(heat.answerTokens.length).toBe(steps);
    expect(heat.answerTokens.length).toBeGreaterThan(1);
    expect(heat.answerTokens.join('').length).toBeGreaterThan(0);
    expect(heat.values['-1:-1']!.length).toBe(heat.answerTokens.length * heat.bins);
    expect(heat.binCharStarts.length).toBe(heat.bins);
    expect(heat.binCharStarts.every((c, i) => c >= 0 && c <= story.length && (i === 0 || c >= heat.binCharStarts[i - 1]!))).toBe(true);
    // every row holds attention on the document
    for (let r = 0; r < heat.answerTokens.length; r++) expect(heat.values['-1:-1']!.slice(r * heat.bins, (r + 1) * heat.bins).some((v) => v > 0)).toBe(true);
    expect((await client.call('telemetry.kvHistory', {})).some((s) => s.gpuPages > 0)).toBe(true);

    // Cancel: stop after the first streamed token; the call returns promptly with what was streamed.
    let seen = 0;
    const job = client.start('chat.ask', { chatId: chat.id, question: 'Who came to the park?', options: { maxTokens: 250 } }, {
      onToken: () => { if (++seen === 1) void job.cancel(); },
    });
    const cancelled = await job.result;
    expect(cancelled.stats?.stopReason).toBe('cancelled');
    expect(seen).toBeLessThanOrEqual(3);

    const regen = await client.call('chat.regenerate', { chatId: chat.id, messageId: cancelled.id, options: { maxTokens: 8 } });
    expect(regen.role).toBe('assistant');

    // Too long for the loaded context: a typed error before anything runs, never a truncation.
    const long = await client.call('document.ingest', { source: { kind: 'bytes', name: 'long.txt', data: new TextEncoder().encode(story.repeat(40)) } });
    const longChat = await client.call('chat.create', { documentIds: [long.id] });
    expect((await client.call('chat.check', { documentIds: [long.id], question: 'Q?' })).fits).toBe(false);
    const err = await client.call('chat.ask', { chatId: longChat.id, question: 'Q?' }).catch((e: unknown) => e);
    expect((err as LongreadError).code).toBe('context-too-large');

    client.close();
    await service.dispose();
    ({ service, client } = await connect(dataDir));
    const again = await client.call('chat.get', { id: chat.id });
    expect(again.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(again.messages[1]!.evidence?.length).toBeGreaterThan(0);
    expect((await client.call('settings.get', {})).lastChatId).toBe(longChat.id);
    client.close();
    await service.dispose();
  });
});
