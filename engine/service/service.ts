/**
 * The engine service: implements every contract method on top of the engine (GPU, models,
 * documents, decode) and the persisted stores. Both hosts (Electron utility process, headless
 * WebSocket host) create exactly one service and attach their transports to its server.
 *
 * State: one GPU device (acquired at start; its absence is reported in `engine.status`, not
 * fatal), at most one loaded model with one generation session, the stores (settings, library,
 * chats). Generation requests are serialised: one at a time on the GPU.
 *
 * Extend: add the method to contract.ts, then a handler here (or in a feature module that
 * this file wires in).
 */

import { errorToWire, LongreadError } from '../errors.ts';
import { APP_GPU, gpuAcquire, type Gpu } from '../gpu/device.ts';
import type { EngineStatus, ModelInfo, ModelState, NoticeEvent, TapName, WireError } from './contract.ts';
import { CONTRACT_VERSION } from './contract.ts';
import { EngineServer, type Handlers } from './server.ts';
import { Stores } from './stores.ts';
import { ModelHost } from './model-host.ts';
import { ingestForLibrary } from './ingest.ts';
import { ChatRunner } from './chat-runner.ts';
import { ENGINE_VERSION, bundledModelPath } from './version.ts';
import { newId } from './ids.ts';

export interface ServiceOptions {
  dataDir: string;
  /** Skip GPU acquisition (CLI commands that never touch the GPU). */
  noGpu?: boolean;
  /** Load the model from settings / the bundled one at start. */
  autoLoadModel?: boolean;
}

export interface EngineService {
  server: EngineServer;
  status(): EngineStatus;
  ready: Promise<void>;
  dispose(): Promise<void>;
}

export { newId } from './ids.ts';

export async function createEngineService(opts: ServiceOptions): Promise<EngineService> {
  let gpu: Gpu | null = null;
  let gpuError: WireError | null = null;
  const notice = (n: NoticeEvent) => server.broadcast('notice', n);
  const stores = new Stores(opts.dataDir, notice);
  await stores.init();

  if (!opts.noGpu) {
    try {
      gpu = await gpuAcquire(APP_GPU);
      void gpu.lost.then((info) => {
        if (info.reason === 'destroyed') return;
        gpuError = { code: 'gpu-device-lost', message: `The GPU device was lost: ${info.message}`, hint: 'Longread restarts its engine; if this repeats, update your GPU driver.' };
        gpu = null;
        models.onDeviceLost();
        server.broadcast('notice', { level: 'error', message: gpuError.message, hint: gpuError.hint });
        server.broadcast('status', status());
      });
    } catch (e) {
      gpuError = errorToWire(e);
    }
  }

  const models = new ModelHost(() => gpu, () => server.broadcast('status', status()));
  const chats = new ChatRunner(stores, models, notice);
  const subscribedTaps = new Set<TapName>();

  function status(): EngineStatus {
    return {
      contractVersion: CONTRACT_VERSION,
      engineVersion: ENGINE_VERSION,
      gpu: gpu?.info ?? null,
      gpuError,
      model: models.info,
      modelState: models.state as ModelState,
      bundledModelPath: bundledModelPath(),
    };
  }

  const handlers: Handlers = {
    'engine.status': async () => status(),
    'model.inspect': async ({ path }) => models.inspect(path),
    'model.load': async ({ path, contextLength }, ctx) => {
      const settings = stores.getSettings();
      const target = path ?? settings.modelPath ?? bundledModelPath();
      if (!target) throw new LongreadError('model-not-loaded', 'No model file was given and no bundled model is installed.', 'Open a GGUF model file.');
      const info: ModelInfo = await models.load(target, contextLength ?? settings.contextLength ?? undefined, ctx, settings.vramBudgetBytes);
      await stores.patchSettings({ modelPath: path ?? settings.modelPath });
      return info;
    },
    'model.unload': async () => {
      models.unload();
      return { ok: true };
    },
    'document.ingest': async ({ source }, ctx) => {
      const content = await ingestForLibrary(source, newId(), ctx);
      await stores.addDocument(content);
      await stores.patchSettings({ lastDocumentId: content.info.id });
      return content.info;
    },
    'document.list': async () => stores.listDocuments(),
    'document.get': async ({ id }) => stores.getDocument(id),
    'document.remove': async ({ id }) => {
      await stores.removeDocument(id);
      return { ok: true };
    },
    'chat.list': async () => stores.listChats(),
    'chat.get': async ({ id }) => stores.getChat(id),
    'chat.create': async ({ documentIds, title }) => {
      for (const d of documentIds) stores.getDocumentInfo(d);
      const names = documentIds.map((d) => stores.getDocumentInfo(d).title || stores.getDocumentInfo(d).name);
      const chat = { id: newId(), title: title ?? (names.join(', ') || 'New chat'), documentIds, updatedAt: Date.now(), messageCount: 0, messages: [] };
      await stores.saveChat(chat);
      await stores.patchSettings({ lastChatId: chat.id });
      return chat;
    },
    'chat.delete': async ({ id }) => {
      await stores.deleteChat(id);
      return { ok: true };
    },
    'chat.check': async ({ documentIds, question, maxTokens }) => chats.check(documentIds, question, maxTokens),
    'chat.ask': async ({ chatId, question, options }, ctx) => chats.ask(chatId, question, options ?? {}, ctx),
    'chat.regenerate': async ({ chatId, messageId, options }, ctx) => chats.regenerate(chatId, messageId, options ?? {}, ctx),
    'telemetry.subscribe': async ({ taps }) => {
      subscribedTaps.clear();
      for (const t of taps) subscribedTaps.add(t);
      return { ok: true };
    },
    'telemetry.heatmap': async ({ messageId }) => chats.heatmap(messageId),
    'telemetry.kvHistory': async () => models.kvHistory(),
    'settings.get': async () => stores.getSettings(),
    'settings.set': async ({ patch }) => stores.patchSettings(patch),
  };

  const server = new EngineServer(handlers);
  models.onTelemetry = (e) => {
    if (subscribedTaps.has(e.tap)) server.broadcast('telemetry', e);
  };

  let ready: Promise<void> = Promise.resolve();
  if (opts.autoLoadModel && gpu) {
    const settings = stores.getSettings();
    const target = settings.modelPath ?? bundledModelPath();
    if (target) {
      ready = models
        .load(target, settings.contextLength ?? undefined, undefined, settings.vramBudgetBytes)
        .then(() => undefined)
        .catch((e) => notice({ level: 'warning', message: `The model could not be loaded: ${errorToWire(e).message}`, hint: errorToWire(e).hint }));
    }
  }

  return {
    server,
    status,
    ready,
    async dispose() {
      server.cancelAll();
      models.unload();
      gpu?.dispose();
    },
  };
}
