// One file system: a summary with its actions, then its MGT, MDTs and
// OSTs with their hosts and actions.
import { Breadcrumb, Card, Descriptions, Empty, Space, Spin, Tag, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { get, type Page } from '../../api';
import { useAuth } from '../../auth';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { time } from '../../format';
import { useLoad } from '../../hooks';
import { Busy, FilesystemActions } from './Filesystems';
import RecentCommand, { useRecentCommand } from './RecentCommand';
import { useTableUrl } from './table';
import TargetTable from './TargetTable';
import type { Filesystem, Host, Target } from './types';

/** The MDTs or OSTs of one file system, paged, sorted and filtered by the API. */
function MemberTargets({
  fsId,
  kind,
  hosts,
  admin,
  onDone,
}: {
  fsId: string;
  kind: 'mdt' | 'ost';
  hosts: Map<string, Host>;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const table = useTableUrl(`${kind}_`, 20);
  const state = table.filter('state');
  const { data, error, loading } = useLoad(
    () => get<Page<Target>>('/target', { filesystem_id: fsId, kind, state, ...table.query }),
    [fsId, kind, state, JSON.stringify(table.query)],
    ['target'],
  );
  return (
    <Card size="small" title={kind === 'mdt' ? 'Metadata targets (MDTs)' : 'Object storage targets (OSTs)'} style={{ marginBottom: 12 }}>
      <ErrorNotice error={error} />
      <TargetTable
        targets={data?.objects}
        total={data?.meta.total_count}
        loading={loading}
        hosts={hosts}
        table={table}
        admin={admin}
        onDone={onDone}
      />
    </Card>
  );
}

export default function FilesystemDetail() {
  const { id = '' } = useParams();
  const { can } = useAuth();
  const admin = can('fsadmin');
  const recent = useRecentCommand();
  const { data: fs, error, loading } = useLoad(() => get<Filesystem>(`/filesystem/${id}`), [id], ['filesystem', 'target']);
  const hostList = useLoad(() => get<Page<Host>>('/host', { limit: 1000 }), [], ['host']);
  const hosts = new Map((hostList.data?.objects ?? []).map((h) => [h.id, h]));

  if (!fs) {
    return (
      <>
        <ErrorNotice error={error} />
        {loading ? <Spin /> : <Empty description="No such file system" />}
      </>
    );
  }
  const mgt = fs.targets.filter((t) => t.id === fs.mgs_id);
  const params = Object.entries(fs.conf_params ?? {});

  return (
    <>
      <Breadcrumb
        style={{ marginBottom: 8 }}
        items={[{ title: <Link to="/configure/filesystems">File systems</Link> }, { title: fs.name }]}
      />
      <ErrorNotice error={error} />
      <RecentCommand id={recent.id} onClose={recent.dismiss} />
      <Card
        size="small"
        style={{ marginBottom: 12 }}
        title={
          <Space wrap>
            <Typography.Title level={4} style={{ margin: 0 }}>
              {fs.name}
            </Typography.Title>
            <StateTag state={fs.state} />
            {!fs.managed && <Tag>monitored only</Tag>}
            <Busy locks={fs.locks} />
          </Space>
        }
        extra={
          <Space wrap>
            <Link to={`/dashboard?fs=${fs.id}`}>Dashboard</Link>
            <Link to={`/parameters?fs=${fs.id}`}>Parameters</Link>
            {admin && fs.managed && <FilesystemActions fs={fs} onDone={recent.follow} />}
          </Space>
        }
      >
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2, xxl: 4 }}
          items={[
            {
              key: 'mount',
              label: 'Client mount source',
              children: fs.client_mount_source ? (
                <Typography.Text code copyable>
                  {fs.client_mount_source}
                </Typography.Text>
              ) : (
                '–'
              ),
            },
            {
              key: 'mgs',
              label: 'MGS',
              children: mgt[0] ? `${mgt[0].name} on ${mgt[0].active_host ?? mgt[0].primary_host ?? '–'}` : '–',
            },
            {
              key: 'targets',
              label: 'Targets',
              children: `${fs.targets.filter((t) => t.kind === 'mdt').length} MDT, ${fs.targets.filter((t) => t.kind === 'ost').length} OST`,
            },
            { key: 'created', label: 'Created', children: time(fs.created_at) },
            {
              key: 'params',
              label: 'conf_params',
              span: 'filled',
              children: params.length ? (
                <Space wrap size={4}>
                  {params.map(([k, v]) => (
                    <Tag key={k}>
                      {k} = {v}
                    </Tag>
                  ))}
                </Space>
              ) : (
                'none'
              ),
            },
          ]}
        />
      </Card>
      <Card size="small" title="Management target (MGT)" style={{ marginBottom: 12 }}>
        <TargetTable
          targets={mgt}
          loading={loading}
          hosts={hosts}
          admin={admin}
          onDone={recent.follow}
        />
      </Card>
      <MemberTargets fsId={fs.id} kind="mdt" hosts={hosts} admin={admin} onDone={recent.follow} />
      <MemberTargets fsId={fs.id} kind="ost" hosts={hosts} admin={admin} onDone={recent.follow} />
    </>
  );
}
