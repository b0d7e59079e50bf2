import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
register(new URL('../../bin/wgsl-hook.mjs', import.meta.url));
registerTsx();
const s = process.argv.splice(2, 1)[0]; await import(pathToFileURL(s).href);
