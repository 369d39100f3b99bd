// Configure: file systems, servers, HA clusters and volumes, each a nested route under
// /configure with a tab bar above.
import { Tabs } from 'antd';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import FilesystemDetail from './FilesystemDetail';
import Filesystems from './Filesystems';
import HaClusters from './HaClusters';
import Servers from './Servers';
import Volumes from './Volumes';

const TABS = [
  { key: 'filesystems', label: 'File systems' },
  { key: 'servers', label: 'Servers' },
  { key: 'ha-clusters', label: 'HA clusters' },
  { key: 'volumes', label: 'Volumes' },
];

export default function Configure() {
  const location = useLocation();
  const navigate = useNavigate();
  const section = location.pathname.split('/')[2] || 'filesystems';
  return (
    <div className="chroma-configure">
      <Tabs activeKey={section} items={TABS} onChange={(key) => navigate(`/configure/${key}`)} style={{ marginBottom: 8 }} />
      <Routes>
        <Route index element={<Navigate to="/configure/filesystems" replace />} />
        <Route path="filesystems" element={<Filesystems />} />
        <Route path="filesystems/:id" element={<FilesystemDetail />} />
        <Route path="servers" element={<Servers />} />
        <Route path="ha-clusters" element={<HaClusters />} />
        <Route path="volumes" element={<Volumes />} />
        <Route path="*" element={<Navigate to="/configure/filesystems" replace />} />
      </Routes>
    </div>
  );
}
