/**
 * One CLI command: a name, a one-line summary, a usage line and a run function returning the
 * exit code. Argument parsing goes through `parseArgs` (node:util) in each command.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}
