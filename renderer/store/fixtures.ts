/**
 * Test data for the store unit tests: contract objects with plausible values, and a helper
 * that builds a store over a FakeEngine with a controllable clock. Not used by the app.
 */

import { EngineClient } from '../../engine/service/client.ts';
import type { Chat, ChatMessage, DocumentContent, DocumentInfo, EngineStatus, Settings } from '../../engine/service/contract.ts';
import { FakeEngine } from './fake-transport.ts';
import { createAppStore } from './store.ts';

export function statusFixture(over: Partial<EngineStatus> = {}): EngineStatus {
  return {
    contractVersion: 1,
    engineVersion: '0.1.0',
    gpu: {
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe',
      description: 'llvmpipe',
      adapterName: 'llvmpipe (LLVM 15)',
      backend: 'vulkan',
      isFallbackAdapter: true,
      features: ['subgroups', 'timestamp-query'],
      limits: {
        maxBufferSize: 2 ** 32,
        maxStorageBufferBindingSize: 2 ** 27,
        maxComputeWorkgroupStorageSize: 32768,
        maxComputeInvocationsPerWorkgroup: 1024,
        maxComputeWorkgroupSizeX: 1024,
        maxComputeWorkgroupsPerDimension: 65535,
        maxStorageBuffersPerShaderStage: 16,
        minStorageBufferOffsetAlignment: 16,
      },
    },
    gpuError: null,
    model: null,
    modelState: 'none',
    bundledModelPath: '/assets/model.gguf',
    ...over,
  };
}

export function settingsFixture(over: Partial<Settings> = {}): Settings {
  return { theme: 'system', modelPath: null, contextLength: null, vramBudgetBytes: null, lastChatId: null, lastDocumentId: null, generation: {}, ...over };
}

export function docInfo(id: string, over: Partial<DocumentInfo> = {}): DocumentInfo {
  return { id, name: `${id}.pdf`, format: 'pdf', title: `Doc ${id}`, author: null, pages: 2, words: 100, characters: 600, bytes: 1000, addedAt: 1, ...over };
}

export function docContent(id: string): DocumentContent {
  const text = 'First page text. '.repeat(20) + 'Second page text. '.repeat(20);
  return { info: docInfo(id), text, sourceMap: { pages: [{ page: 1, start: 0, end: 340 }, { page: 2, start: 340, end: text.length }], sections: [] } };
}

export function answer(id: string, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id,
    role: 'assistant',
    text: 'The answer.',
    createdAt: 2,
    evidence: [{ documentId: 'd1', start: 400, end: 420, page: 2, section: [], score: 0.5, snippet: 'Second page' }],
    ...over,
  };
}

export function chatFixture(id: string, messages: ChatMessage[] = [], documentIds = ['d1']): Chat {
  return { id, title: `Chat ${id}`, documentIds, updatedAt: 5, messageCount: messages.length, messages };
}

export function setup() {
  const engine = new FakeEngine();
  let t = 1000;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const client = new EngineClient(engine.transport);
  const store = createAppStore(client, clock.now);
  return { engine, store, clock, client };
}

/** Lets queued microtasks (fake replies) run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((r) => setTimeout(r, 0));
}
