/**
 * The engine host as an Electron utilityProcess: the same engine service the headless host
 * runs, reached by each window over its own MessagePort (sent by main with a `connect`
 * message). It owns the GPU, parses untrusted files and persists state under the user's data
 * directory (LONGREAD_DATA_DIR, set by main to app.getPath('userData')).
 */
import { portServerTransport, type PortLike } from '../engine/service/port-transport.ts';
import { createEngineService } from '../engine/service/service.ts';
import { defaultDataDir } from '../engine/service/storage.ts';

interface ParentPort {
  on(event: 'message', fn: (e: { data: unknown; ports: PortLike[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('engine-host must run as an Electron utilityProcess');

const service = await createEngineService({ dataDir: defaultDataDir(), autoLoadModel: true });
parentPort.on('message', (e) => {
  const port = e.ports[0];
  if ((e.data as { type?: string } | null)?.type !== 'connect' || !port) return;
  service.server.attach(portServerTransport(port));
  port.start?.();
});
