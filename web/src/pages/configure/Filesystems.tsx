// File systems: a table (sorting, filters and page in the URL), start,
// stop and remove through a dry run, and creation.
import { Button, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { useState, type HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import { get, type Page } from '../../api';
import { useAuth } from '../../auth';
import ConfirmAction from '../../components/ConfirmAction';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { useLoad } from '../../hooks';
import CreateFilesystem from './CreateFilesystem';
import RecentCommand, { useRecentCommand } from './RecentCommand';
import { useTableUrl } from './table';
import type { Filesystem } from './types';

const ACTIONS: Record<string, { verb: string; danger?: boolean }> = {
  available: { verb: 'Start' },
  stopped: { verb: 'Stop' },
  removed: { verb: 'Remove', danger: true },
};

/** Start / stop / remove buttons for the transitions the API offers. */
export function FilesystemActions({ fs, onDone }: { fs: Filesystem; onDone?: (response: unknown) => void }) {
  return (
    <Space size={4} wrap>
      {fs.available_transitions
        .filter((t) => ACTIONS[t])
        .map((t) => (
          <ConfirmAction
            key={t}
            size="small"
            danger={ACTIONS[t].danger}
            title={`${ACTIONS[t].verb} file system ${fs.name}`}
            method="PATCH"
            path={`/filesystem/${fs.id}`}
            body={{ state: t }}
            confirmField
            consequence={
              t === 'removed' ? (
                <Typography.Paragraph>
                  Chroma forgets the file system and its targets; the data on the volumes is kept.
                </Typography.Paragraph>
              ) : undefined
            }
            onDone={onDone}
            data-testid={`fs-${t}-${fs.name}`}
          >
            {ACTIONS[t].verb}
          </ConfirmAction>
        ))}
    </Space>
  );
}

/** A lock tag linking to the command holding it, when work is under way. */
export function Busy({ locks }: { locks: Filesystem['locks'] }) {
  if (!locks.length) return null;
  return (
    <Tooltip title={locks.map((l) => l.description).join('; ')}>
      <Link to={`/jobs/${locks[0].command_id}`}>
        <Tag color="processing">busy</Tag>
      </Link>
    </Tooltip>
  );
}

function targetCounts(fs: Filesystem) {
  const live = fs.targets.filter((t) => t.id !== fs.mgs_id && t.state !== 'removed');
  const mdts = live.filter((t) => t.kind === 'mdt').length;
  const osts = live.filter((t) => t.kind === 'ost').length;
  return `${mdts} MDT${mdts === 1 ? '' : 's'}, ${osts} OST${osts === 1 ? '' : 's'}`;
}

export default function Filesystems() {
  const { can } = useAuth();
  const table = useTableUrl();
  const [creating, setCreating] = useState(false);
  const recent = useRecentCommand();
  const removed = table.filter('removed') === 'true';
  const managed = table.filter('managed');
  const { data, error, loading } = useLoad(
    () => get<Page<Filesystem>>('/filesystem', { ...table.query, removed, managed }),
    [JSON.stringify(table.query), removed, managed],
    ['filesystem', 'target'],
  );
  const admin = can('fsadmin');

  const columns: ColumnsType<Filesystem> = [
    {
      title: 'Name',
      dataIndex: 'name',
      ...table.sortable('name'),
      render: (name: string, fs) => (
        <Space size={4}>
          <Link to={`/configure/filesystems/${fs.id}`}>{name}</Link>
          <Busy locks={fs.locks} />
        </Space>
      ),
    },
    { title: 'State', dataIndex: 'state', ...table.sortable('state'), render: (s: string) => <StateTag state={s} /> },
    {
      title: 'MGS',
      key: 'mgs',
      render: (_, fs) => {
        const mgt = fs.targets.find((t) => t.id === fs.mgs_id);
        if (!mgt) return '–';
        return (
          <Space size={4} wrap>
            <span>{mgt.active_host ?? mgt.primary_host ?? '–'}</span>
            <StateTag state={mgt.state} />
          </Space>
        );
      },
    },
    {
      title: 'Client mount source',
      dataIndex: 'client_mount_source',
      render: (s: string | null) => (s ? <Typography.Text code copyable>{s}</Typography.Text> : '–'),
    },
    { title: 'Targets', key: 'targets', render: (_, fs) => targetCounts(fs) },
    {
      title: 'Managed',
      dataIndex: 'managed',
      ...table.sortable('managed'),
      ...table.filterable('managed', [
        { text: 'Managed', value: 'true' },
        { text: 'Monitored only', value: 'false' },
      ]),
      render: (m: boolean) => (m ? <Tag color="green">managed</Tag> : <Tag>monitored only</Tag>),
    },
  ];
  if (admin) {
    columns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, fs) => <FilesystemActions fs={fs} onDone={recent.follow} />,
    });
  }

  return (
    <>
      <Space wrap style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }}>
        <Space wrap>
          <Typography.Title level={4} style={{ margin: 0 }}>
            File systems
          </Typography.Title>
          <Space size={4}>
            <Switch size="small" checked={removed} onChange={(on) => table.setFilter('removed', on ? 'true' : undefined)} />
            <span>Show removed</span>
          </Space>
        </Space>
        {admin && (
          <Button type="primary" icon={<PlusOutlined />} data-testid="create-filesystem" onClick={() => setCreating(true)}>
            Create file system
          </Button>
        )}
      </Space>
      <RecentCommand id={recent.id} onClose={recent.dismiss} />
      <ErrorNotice error={error} />
      <Table<Filesystem>
        rowKey="id"
        size="middle"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.objects}
        pagination={table.pagination(data?.meta.total_count)}
        onChange={table.onChange}
        onRow={(fs) => ({ 'data-testid': `fs-row-${fs.name}` }) as HTMLAttributes<HTMLElement>}
        scroll={{ x: 'max-content' }}
      />
      {admin && <CreateFilesystem open={creating} onClose={() => setCreating(false)} />}
    </>
  );
}
