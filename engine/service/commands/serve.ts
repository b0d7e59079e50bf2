/** `longread serve`: placeholder replaced below by the headless host. */
import type { Command } from './command.ts';
export const serveCommand: Command = { name: 'serve', summary: 'Run the app in your browser (headless host on 127.0.0.1)', usage: '[--port N]', async run() { return 1; } };
