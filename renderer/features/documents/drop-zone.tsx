/**
 * Getting documents in: a window-wide drag-and-drop target (an overlay appears while a file is
 * dragged over the window) and an "Open document" button with a file picker. In the browser
 * host files travel as bytes (document.ingest {kind:'bytes'}); in Electron the native dialog
 * and the dropped file's path let the engine read the file itself ({kind:'path'}).
 */

import { useEffect, useRef, useState } from 'react';
import { nativeVerbs } from '../../bridge/transport.ts';
import { useApp } from '../../store/react.ts';

export const ACCEPT = '.pdf,.docx,.epub,.html,.htm,.xhtml,.md,.markdown,.txt,.text';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/** Listens on the whole window; renders the overlay while dragging. */
export function WindowDropTarget() {
  const ingestFiles = useApp((s) => s.ingestFiles);
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      const native = nativeVerbs(window);
      if (files.length) void ingestFiles(files, native ? native.pathForFile : undefined);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [ingestFiles]);
  if (!dragging) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-inner">Drop to add to the library</div>
    </div>
  );
}

/** The visible drop zone in the sidebar: a button that opens the file picker. */
export function DropZone() {
  const ingestFiles = useApp((s) => s.ingestFiles);
  const ingestPaths = useApp((s) => s.ingestPaths);
  const input = useRef<HTMLInputElement | null>(null);
  const open = () => {
    const native = nativeVerbs(window);
    if (native) {
      void native.openDocumentDialog().then((paths) => {
        if (paths.length) void ingestPaths(paths);
      });
    } else input.current?.click();
  };
  return (
    <div className="drop-zone" data-testid="drop-zone">
      <button type="button" className="btn-primary drop-zone-button" onClick={open} data-testid="open-document">
        Open document…
      </button>
      <p className="drop-zone-hint muted">or drop files anywhere · PDF, DOCX, EPUB, HTML, Markdown, text</p>
      <input
        ref={input}
        type="file"
        accept={ACCEPT}
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          e.currentTarget.value = '';
          if (files.length) void ingestFiles(files);
        }}
      />
    </div>
  );
}
