/**
 * `longread serve [--port N] [--data-dir D] [--no-model]`: the app in your browser. Starts the
 * engine service and the headless host on 127.0.0.1, builds the renderer first if needed, and
 * prints the address (with this run's access token). Ctrl-C stops it cleanly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LongreadError } from '../../errors.ts';
import type { Command } from './command.ts';
import { startWsHost } from '../host-ws.ts';
import { createEngineService } from '../service.ts';
import { defaultDataDir } from '../storage.ts';
import { ROOT } from '../version.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the app in your browser (headless host on 127.0.0.1)',
  usage: '[--port N] [--data-dir DIR] [--no-model]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string', default: '0' }, 'data-dir': { type: 'string' }, 'no-model': { type: 'boolean', default: false } },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new LongreadError('bad-request', `Invalid --port ${values.port}.`, 'Give a port between 1 and 65535, or 0 for any free port.');
    }
    const staticDir = path.join(ROOT, 'dist', 'renderer');
    if (!existsSync(path.join(staticDir, 'index.html'))) {
      process.stderr.write('Building the app (first run)...\n');
      const { buildRenderer } = (await import(path.join(ROOT, 'tools', 'build.mjs'))) as { buildRenderer: () => Promise<void> };
      await buildRenderer();
    }
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    const service = await createEngineService({ dataDir, autoLoadModel: !values['no-model'] });
    const host = await startWsHost({ service, port, staticDir });
    process.stdout.write(`Longread is running at ${host.url}\n`);
    process.stdout.write(`Data: ${dataDir}. Press Ctrl-C to stop.\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    await service.dispose();
    return 0;
  },
};
