// Volumes: block devices on managed servers, where each is seen, and the
// target using it, filtered by free / in use and by host.
import { Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, type HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import { get, type Page } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { bytes } from '../../format';
import { useLoad } from '../../hooks';
import { useTableUrl } from './table';
import { hostLabel, type Host, type Target, type Volume, type VolumeNode } from './types';

export default function Volumes() {
  const table = useTableUrl();
  const free = table.filter('free');
  const host = table.filter('host');
  const { data, error, loading } = useLoad(
    () => get<Page<Volume>>('/volume', { ...table.query, free, host_id: host }),
    [JSON.stringify(table.query), free, host],
    ['host', 'target'],
  );
  const hosts = useLoad(() => get<Page<Host>>('/host', { limit: 1000, state: 'managed' }), [], ['host']);
  // Which file system each target belongs to, to link to it.
  const targets = useLoad(() => get<Page<Target>>('/target', { limit: 1000 }), [], ['target']);
  const fsOf = useMemo(
    () => new Map((targets.data?.objects ?? []).map((t) => [t.id, t.filesystem_id])),
    [targets.data],
  );

  const columns: ColumnsType<Volume> = [
    { title: 'Serial', dataIndex: 'serial', ...table.sortable('serial'), render: (s: string) => <Typography.Text code>{s}</Typography.Text> },
    { title: 'Size', dataIndex: 'size_bytes', ...table.sortable('size_bytes'), align: 'right', render: (b: number) => bytes(b) },
    {
      title: 'Hosts and paths',
      dataIndex: 'nodes',
      render: (nodes: VolumeNode[]) => (
        <Space orientation="vertical" size={0}>
          {nodes.map((n) => (
            <span key={n.host_id}>
              {n.host ?? n.host_id} <Typography.Text type="secondary">{n.path}</Typography.Text>
            </span>
          ))}
        </Space>
      ),
    },
    {
      title: 'Used by',
      dataIndex: 'target',
      ...table.sortable('target'),
      render: (target: string | null, v) => {
        if (!target || !v.target_id) return <Tag color="green">free</Tag>;
        const fs = fsOf.get(v.target_id);
        return fs ? <Link to={`/configure/filesystems/${fs}`}>{target}</Link> : target;
      },
    },
  ];

  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          Volumes
        </Typography.Title>
        <Segmented
          value={free ?? 'all'}
          options={[
            { value: 'all', label: 'All' },
            { value: 'true', label: 'Free' },
            { value: 'false', label: 'In use' },
          ]}
          onChange={(v) => table.setFilter('free', v === 'all' ? undefined : String(v))}
          data-testid="volume-free"
        />
        <Select
          allowClear
          placeholder="Any host"
          style={{ minWidth: 200 }}
          value={host}
          onChange={(v: string | undefined) => table.setFilter('host', v)}
          options={(hosts.data?.objects ?? []).map((h) => ({ value: h.id, label: hostLabel(h) }))}
          data-testid="volume-host"
        />
      </Space>
      <ErrorNotice error={error} />
      <Table<Volume>
        rowKey="id"
        size="middle"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.objects}
        pagination={table.pagination(data?.meta.total_count)}
        onChange={table.onChange}
        onRow={(v) => ({ 'data-testid': `volume-row-${v.serial}` }) as HTMLAttributes<HTMLElement>}
        scroll={{ x: 'max-content' }}
      />
    </>
  );
}
