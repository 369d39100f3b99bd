import { Avatar, Dropdown, Layout, Menu, Spin, Tag, Tooltip } from 'antd';
import {
  AlertOutlined,
  BellOutlined,
  ClusterOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  FileSearchOutlined,
  HistoryOutlined,
  LogoutOutlined,
  ProfileOutlined,
  SettingOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from './auth';
import { StreamProvider, useStreamStatus } from './stream';
import Login from './pages/Login';
import Notifications from './components/Notifications';

const Dashboard = lazy(() => import('./pages/dashboard/Dashboard'));
const Configure = lazy(() => import('./pages/configure/Configure'));
const Jobs = lazy(() => import('./pages/Jobs'));
const Alerts = lazy(() => import('./pages/Alerts'));
const Events = lazy(() => import('./pages/Events'));
const Logs = lazy(() => import('./pages/Logs'));
const Parameters = lazy(() => import('./pages/Parameters'));
const Storage = lazy(() => import('./pages/storage/Storage'));
const AccountNotifications = lazy(() => import('./pages/account/Notifications'));

const PAGES = [
  { path: '/dashboard', label: 'Dashboard', icon: <DashboardOutlined /> },
  { path: '/configure', label: 'Configure', icon: <ClusterOutlined /> },
  { path: '/jobs', label: 'Jobs', icon: <ProfileOutlined /> },
  { path: '/alerts', label: 'Alerts', icon: <AlertOutlined /> },
  { path: '/events', label: 'Events', icon: <HistoryOutlined /> },
  { path: '/logs', label: 'Logs', icon: <FileSearchOutlined /> },
  { path: '/parameters', label: 'Parameters', icon: <SettingOutlined /> },
  { path: '/storage', label: 'Storage', icon: <DatabaseOutlined /> },
];

function LiveIndicator() {
  const connected = useStreamStatus();
  return (
    <Tooltip title={connected ? 'Receiving live changes' : 'Live updates disconnected; reconnecting'}>
      <Tag color={connected ? 'green' : 'red'} data-testid="live">
        {connected ? 'live' : 'offline'}
      </Tag>
    </Tooltip>
  );
}

function Shell() {
  const { user, logout } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const selected = PAGES.find((p) => location.pathname.startsWith(p.path))?.path ?? '/dashboard';

  return (
    <StreamProvider>
      <Layout style={{ minHeight: '100%' }}>
        <Layout.Header className="chroma-header">
          <span className="brand">Chroma</span>
          <Menu
            theme="dark"
            mode="horizontal"
            selectedKeys={[selected]}
            style={{ flex: 1, minWidth: 0, background: 'transparent' }}
            items={PAGES.map((p) => ({ key: p.path, icon: p.icon, label: p.label }))}
            onClick={({ key }) => navigate(key)}
          />
          <LiveIndicator />
          <Notifications />
          <Dropdown
            menu={{
              items: [
                { key: 'role', label: `Role: ${user?.role}`, disabled: true },
                {
                  key: 'notifications',
                  icon: <BellOutlined />,
                  label: 'Notifications',
                  onClick: () => navigate('/account/notifications'),
                },
                { key: 'logout', icon: <LogoutOutlined />, label: 'Log out', onClick: () => void logout() },
              ],
            }}
          >
            <span style={{ cursor: 'pointer', whiteSpace: 'nowrap' }} data-testid="user-menu">
              <Avatar size="small" icon={<UserOutlined />} /> {user?.username}
            </span>
          </Dropdown>
        </Layout.Header>
        <Layout.Content className="chroma-content">
          <Suspense fallback={<Spin />}>
            <Routes>
              <Route path="/dashboard/*" element={<Dashboard />} />
              <Route path="/configure/*" element={<Configure />} />
              <Route path="/jobs/*" element={<Jobs />} />
              <Route path="/alerts" element={<Alerts />} />
              <Route path="/events" element={<Events />} />
              <Route path="/logs" element={<Logs />} />
              <Route path="/parameters" element={<Parameters />} />
              <Route path="/storage/*" element={<Storage />} />
              <Route path="/account/notifications" element={<AccountNotifications />} />
              <Route path="*" element={<Navigate to="/dashboard" replace />} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
    </StreamProvider>
  );
}

/** Where a login goes: the page (with its query) that asked for it. */
function returnTo(state: unknown): string {
  const from = (state as { from?: { pathname: string; search: string } } | null)?.from;
  return from ? `${from.pathname}${from.search}` : '/dashboard';
}

export default function App() {
  const { user } = useAuth();
  const location = useLocation();
  if (user === undefined) return <Spin style={{ margin: 48 }} />;
  if (user === null) {
    return (
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route path="*" element={<Navigate to="/login" replace state={{ from: location }} />} />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route path="/login" element={<Navigate to={returnTo(location.state)} replace />} />
      <Route path="*" element={<Shell />} />
    </Routes>
  );
}
