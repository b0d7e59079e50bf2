// `node --import ./bin/register.mjs script.ts`: run any TypeScript entry of this repo the way the
// CLI does (tsx + .wgsl files imported as text). Used by bench/ and tools/ scripts.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./wgsl-hook.mjs', import.meta.url);
registerTsx();
