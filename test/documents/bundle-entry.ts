/**
 * A stand-in for the engine host bundle (electron/engine-host.ts bundled by tools/build.mjs):
 * ingests the file named on the command line through `ingestDocument` and prints the result
 * as JSON. bundle.test.ts bundles it with esbuild next to `documents-worker.mjs`.
 */
import { ingestDocument } from '../../engine/documents/ingest.ts';
import { errorToWire } from '../../engine/errors.ts';

try {
  const doc = await ingestDocument({ kind: 'path', path: process.argv[2]! });
  process.stdout.write(JSON.stringify({ info: doc.info, head: doc.text.slice(0, 200), sections: doc.sourceMap.sections.length }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: errorToWire(e) }) + '\n');
}
