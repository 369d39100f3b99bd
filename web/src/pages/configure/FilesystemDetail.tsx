// One file system: a summary with its actions, then tabs: its MGT, MDTs
// and OSTs with their hosts and actions (and adding one), its OST pools,
// its client mounts, its quotas and its HSM.
import { Breadcrumb, Card, Descriptions, Empty, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { get, type Page } from '../../api';
import { useAuth } from '../../auth';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { time } from '../../format';
import { useLoad, useUrlState } from '../../hooks';
import ClientMountsTab from './filesystem/ClientMountsTab';
import HsmTab from './filesystem/HsmTab';
import { jobEnded } from './filesystem/planned';
import PoolsTab from './filesystem/PoolsTab';
import QuotasTab from './filesystem/QuotasTab';
import TargetsTab from './filesystem/TargetsTab';
import { Busy, FilesystemActions } from './Filesystems';
import RecentCommand, { useRecentCommand } from './RecentCommand';
import type { Filesystem, Host } from './types';

const TABS = ['targets', 'pools', 'clients', 'quotas', 'hsm'];

export default function FilesystemDetail() {
  const { id = '' } = useParams();
  const { can } = useAuth();
  const admin = can('fsadmin');
  const recent = useRecentCommand();
  const [url, setUrl] = useUrlState();
  const tab = TABS.includes(url.get('tab') ?? '') ? (url.get('tab') as string) : 'targets';
  // Reloaded when a job ends too: quota enforcement and grace times are
  // read back into the file system by jobs that change no target.
  const { data: fs, error, loading } = useLoad(
    () => get<Filesystem>(`/filesystem/${id}`),
    [id],
    ['filesystem', 'target', 'job'],
    jobEnded,
  );
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
  const live = (kind: string) => fs.targets.filter((t) => t.kind === kind && t.state !== 'removed').length;

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
              children: `${live('mdt')} MDT, ${live('ost')} OST`,
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
      <Tabs
        activeKey={tab}
        onChange={(key) => setUrl({ tab: key === 'targets' ? null : key })}
        items={[
          {
            key: 'targets',
            label: <span data-testid="tab-targets">Targets</span>,
            children: <TargetsTab fs={fs} hosts={hosts} admin={admin} loading={loading} onDone={recent.follow} />,
          },
          {
            key: 'pools',
            label: <span data-testid="tab-pools">OST pools</span>,
            children: <PoolsTab fs={fs} admin={admin} onDone={recent.follow} />,
          },
          {
            key: 'clients',
            label: <span data-testid="tab-clients">Client mounts</span>,
            children: <ClientMountsTab fs={fs} admin={admin} onDone={recent.follow} />,
          },
          {
            key: 'quotas',
            label: <span data-testid="tab-quotas">Quotas</span>,
            children: <QuotasTab fs={fs} admin={admin} onDone={recent.follow} />,
          },
          {
            key: 'hsm',
            label: <span data-testid="tab-hsm">HSM</span>,
            children: <HsmTab fs={fs} admin={admin} onDone={recent.follow} />,
          },
        ]}
      />
    </>
  );
}
