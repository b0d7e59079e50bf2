// Starts the ingest worker from TypeScript sources (vitest, the CLI through tsx): module hooks
// registered on the main thread are not inherited by worker threads on Node 20, so tsx is
// registered here before importing worker.ts. The big plain-JS dependencies are imported
// first, without tsx: through its loader pdf.js alone takes ~1.5 s to load instead of ~0.2 s,
// and modules already loaded are not loaded again when worker.ts imports them.
// The esbuild bundle does not use this file; it emits worker.ts as its own entry (see
// ingest.ts, `ingestWorkerUrl`).
import { register } from 'tsx/esm/api';

await Promise.all([
  import('pdfjs-dist/legacy/build/pdf.mjs'),
  import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
  import('linkedom'),
  import('mammoth'),
  import('marked'),
  import('fflate'),
  import('@mozilla/readability'),
]);
register();
await import('./worker.ts');
