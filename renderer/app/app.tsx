/**
 * The app shell: header (name, engine badge, theme), a three-column layout (library | document
 * viewer | side panel with Chat / Inspector / Models / Engine tabs), the jobs bar with progress
 * and cancel, and notices. Features live in features/*; this file only arranges them.
 */

import { useApp } from '../store/react.ts';
import type { PanelId } from '../store/ui-slice.ts';
import { EngineBadge } from '../features/engine/engine-badge.tsx';
import { EnginePanel } from '../features/engine/engine-panel.tsx';
import { Notices } from '../features/engine/notices.tsx';
import { ThemeToggle } from '../features/engine/theme-toggle.tsx';
import { JobsBar } from '../features/engine/jobs-bar.tsx';
import { ChatPanel } from '../features/chat/chat-panel.tsx';
import { DocumentViewer } from '../features/documents/document-viewer.tsx';
import { DropZone, WindowDropTarget } from '../features/documents/drop-zone.tsx';
import { ChatList, Library } from '../features/documents/library.tsx';
import { InspectorPanel } from '../features/inspector/inspector-panel.tsx';
import { ModelsPanel } from '../features/models/models-panel.tsx';
import { ErrorBoundary } from './error-boundary.tsx';
import { Tabs, type TabDef } from './tabs.tsx';
import { useShortcuts } from './shortcuts.ts';
import { useAppliedTheme } from './theme.ts';

const TABS: readonly TabDef<PanelId>[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'inspector', label: 'Inspector' },
  { id: 'models', label: 'Models' },
  { id: 'engine', label: 'Engine' },
];

function SidePanel() {
  const panel = useApp((s) => s.panel);
  const setPanel = useApp((s) => s.setPanel);
  return (
    <aside className="side-panel" aria-label="Side panel">
      <Tabs tabs={TABS} value={panel} onChange={setPanel} label="Panels" />
      <div role="tabpanel" id={`tabpanel-${panel}`} aria-labelledby={`tab-${panel}`} className="tabpanel" data-testid={`panel-${panel}`}>
        <ErrorBoundary key={panel} name={`${panel} panel`}>
          {panel === 'chat' && <ChatPanel />}
          {panel === 'inspector' && <InspectorPanel />}
          {panel === 'models' && <ModelsPanel />}
          {panel === 'engine' && <EnginePanel />}
        </ErrorBoundary>
      </div>
    </aside>
  );
}

export function App() {
  useAppliedTheme();
  useShortcuts();
  const connection = useApp((s) => s.connection);
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-name">Longread</h1>
        <div className="header-spacer" />
        <EngineBadge />
        <ThemeToggle />
      </header>
      {connection === 'closed' && (
        <div className="banner banner-error" role="alert">
          <span>
            The connection to the engine was lost.{' '}
            {window.longread ? 'Longread restarts its engine on its own; reload to reconnect.' : 'If you restarted `longread serve`, open the new address it printed (it carries a new access token).'}
          </span>
          <button type="button" className="btn btn-small" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      )}
      <div className="app-main">
        <nav className="sidebar" aria-label="Documents and chats">
          <DropZone />
          <ErrorBoundary name="library">
            <Library />
            <ChatList />
          </ErrorBoundary>
        </nav>
        <main className="viewer-column" aria-label="Document">
          <ErrorBoundary name="document viewer">
            <DocumentViewer />
          </ErrorBoundary>
        </main>
        <SidePanel />
      </div>
      <JobsBar />
      <Notices />
      <WindowDropTarget />
    </div>
  );
}
