// MGT, MDT or OST tables: state, volume, hosts (failed-over targets stand
// out), how each is kept highly available, and the actions the API offers,
// each through a dry run.
import { Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import ConfirmAction from '../../components/ConfirmAction';
import StateTag from '../../components/StateTag';
import DrainActions from './filesystem/DrainActions';
import RemoveTarget from './filesystem/RemoveTarget';
import { Busy } from './Filesystems';
import type { TableUrl } from './table';
import { hostLabel, type Host, type Target } from './types';

const VERBS: Record<string, string> = {
  mounted: 'Mount',
  unmounted: 'Unmount',
  formatted: 'Format',
  registered: 'Register',
  removed: 'Remove',
};

export function TargetActions({
  target,
  hosts,
  onDone,
}: {
  target: Target;
  hosts: Map<string, Host>;
  onDone: (response: unknown) => void;
}) {
  const name = (id: string) => hostLabel(hosts.get(id), id);
  // Only Pacemaker moves a target between servers; a direct one stays where Chroma mounts it.
  const movable = target.ha_mode === 'pacemaker';
  return (
    <Space size={4} wrap>
      {target.available_transitions.map((state) =>
        state === 'removed' ? (
          <RemoveTarget key={state} target={target} onDone={onDone} />
        ) : (
          <ConfirmAction
            key={state}
            size="small"
            title={`${VERBS[state] ?? `Set ${state}`} ${target.name}`}
            method="PATCH"
            path={`/target/${target.id}`}
            body={{ state }}
            confirmField
            onDone={onDone}
            data-testid={`target-${state}-${target.name}`}
          >
            {VERBS[state] ?? state}
          </ConfirmAction>
        ),
      )}
      <DrainActions target={target} onDone={onDone} />
      {movable &&
        target.state === 'mounted' &&
        !target.failed_over &&
        target.failover_host_ids.map((host) => (
          <ConfirmAction
            key={`failover-${host}`}
            size="small"
            title={`Fail ${target.name} over to ${name(host)}`}
            method="POST"
            path={`/target/${target.id}/failover`}
            body={{ host_id: host }}
            confirmField
            onDone={onDone}
            data-testid={`target-failover-${target.name}`}
          >
            Fail over to {name(host)}
          </ConfirmAction>
        ))}
      {movable && target.failed_over && (
        <ConfirmAction
          size="small"
          title={`Fail ${target.name} back to ${target.primary_host ?? name(target.primary_host_id)}`}
          method="POST"
          path={`/target/${target.id}/failback`}
          onDone={onDone}
          data-testid={`target-failback-${target.name}`}
        >
          Fail back
        </ConfirmAction>
      )}
    </Space>
  );
}

/** How a target is kept: a Pacemaker resource (with its id), or mounted by Chroma directly. */
export function HaMode({ target }: { target: Pick<Target, 'name' | 'ha_mode' | 'ha_resource'> }) {
  if (target.ha_mode !== 'pacemaker') {
    return (
      <Tooltip title="Mounted by Chroma directly; no failover">
        <Tag data-testid={`target-ha-${target.name}`} data-ha-mode={target.ha_mode}>
          direct
        </Tag>
      </Tooltip>
    );
  }
  return (
    <Space size={4}>
      <Tooltip title="Started, stopped and moved between its servers by Pacemaker">
        <Tag color="geekblue" data-testid={`target-ha-${target.name}`} data-ha-mode={target.ha_mode}>
          Pacemaker
        </Tag>
      </Tooltip>
      {target.ha_resource && (
        <Typography.Text
          code
          copyable={{ text: target.ha_resource }}
          title="Its Pacemaker resource id"
          data-testid={`target-ha-resource-${target.name}`}
        >
          {target.ha_resource}
        </Typography.Text>
      )}
    </Space>
  );
}

const TARGET_STATES = ['unformatted', 'formatted', 'registered', 'unmounted', 'mounted', 'removed'];

interface Props {
  targets: Target[] | undefined;
  total?: number;
  loading: boolean;
  hosts: Map<string, Host>;
  /** Sorting, filters and paging in the URL, done by the API; without it the table is one page. */
  table?: TableUrl;
  /** Whether to show changing controls. */
  admin: boolean;
  onDone: (response: unknown) => void;
}

export default function TargetTable({ targets, total, loading, hosts, table, admin, onDone }: Props) {
  const sortable = (field: string) => (table ? table.sortable(field) : {});
  const columns: ColumnsType<Target> = [
    {
      title: 'Name',
      dataIndex: 'name',
      ...sortable('name'),
      render: (name: string, t) => (
        <Space size={4}>
          {name}
          {t.drained && (
            <Tooltip title="The MDTs create no new objects on it (max_create_count=0); migrate files off it before removing it">
              <Tag color="gold" data-testid={`target-drained-${t.name}`}>
                drained
              </Tag>
            </Tooltip>
          )}
          <Busy locks={t.locks} />
        </Space>
      ),
    },
    {
      title: 'State',
      dataIndex: 'state',
      ...sortable('state'),
      ...(table
        ? table.filterable(
            'state',
            TARGET_STATES.map((s) => ({ text: s, value: s })),
          )
        : {}),
      render: (s: string) => <StateTag state={s} />,
    },
    {
      title: 'Volume',
      key: 'volume',
      render: (_, t) =>
        t.zpool ? (
          <Tooltip title={`ZFS pool ${t.zpool}, built on volume ${t.volume_serial}`}>
            <span data-testid={`target-volume-${t.name}`}>
              {t.volume_serial} <Tag>zfs</Tag>
            </span>
          </Tooltip>
        ) : (
          <span data-testid={`target-volume-${t.name}`}>{t.volume_serial}</span>
        ),
    },
    {
      title: 'Primary host',
      key: 'primary',
      render: (_, t) => t.primary_host ?? hostLabel(hosts.get(t.primary_host_id), t.primary_host_id),
    },
    {
      title: 'Failover hosts',
      key: 'failover',
      render: (_, t) =>
        t.failover_host_ids.length ? t.failover_host_ids.map((h) => hostLabel(hosts.get(h), h)).join(', ') : '–',
    },
    {
      title: 'Active host',
      dataIndex: 'active_host',
      ...sortable('active_host'),
      render: (active: string | null, t) =>
        t.active_host_id ? (
          <Space size={4}>
            <span>{active ?? hostLabel(hosts.get(t.active_host_id), t.active_host_id)}</span>
            {t.failed_over && (
              <Tooltip title="Running on a failover host, not its primary">
                <Tag color="orange" data-testid={`failed-over-${t.name}`}>
                  failed over
                </Tag>
              </Tooltip>
            )}
          </Space>
        ) : (
          '–'
        ),
    },
    { title: 'HA', key: 'ha', render: (_, t) => <HaMode target={t} /> },
    {
      title: 'Storage',
      key: 'storage',
      render: (_, t) => (
        <Link to={`/storage?target=${t.id}`} data-testid={`target-storage-${t.name}`} title={`What ${t.name} stands on`}>
          Storage
        </Link>
      ),
    },
  ];
  if (admin) {
    columns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, t) => (t.managed ? <TargetActions target={t} hosts={hosts} onDone={onDone} /> : <Tag>monitored only</Tag>),
    });
  }
  return (
    <Table<Target>
      rowKey="id"
      size="small"
      loading={loading && !targets}
      columns={columns}
      dataSource={targets}
      pagination={table ? table.pagination(total) : false}
      onChange={table?.onChange}
      onRow={(t) =>
        ({
          'data-testid': `target-row-${t.name}`,
          style: t.failed_over ? { background: 'rgba(250, 140, 22, 0.08)' } : undefined,
        }) as HTMLAttributes<HTMLElement>
      }
      scroll={{ x: 'max-content' }}
    />
  );
}
