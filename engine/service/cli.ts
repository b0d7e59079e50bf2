/**
 * `longread <command>`: the command-line entry. Each command lives in its own module under
 * engine/service/commands/ and is registered in COMMANDS below (one line per command).
 * Commands return an exit code; typed LongreadErrors print as `error: message` + `hint: ...`
 * on stderr (or as JSON with --json) and exit 1.
 */

import { errorToWire } from '../errors.ts';
import type { Command } from './commands/command.ts';
import { askCommand } from './commands/ask.ts';
import { generateCommand } from './commands/generate.ts';
import { gpuCommand } from './commands/gpu.ts';
import { ingestCommand } from './commands/ingest.ts';
import { serveCommand } from './commands/serve.ts';
import { infoCommand } from './commands/info.ts';
import { importCommand } from './commands/import.ts';
import { tokenizeCommand } from './commands/tokenize.ts';
import { evalCommand } from './commands/eval.ts';

const COMMANDS: Command[] = [
  generateCommand,
  askCommand,
  gpuCommand,
  ingestCommand,
  serveCommand,
  infoCommand,
  importCommand,
  tokenizeCommand,
  evalCommand,
];

function usage(): string {
  const lines = ['usage: longread <command> [options]', '', 'commands:'];
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(w)}  ${c.summary}`);
  lines.push('', 'Run `longread <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`error: unknown command "${name}"\nhint: one of: ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: longread ${cmd.name} ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const w = errorToWire(e);
    if (rest.includes('--json')) process.stderr.write(JSON.stringify({ error: w }) + '\n');
    else process.stderr.write(`error: ${w.message}\nhint: ${w.hint}\n`);
    return 1;
  }
}
