/**
 * Entry of `longread eval` for the GPU machine, where the CLI (tsx, no build step) cannot run:
 * `../shared/device/pack.sh bench/longqa/eval-device.ts` bundles it into .devpack/eval-device.mjs,
 * then on the device `node .devpack/eval-device.mjs --model assets/models/longread-lr28m.gguf
 * --tasks niah_single --lengths 16384 --cases 100 --out $OUT/x.json` takes the eval command's
 * arguments unchanged (see engine/service/commands/eval.ts).
 */
import { evalCommand } from '../../engine/service/commands/eval.ts';

try {
  const code = await evalCommand.run(process.argv.slice(2));
  process.exitCode = typeof code === 'number' ? code : 0;
} catch (e) {
  const err = e as { message?: string; hint?: string };
  process.stderr.write(`error: ${err.message ?? String(e)}${err.hint ? `\nhint: ${err.hint}` : ''}\n`);
  process.exitCode = 1;
}
