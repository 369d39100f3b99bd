// Servers: a table (sorting, filters and page in the URL), LNet up/down, its
// networks and removal through a dry run, adding a server, and Chroma's public key. Each
// server shows whether it has the HA stack (Pacemaker, corosync), its
// Pacemaker node name and its HA cluster, and its pre-flight checks (a
// summary in its row; the checks and their fixes when the row is expanded,
// as it is by default when one failed).
import { Button, Collapse, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { useState, type HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import { get, MAX_PAGE, type Page } from '../../api';
import { useAuth } from '../../auth';
import ConfirmAction from '../../components/ConfirmAction';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { useLoad, useUrlState } from '../../hooks';
import AddServer from './AddServer';
import { Busy } from './Filesystems';
import LnetNetworks, { describeNetworks } from './LnetNetworks';
import PreflightChecks, { PreflightSummary, preflightFailed } from './PreflightChecks';
import PublicKey from './PublicKey';
import RecentCommand, { useRecentCommand } from './RecentCommand';
import { useTableUrl } from './table';
import { hostLabel, type HaCluster, type Host } from './types';

/** Whether Pacemaker and corosync are installed, their versions on hover. */
function HaStack({ host }: { host: Host }) {
  const part = (name: string, version: string | null | undefined) => (
    <Tooltip title={version ?? `${name} is not installed`}>
      <Tag color={version ? 'green' : undefined} data-installed={version ? 'true' : 'false'}>
        {version ? name : `no ${name}`}
      </Tag>
    </Tooltip>
  );
  return (
    <Space size={2} data-testid={`host-ha-stack-${host.address}:${host.port}`}>
      {part('Pacemaker', host.pacemaker_version)}
      {part('corosync', host.corosync_version)}
    </Space>
  );
}

const LNET_VERBS: Record<string, string> = { lnet_up: 'Start LNet', lnet_down: 'Stop LNet' };

function HostActions({ host, onDone }: { host: Host; onDone: (response: unknown) => void }) {
  const label = hostLabel(host);
  return (
    <Space size={4} wrap>
      {host.lnet_transitions.map((lnet) => (
        <ConfirmAction
          key={lnet}
          size="small"
          title={`${LNET_VERBS[lnet] ?? lnet} on ${label}`}
          method="PATCH"
          path={`/host/${host.id}`}
          body={{ lnet_state: lnet }}
          confirmField
          danger={lnet === 'lnet_down'}
          onDone={onDone}
          data-testid={`host-${lnet}-${host.address}:${host.port}`}
        >
          {LNET_VERBS[lnet] ?? lnet}
        </ConfirmAction>
      ))}
      {host.serves_lustre && <LnetNetworks host={host} onDone={onDone} />}
      {host.available_transitions.includes('removed') && (
        <ConfirmAction
          size="small"
          danger
          title={`Remove server ${label}`}
          method="PATCH"
          path={`/host/${host.id}`}
          body={{ state: 'removed' }}
          confirmField
          consequence={
            <Typography.Paragraph>
              Chroma stops managing {label}. The API refuses while the server still serves targets.
            </Typography.Paragraph>
          }
          onDone={onDone}
          data-testid={`host-remove-${host.address}:${host.port}`}
        >
          Remove
        </ConfirmAction>
      )}
    </Space>
  );
}

export default function Servers() {
  const { can } = useAuth();
  const superuser = can('superuser');
  const table = useTableUrl();
  // `?id=` (a link from an alert or event) marks that server's row.
  const [params] = useUrlState();
  const focused = params.get('id');
  const recent = useRecentCommand();
  const [adding, setAdding] = useState(false);
  // Rows the user opened or closed, against the default (open when a check failed).
  const [toggled, setToggled] = useState<Set<string>>(new Set());
  const state = table.filter('state');
  const lnet = table.filter('lnet_state');
  const { data, error, loading } = useLoad(
    () => get<Page<Host>>('/host', { ...table.query, state, lnet_state: lnet }),
    [JSON.stringify(table.query), state, lnet],
    ['host'],
  );
  const clusters = useLoad(() => get<Page<HaCluster>>('/ha_cluster', { limit: MAX_PAGE }), [], ['ha_cluster', 'host']);
  const clusterName = new Map((clusters.data?.objects ?? []).map((c) => [c.id, c.name]));

  const columns: ColumnsType<Host> = [
    {
      title: 'Address',
      dataIndex: 'address',
      ...table.sortable('address'),
      render: (address: string, h) => (
        <Space size={4}>
          <span>
            {address}
            {h.port !== 22 && <Typography.Text type="secondary">:{h.port}</Typography.Text>}
          </span>
          <Busy locks={h.locks} />
        </Space>
      ),
    },
    { title: 'Node name', dataIndex: 'nodename', ...table.sortable('nodename'), render: (n: string | null) => n ?? '–' },
    {
      title: 'State',
      dataIndex: 'state',
      ...table.sortable('state'),
      ...table.filterable(
        'state',
        ['unconfigured', 'managed', 'removed'].map((s) => ({ text: s, value: s })),
      ),
      render: (s: string) => <StateTag state={s} />,
    },
    {
      title: 'LNet',
      dataIndex: 'lnet_state',
      ...table.sortable('lnet_state'),
      ...table.filterable(
        'lnet_state',
        ['lnet_up', 'lnet_down', 'lnet_unknown'].map((s) => ({ text: s.replace('_', ' '), value: s })),
      ),
      render: (s: string) => <StateTag state={s} />,
    },
    {
      title: 'NIDs',
      dataIndex: 'nids',
      render: (nids: string[], h) =>
        nids.length ? (
          <Tooltip title={h.lnet_networks ? `Networks: ${describeNetworks(h.lnet_networks)}` : undefined}>
            <Space size={2} wrap data-testid={`host-nids-${h.address}:${h.port}`}>
              {nids.map((n) => (
                <Tag key={n}>{n}</Tag>
              ))}
            </Space>
          </Tooltip>
        ) : (
          '–'
        ),
    },
    {
      title: 'Lustre',
      dataIndex: 'lustre_version',
      render: (v: string | null, h) => (
        <Tooltip title={h.kernel ? `kernel ${h.kernel}` : undefined}>
          <span>{v ?? '–'}</span>
        </Tooltip>
      ),
    },
    {
      title: 'Pre-flight',
      key: 'preflight',
      render: (_, h) => <PreflightSummary host={h} />,
    },
    {
      title: 'HA software',
      key: 'ha_stack',
      render: (_, h) => <HaStack host={h} />,
    },
    {
      title: 'HA cluster',
      dataIndex: 'ha_cluster_id',
      render: (id: string | null, h) =>
        id ? (
          <Link to={`/configure/ha-clusters?id=${id}`} data-testid={`host-ha-cluster-${h.address}:${h.port}`}>
            {clusterName.get(id) ?? `…${id.slice(-8)}`}
          </Link>
        ) : (
          '–'
        ),
    },
    {
      title: 'Pacemaker node',
      dataIndex: 'ha_node',
      render: (n: string | null, h) =>
        n ? (
          <Tooltip title={n !== h.nodename ? `Pacemaker knows ${hostLabel(h)} as ${n}` : undefined}>
            <span data-testid={`host-ha-node-${h.address}:${h.port}`}>{n}</span>
          </Tooltip>
        ) : (
          '–'
        ),
    },
    {
      title: 'Host key',
      dataIndex: 'fingerprint',
      render: (f: string | null) =>
        f ? (
          <Typography.Text code copyable={{ text: f }} ellipsis={{ tooltip: f }} style={{ maxWidth: 200 }}>
            {f}
          </Typography.Text>
        ) : (
          <Typography.Text type="secondary">not pinned yet</Typography.Text>
        ),
    },
  ];
  if (superuser) {
    columns.push({ title: 'Actions', key: 'actions', render: (_, h) => <HostActions host={h} onDone={recent.follow} /> });
  }

  return (
    <>
      <Space wrap style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          Servers
        </Typography.Title>
        {superuser && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="add-server">
            Add server
          </Button>
        )}
      </Space>
      <Collapse
        size="small"
        style={{ marginBottom: 12 }}
        items={[{ key: 'key', label: "Chroma's public SSH key (install it on servers before adding them)", children: <PublicKey /> }]}
      />
      <RecentCommand id={recent.id} onClose={recent.dismiss} />
      <ErrorNotice error={error} />
      <Table<Host>
        rowKey="id"
        size="middle"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.objects}
        pagination={table.pagination(data?.meta.total_count)}
        onChange={table.onChange}
        rowClassName={(h) => (h.id === focused ? 'row-highlight' : '')}
        expandable={{
          expandedRowRender: (h) => <PreflightChecks host={h} />,
          rowExpandable: (h) => h.preflight !== null,
          expandedRowKeys: (data?.objects ?? []).filter((h) => preflightFailed(h) !== toggled.has(h.id)).map((h) => h.id),
          onExpand: (_, h) =>
            setToggled((before) => {
              const after = new Set(before);
              if (!after.delete(h.id)) after.add(h.id);
              return after;
            }),
        }}
        onRow={(h) => ({ 'data-testid': `host-row-${h.address}:${h.port}` }) as HTMLAttributes<HTMLElement>}
        scroll={{ x: 'max-content' }}
      />
      {superuser && <AddServer open={adding} onClose={() => setAdding(false)} />}
    </>
  );
}
