/**
 * The document viewer: the open document's text, virtualised (only the blocks in view plus one
 * on each side are in the DOM; heights are estimated, then measured), page-aware (a header per
 * page, the current page in the toolbar, go-to-page), with the selected answer's evidence
 * marked and the focused span scrolled into view whenever `highlight.nonce` changes.
 * Layout maths live in viewer-layout.ts.
 */

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DocumentContent, SectionSpan } from '../../../engine/service/contract.ts';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatCount } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';
import type { Highlight } from '../../store/documents-slice.ts';
import { sectionAt, visibleBlock, blockAt, blockOfChar, buildBlocks, estimateHeight, prefixOffsets, segmentBlock, visibleRange, type Block } from './viewer-layout.ts';

const LINE_HEIGHT = 25;
const CHAR_WIDTH = 7.6;
const BLOCK_CHROME = 64;
const MAX_TEXT_WIDTH = 760;

export function DocumentViewer() {
  const id = useApp((s) => s.openDocumentId);
  const content = useApp((s) => (s.openDocumentId ? s.contents[s.openDocumentId] : undefined));
  const error = useApp((s) => s.contentError);
  const highlight = useApp((s) => s.highlight);
  if (!id) {
    return (
      <div className="viewer-empty" data-testid="viewer-empty">
        <p>Drop a PDF, DOCX, EPUB, HTML, Markdown or text file anywhere in the window,</p>
        <p>or open one from the library on the left.</p>
      </div>
    );
  }
  if (error) return <div className="panel-body"><ErrorBox error={error} /></div>;
  if (!content) return <p className="panel-body muted">Opening the document…</p>;
  return <VirtualText key={id} content={content} highlight={highlight && highlight.documentId === id ? highlight : null} />;
}

