/**
 * Renderer entry: picks the transport (Electron bridge or WebSocket), creates the EngineClient
 * and the app store, wires connection loss into the store, loads the first state and renders.
 */

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EngineClient } from '../engine/service/client.ts';
import { App } from './app/app.tsx';
import { pickTransport } from './bridge/transport.ts';
import { StoreContext } from './store/react.ts';
import { createAppStore, initApp } from './store/store.ts';
import './styles/base.css';
import './styles/shell.css';
import './styles/documents.css';
import './styles/chat.css';
import './styles/inspector.css';

const { transport } = pickTransport(window);
const client = new EngineClient(transport);
const store = createAppStore(client);
transport.onClose(() => store.getState().setConnection('closed'));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);

void initApp(store);
