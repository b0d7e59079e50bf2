#!/usr/bin/env node
// The `longread` command: runs engine/service/cli.ts through tsx (TypeScript sources, no build
// step), with a loader hook that imports .wgsl shader files as text.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./wgsl-hook.mjs', import.meta.url);
registerTsx();
const { main } = await import('../engine/service/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = typeof code === 'number' ? code : 0;