function VirtualText({ content, highlight }: { content: DocumentContent; highlight: Highlight | null }) {
  const { text, sourceMap, info } = content;
  const blocks = useMemo(() => buildBlocks(text, sourceMap), [text, sourceMap]);
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState({ width: 800, height: 600 });
  const [measured, setMeasured] = useState(() => new Map<number, number>());

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setViewport({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  const cpl = Math.max(20, Math.floor(Math.min(MAX_TEXT_WIDTH, viewport.width - 48) / CHAR_WIDTH));
  const heights = useMemo(
    () => blocks.map((b) => measured.get(b.index) ?? estimateHeight(text.slice(b.start, b.end), cpl, LINE_HEIGHT, BLOCK_CHROME)),
    [blocks, text, cpl, measured],
  );
  const offsets = useMemo(() => prefixOffsets(heights), [heights]);
  const [first, last] = visibleRange(offsets, scrollTop, viewport.height, 1);
  const currentBlock = blocks[blockAt(offsets, scrollTop + viewport.height / 3)];
  const section = currentBlock ? sectionAt(sourceMap.sections, currentBlock.start) : null;

  // Measure rendered blocks; estimates are replaced by real heights as blocks come into view.
  const roRef = useRef<ResizeObserver | null>(null);
  useEffect(() => {
    const ro = new ResizeObserver((entries) => {
      setMeasured((prev) => {
        let next: Map<number, number> | null = null;
        for (const e of entries) {
          const el = e.target as HTMLElement;
          const idx = Number(el.dataset.block);
          const h = Math.ceil(el.offsetHeight);
          if (h > 0 && Math.abs((prev.get(idx) ?? -1) - h) > 1) (next ??= new Map(prev)).set(idx, h);
        }
        return next ?? prev;
      });
    });
    roRef.current = ro;
    return () => ro.disconnect();
  }, []);
  const observe = useCallback((el: HTMLElement | null) => {
    if (el) roRef.current?.observe(el);
  }, []);
  // Widths changed: old measurements are stale.
  useEffect(() => {
    setMeasured(new Map());
  }, [cpl]);

  const scrollToBlock = useCallback(
    (idx: number) => {
      const el = scrollRef.current;
      if (!el) return;
      el.scrollTop = offsets[idx] ?? 0;
      setScrollTop(el.scrollTop);
    },
    [offsets],
  );

  // Scroll to the focused evidence span: first to its block (so it renders), then center the mark.
  const nonce = highlight?.focus ? highlight.nonce : null;
  const latest = useRef({ blocks, focus: highlight?.focus ?? null, scrollToBlock });
  useLayoutEffect(() => {
    latest.current = { blocks, focus: highlight?.focus ?? null, scrollToBlock };
  });
  useEffect(() => {
    const { blocks: bs, focus: f, scrollToBlock: go } = latest.current;
    if (nonce === null || !f) return;
    go(blockOfChar(bs, f.start));
    let frames = 0;
    let raf = 0;
    const settle = () => {
      const mark = scrollRef.current?.querySelector('[data-testid="focus-mark"]');
      if (mark) mark.scrollIntoView({ block: 'center' });
      if (++frames < 6) raf = requestAnimationFrame(settle);
    };
    raf = requestAnimationFrame(settle);
    return () => cancelAnimationFrame(raf);
    // Only a new jump (nonce) scrolls; re-measurements must not yank the view back.
  }, [nonce]);

  const spans = highlight?.spans ?? [];
  const focus = highlight?.focus ?? null;
  const pageCount = info.pages ?? blocks.filter((b) => b.page !== null).length;
  return (
    <div className="viewer" data-testid="document-viewer">
      <div className="viewer-toolbar">
        <div className="viewer-title" title={info.title || info.name}>
          <strong>{info.title || info.name}</strong>
          <span className="muted">
            {info.format.toUpperCase()} · {pageCount ? `${pageCount} pages · ` : ''}
            {formatCount(info.words)} words{info.tokens ? ` · ${formatCount(info.tokens)} tokens` : ''}
          </span>
        </div>
        {sourceMap.sections.length > 1 ? (
          <Contents sections={sourceMap.sections} current={section} onGo={(pos) => scrollToBlock(blockOfChar(blocks, pos))} />
        ) : (
          section && (
            <span className="viewer-section muted" title={section.path.join(' › ')} data-testid="viewer-section">
              {section.path.join(' › ')}
            </span>
          )
        )}
        {currentBlock?.page != null && <GoToPage blocks={blocks} current={currentBlock.page} onGo={scrollToBlock} />}
      </div>
      <div className="viewer-scroll" ref={scrollRef} tabIndex={0} aria-label={`Text of ${info.title || info.name}`} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div style={{ height: offsets[first] ?? 0 }} aria-hidden="true" />
        {blocks.slice(first, last + 1).map((b) => (
          <section key={b.index} ref={observe} data-block={b.index} className="viewer-block" data-page={b.page ?? undefined} aria-label={b.page !== null ? `Page ${b.page}` : undefined}>
            {b.page !== null && <div className="viewer-page-label">Page {b.page}</div>}
            <div className="viewer-text">
              {segmentBlock(text, visibleBlock(text, b), spans, focus).map((s) =>
                s.kind === 'plain' ? (
                  <span key={s.start}>{s.text}</span>
                ) : (
                  <mark key={s.start} className={s.kind === 'focus' ? 'mark-focus' : undefined} data-testid={s.kind === 'focus' ? 'focus-mark' : 'evidence-mark'}>
                    {s.text}
                  </mark>
                ),
              )}
            </div>
          </section>
        ))}
        <div style={{ height: Math.max(0, offsets[offsets.length - 1]! - (offsets[last + 1] ?? 0)) }} aria-hidden="true" />
      </div>
    </div>
  );
}

function GoToPage({ blocks, current, onGo }: { blocks: Block[]; current: number; onGo: (idx: number) => void }) {
  const [value, setValue] = useState('');
  const go = () => {
    const n = Number(value);
    const idx = blocks.findIndex((b) => b.page === n);
    if (idx >= 0) onGo(idx);
    setValue('');
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') go();
  };
  return (
    <label className="viewer-page">
      <span className="muted">Page</span>
      <input type="text" inputMode="numeric" size={4} placeholder={String(current)} value={value} onChange={(e) => setValue(e.target.value.replace(/\D/g, ''))} onKeyDown={onKey} aria-label={`Current page ${current}; type a page number and press Enter`} data-testid="page-input" />
    </label>
  );
}

/** The document's outline (headings up to level 3) as a select: the current section, or jump. */
function Contents({ sections, current, onGo }: { sections: SectionSpan[]; current: SectionSpan | null; onGo: (pos: number) => void }) {
  const items = sections.filter((x) => x.level <= 3).slice(0, 2000);
  const value = current ? String(items.findIndex((x) => x.start === current.start && x.level === current.level)) : '-1';
  return (
    <select
      className="viewer-contents"
      value={value}
      onChange={(e) => {
        const item = items[Number(e.target.value)];
        if (item) onGo(item.start);
      }}
      aria-label="Contents: jump to a section"
      data-testid="viewer-contents"
    >
      <option value="-1" disabled>
        Contents
      </option>
      {items.map((x, i) => (
        <option key={`${x.start}-${i}`} value={String(i)}>
          {'\u2003'.repeat(Math.max(0, x.level - 1))}
          {x.path[x.path.length - 1] ?? ''}
        </option>
      ))}
    </select>
  );
}
