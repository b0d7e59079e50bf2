import { describe, expect, it } from 'vitest';
import type { DocumentSource } from '../../engine/service/contract.ts';
import { fail } from './fake-transport.ts';
import { docContent, docInfo, flush, settingsFixture, setup } from './fixtures.ts';

describe('documents slice', () => {
  it('lists the library newest first', async () => {
    const { engine, store } = setup();
    engine.on('document.list', () => [docInfo('old', { addedAt: 1 }), docInfo('new', { addedAt: 9 })]);
    await store.getState().refreshDocuments();
    expect(store.getState().documents.map((d) => d.id)).toEqual(['new', 'old']);
    expect(store.getState().documentsLoaded).toBe(true);
  });

  it('ingests dropped files as bytes, then refreshes the library and opens the document', async () => {
    const { engine, store } = setup();
    const received: DocumentSource[] = [];
    engine.on('settings.set', ({ patch }) => settingsFixture(patch));
    engine.on('document.ingest', ({ source }) => {
      received.push(source);
      return docInfo('d1');
    });
    engine.on('document.list', () => [docInfo('d1')]);
    engine.on('document.get', ({ id }) => docContent(id));
    const file = new File([new Uint8Array([37, 80, 68, 70])], 'paper.pdf', { type: 'application/pdf' });
    await store.getState().ingestFiles([file]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ kind: 'bytes', name: 'paper.pdf' });
    expect(Array.from((received[0] as { data: Uint8Array }).data)).toEqual([37, 80, 68, 70]);
    expect(store.getState().openDocumentId).toBe('d1');
    expect(store.getState().contents.d1?.text).toContain('Second page');
    expect(engine.calls('settings.set').map((r) => r.params)).toContainEqual({ patch: { lastDocumentId: 'd1' } });
  });

  it('records a failed ingest with its typed error, not a silent drop', async () => {
    const { engine, store } = setup();
    engine.on('document.ingest', () => {
      throw fail('document-invalid', 'The PDF has no pages.', 'Check the file.');
    });
    const r = await store.getState().ingest({ kind: 'path', path: '/home/u/broken.pdf' });
    expect(r).toBeNull();
    expect(store.getState().ingestFailures).toEqual([{ name: 'broken.pdf', error: { code: 'document-invalid', message: 'The PDF has no pages.', hint: 'Check the file.' } }]);
    store.getState().dismissIngestFailure(0);
    expect(store.getState().ingestFailures).toEqual([]);
  });

  it('opens a document once (cached) and shows a read error', async () => {
    const { engine, store } = setup();
    engine.on('settings.set', ({ patch }) => settingsFixture(patch));
    engine.on('document.get', ({ id }) => {
      if (id === 'gone') throw fail('document-not-found', 'No such document.');
      return docContent(id);
    });
    await store.getState().openDocument('d1');
    await store.getState().openDocument('d1');
    expect(engine.calls('document.get')).toHaveLength(1);
    await store.getState().openDocument('gone');
    expect(store.getState().contentError?.code).toBe('document-not-found');
  });

  it('jumpTo opens the document and sets a fresh focus each time', async () => {
    const { engine, store } = setup();
    engine.on('settings.set', ({ patch }) => settingsFixture(patch));
    engine.on('document.get', ({ id }) => docContent(id));
    await store.getState().jumpTo('d1', { start: 400, end: 420 }, [{ start: 400, end: 420 }, { start: 10, end: 20 }]);
    const h1 = store.getState().highlight!;
    expect(store.getState().openDocumentId).toBe('d1');
    expect(h1).toMatchObject({ documentId: 'd1', focus: { start: 400, end: 420 } });
    expect(h1.spans).toHaveLength(2);
    await store.getState().jumpTo('d1', { start: 10, end: 20 });
    const h2 = store.getState().highlight!;
    expect(h2.nonce).toBeGreaterThan(h1.nonce);
    expect(h2.spans).toHaveLength(2);
  });

  it('removing the open document closes it', async () => {
    const { engine, store } = setup();
    engine.on('settings.set', ({ patch }) => settingsFixture(patch));
    engine.on('document.get', ({ id }) => docContent(id));
    engine.on('document.remove', () => ({ ok: true as const }));
    engine.on('document.list', () => []);
    await store.getState().openDocument('d1');
    await store.getState().removeDocument('d1');
    await flush();
    expect(store.getState().openDocumentId).toBeNull();
    expect(store.getState().contents.d1).toBeUndefined();
  });
});

describe('documents slice in Electron', () => {
  it('sends a dropped file by path when the host knows it, by bytes otherwise; dialog paths by path', async () => {
    const { engine, store } = setup();
    const received: DocumentSource[] = [];
    engine.on('settings.set', ({ patch }) => settingsFixture(patch));
    engine.on('document.ingest', ({ source }) => {
      received.push(source);
      return docInfo(`d${received.length}`);
    });
    engine.on('document.list', () => []);
    engine.on('document.get', ({ id }) => docContent(id));
    const a = new File(['x'], 'a.pdf');
    const b = new File(['y'], 'b.txt');
    await store.getState().ingestFiles([a, b], (f) => (f === a ? '/home/u/a.pdf' : ''));
    await store.getState().ingestPaths(['/home/u/c.epub']);
    expect(received.map((r) => (r.kind === 'path' ? r.path : `bytes:${r.name}`))).toEqual(['/home/u/a.pdf', 'bytes:b.txt', '/home/u/c.epub']);
  });
});
