import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App as AntApp, ConfigProvider } from 'antd';
import 'react-grid-layout/css/styles.css';
import './styles.css';
import App from './App';
import { AuthProvider } from './auth';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      {/* The router is outermost: notifications and dialogs antd renders
          outside the page tree hold links too. */}
      <BrowserRouter>
        <ConfigProvider theme={{ token: { colorPrimary: '#1f6feb', borderRadius: 4 } }}>
          <AntApp>
            <AuthProvider>
              <App />
            </AuthProvider>
          </AntApp>
        </ConfigProvider>
      </BrowserRouter>
    </StrictMode>,
  );
}
