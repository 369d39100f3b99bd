// HA clusters: the Pacemaker clusters Chroma built out of servers that
// share storage (sorting and page in the URL), with their members, quorum,
// fencing in plain words and their active HA alerts; a superuser sets one
// up, changes its fencing or runs its setup again, following the command.
import { Button, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { useState, type HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import { get, isFinal, MAX_PAGE, type Page } from '../../api';
import { useAuth } from '../../auth';
import ConfirmAction from '../../components/ConfirmAction';
import ErrorNotice from '../../components/ErrorNotice';
import type { AlertRecord } from '../../components/Notifications';
import StateTag from '../../components/StateTag';
import { ago, time } from '../../format';
import { useLoad, useUrlState } from '../../hooks';
import { isHaKind, kindLabel } from '../records/kinds';
import { splitItem } from '../records/links';
import RecentCommand, { useRecentCommand } from './RecentCommand';
import SetupHaCluster from './SetupHaCluster';
import { useTableUrl } from './table';
import type { HaCluster } from './types';

/**
 * The fencing as Pacemaker last showed it, in words; before the first look,
 * what was asked for.
 */
export function fencingState(c: HaCluster): { key: string; text: string; color?: string; help: string } {
  const disabled = c.stonith_enabled === false || (c.stonith_enabled === null && !!c.fencing.disabled);
  if (disabled) {
    return {
      key: 'disabled',
      text: 'disabled (test clusters only)',
      color: 'orange',
      help: 'stonith-enabled=false: Pacemaker starts targets without making sure a lost server let go of them first',
    };
  }
  if (c.stonith_enabled === null) {
    const asked = c.fencing.devices?.length ?? 0;
    return {
      key: 'unknown',
      text: `not seen yet (${asked} device${asked === 1 ? '' : 's'} asked for)`,
      help: 'Pacemaker has not been read yet: its setup job has not run',
    };
  }
  if (c.fence_devices === 0) {
    return {
      key: 'no_device',
      text: 'ENABLED WITH NO DEVICE: Pacemaker starts nothing',
      color: 'red',
      help: 'stonith-enabled=true and no fencing device: give each member a device (Change fencing)',
    };
  }
  return {
    key: 'enabled',
    text: `enabled, ${c.fence_devices} device${c.fence_devices === 1 ? '' : 's'}`,
    color: 'green',
    help: 'Pacemaker powers a lost member off before starting its targets elsewhere',
  };
}

function Quorum({ quorate }: { quorate: boolean | null }) {
  if (quorate === null) return <Tag>unknown</Tag>;
  return quorate ? <Tag color="green">quorate</Tag> : <Tag color="red">NO QUORUM</Tag>;
}

/** Whether `alert` is about cluster `c`: the cluster itself, one of its members, or a target it runs. */
function concerns(alert: AlertRecord, c: HaCluster): boolean {
  if (alert.details?.ha_cluster_id === c.id) return true;
  const [kind, id] = splitItem(alert.item) ?? [];
  if (kind === 'ha_cluster') return id === c.id;
  const hosts = c.members.map((m) => m.host_id);
  if (kind === 'host') return !!id && hosts.includes(id);
  const host = alert.details?.host_id;
  return typeof host === 'string' && hosts.includes(host);
}

function ClusterAlerts({ alerts }: { alerts: AlertRecord[] }) {
  if (!alerts.length) return <Typography.Text type="secondary">none</Typography.Text>;
  return (
    <Space orientation="vertical" size={2}>
      {alerts.map((a) => (
        <Tooltip key={a.id} title={a.message}>
          <Link to={`/alerts?id=${a.id}`} data-testid="ha-alert" data-kind={a.kind}>
            <Tag color={a.severity === 'warning' ? 'orange' : a.severity === 'info' ? 'blue' : 'red'}>{kindLabel(a.kind)}</Tag>
          </Link>
        </Tooltip>
      ))}
    </Space>
  );
}

function Members({ cluster }: { cluster: HaCluster }) {
  return (
    <Space orientation="vertical" size={0}>
      {cluster.members.map((m) => (
        <span key={m.host_id} data-testid={`ha-member-${cluster.name}`}>
          <Link to={`/configure/servers?id=${m.host_id}`}>{m.nodename ?? m.ring0_addr}</Link>{' '}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {m.ha_node ? `node ${m.ha_node}` : 'no Pacemaker node yet'} · ring0 {m.ring0_addr}
          </Typography.Text>
        </span>
      ))}
    </Space>
  );
}

export default function HaClusters() {
  const { can } = useAuth();
  const superuser = can('superuser');
  const table = useTableUrl();
  // `?id=` (a link from an alert or a server) marks that cluster's row.
  const [params] = useUrlState();
  const focused = params.get('id');
  const recent = useRecentCommand();
  const [setup, setSetup] = useState<{ cluster?: HaCluster }>();
  const { data, error, loading } = useLoad(
    () => get<Page<HaCluster>>('/ha_cluster', table.query),
    [JSON.stringify(table.query)],
    // Its setup job and the monitor change it: re-read when a command ends.
    ['ha_cluster', 'host', 'command'],
    (change) => change.kind !== 'command' || (!!change.state && isFinal(change.state)),
  );
  const alerts = useLoad(() => get<Page<AlertRecord>>('/alert', { active: true, limit: MAX_PAGE }), [], ['alert']);
  const haAlerts = (alerts.data?.objects ?? []).filter((a) => isHaKind(a.kind));

  const columns: ColumnsType<HaCluster> = [
    {
      title: 'Name',
      dataIndex: 'name',
      ...table.sortable('name'),
      render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
    },
    { title: 'State', dataIndex: 'state', ...table.sortable('state'), render: (s: string) => <StateTag state={s} /> },
    { title: 'Members (Pacemaker node)', key: 'members', render: (_, c) => <Members cluster={c} /> },
    { title: 'Quorum', dataIndex: 'quorate', render: (q: boolean | null) => <Quorum quorate={q} /> },
    {
      title: 'Fencing',
      key: 'fencing',
      render: (_, c) => {
        const f = fencingState(c);
        return (
          <Tooltip title={f.help}>
            <Tag color={f.color} data-testid={`ha-fencing-${c.name}`} data-state={f.key}>
              {f.text}
            </Tag>
          </Tooltip>
        );
      },
    },
    {
      title: 'Active HA alerts',
      key: 'alerts',
      render: (_, c) => <ClusterAlerts alerts={haAlerts.filter((a) => concerns(a, c))} />,
    },
    {
      title: 'Last seen',
      dataIndex: 'seen_at',
      render: (t: string | null) => (t ? <Tooltip title={time(t)}>{ago(t)}</Tooltip> : '–'),
    },
  ];
  if (superuser) {
    columns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, c) => (
        <Space size={4} wrap>
          <ConfirmAction
            size="small"
            title={`Run the setup of HA cluster ${c.name} again`}
            method="POST"
            path={`/ha_cluster/${c.id}/configure`}
            dryRun={false}
            consequence={
              <Typography.Paragraph>
                Chroma configures corosync on its {c.members.length} members, starts Pacemaker and sets its properties
                and fencing devices again, as stored. Members are locked while it runs.
              </Typography.Paragraph>
            }
            onDone={recent.follow}
            data-testid={`ha-configure-${c.name}`}
          >
            Run setup again
          </ConfirmAction>
          <Button size="small" onClick={() => setSetup({ cluster: c })} data-testid={`ha-fencing-change-${c.name}`}>
            Change fencing
          </Button>
        </Space>
      ),
    });
  }

  return (
    <>
      <Space wrap style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          HA clusters
        </Typography.Title>
        {superuser && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setSetup({})} data-testid="ha-setup">
            Set up HA cluster
          </Button>
        )}
      </Space>
      <Typography.Paragraph type="secondary">
        Targets whose servers all have Pacemaker and corosync are kept by Pacemaker: set their servers up as one HA
        cluster, with fencing, before creating a file system on them.
      </Typography.Paragraph>
      <RecentCommand id={recent.id} onClose={recent.dismiss} />
      <ErrorNotice error={error ?? alerts.error} />
      <Table<HaCluster>
        rowKey="id"
        size="middle"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.objects}
        pagination={table.pagination(data?.meta.total_count)}
        onChange={table.onChange}
        rowClassName={(c) => (c.id === focused ? 'row-highlight' : '')}
        onRow={(c) => ({ 'data-testid': `ha-cluster-row-${c.name}` }) as HTMLAttributes<HTMLElement>}
        locale={{ emptyText: 'No HA cluster yet' }}
        scroll={{ x: 'max-content' }}
      />
      {superuser && (
        // A fresh form for each cluster (or a new one), none of another's values.
        <SetupHaCluster
          key={setup?.cluster?.id ?? 'new'}
          open={!!setup}
          cluster={setup?.cluster}
          onClose={() => setSetup(undefined)}
        />
      )}
    </>
  );
}
