// Alerts: the active ones, or the past (cleared) ones; filtered,
// sorted and paged by the API with everything in the URL; live on the
// stream's `alert` changes. An fsadmin acknowledges one, a selection, or
// every active alert. `?id=` opens one alert (the notification area links
// there) and marks its row.
import { App, Button, Flex, Popconfirm, Segmented, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType, TableProps } from 'antd';
import { useState, type HTMLAttributes, type Key } from 'react';
import { get, post, type Page, type Schemas } from '../api';
import { useAuth } from '../auth';
import ErrorNotice from '../components/ErrorNotice';
import type { AlertRecord } from '../components/Notifications';
import StateTag from '../components/StateTag';
import { ago, time } from '../format';
import { useLoad, useUrlState } from '../hooks';
import AlertDrawer from './records/AlertDrawer';
import { anySet, ChoiceFilter, pagination, paging, TextFilter, TimeRange, useClampedOffset } from './records/filters';
import { KINDS, kindLabel } from './records/kinds';
import { ItemLink } from './records/links';

const SEVERITIES = ['error', 'warning', 'info'].map((s) => ({ value: s, label: s }));

const FILTERS = ['kind', 'severity', 'item', 'q', 'since', 'until', 'acknowledged'];

export default function Alerts() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const [params, update] = useUrlState();
  const [selected, setSelected] = useState<Key[]>([]);
  const [busy, setBusy] = useState(false);

  const active = params.get('active') !== 'false';
  const acknowledged = params.get('acknowledged');
  const orderBy = params.get('order_by') ?? undefined;
  const openId = params.get('id');
  const { limit, offset } = paging(params);
  const query = {
    active,
    kind: params.get('kind'),
    severity: params.get('severity'),
    item: params.get('item'),
    q: params.get('q'),
    since: params.get('since'),
    until: params.get('until'),
    acknowledged: acknowledged === 'true' || acknowledged === 'false' ? acknowledged : undefined,
    order_by: orderBy,
    limit,
    offset: offset || undefined,
  };
  const key = JSON.stringify(query);
  const alerts = useLoad(() => get<Page<AlertRecord>>('/alert', query), [key], ['alert']);
  useClampedOffset(params, update, alerts.data?.meta.total_count);
  const rows = alerts.data?.objects ?? [];
  const fsadmin = can('fsadmin');

  const acknowledge = async (body: { ids: string[] } | { all_active: true } | string) => {
    setBusy(true);
    try {
      if (typeof body === 'string') {
        await post(`/alert/${body}/acknowledge`);
        message.success('Alert acknowledged');
      } else {
        const done = await post<Schemas['AlertsAcknowledged']>('/alert/acknowledge', body satisfies Schemas['AlertSelection']);
        message.success(`${done.acknowledged.length} alert(s) acknowledged`);
        setSelected([]);
      }
      alerts.reload();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const columns: TableColumnsType<AlertRecord> = [
    {
      title: 'Severity',
      dataIndex: 'severity',
      key: 'severity',
      width: 100,
      sorter: true,
      sortDirections: ['ascend'],
      sortOrder: orderBy === 'severity' ? 'ascend' : null,
      render: (s: string) => <StateTag state={s} />,
    },
    {
      title: 'Kind',
      dataIndex: 'kind',
      key: 'kind',
      width: 170,
      render: (k: string) => (
        <Typography.Link onClick={() => update({ kind: k, offset: undefined })} title={`Only ${k} alerts`}>
          {kindLabel(k)}
        </Typography.Link>
      ),
    },
    {
      title: 'About',
      dataIndex: 'item',
      key: 'item',
      width: 150,
      render: (item: string, a) => <ItemLink item={item} details={a.details} />,
    },
    {
      title: 'Message',
      dataIndex: 'message',
      key: 'message',
      render: (text: string, a) => (
        <Typography.Link onClick={() => update({ id: a.id })} style={{ wordBreak: 'break-word' }}>
          {text}
        </Typography.Link>
      ),
    },
    {
      title: 'Raised',
      dataIndex: 'raised_at',
      key: 'raised_at',
      width: 170,
      sorter: true,
      sortDirections: ['descend', 'ascend'],
      sortOrder: orderBy === 'raised_at' ? 'ascend' : !orderBy || orderBy === '-raised_at' ? 'descend' : null,
      render: (t: string) => <Tooltip title={ago(t)}>{time(t)}</Tooltip>,
    },
    {
      title: 'Status',
      key: 'status',
      width: 190,
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          {a.cleared_at ? (
            <Tooltip title={`Cleared ${time(a.cleared_at)}`}>
              <Tag>cleared {ago(a.cleared_at)}</Tag>
            </Tooltip>
          ) : (
            <Tag color="red">active</Tag>
          )}
          {a.acknowledged_at && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} title={time(a.acknowledged_at)}>
              ✓ {a.acknowledged_by ?? 'acknowledged'}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: '',
      key: 'actions',
      width: fsadmin ? 190 : 90,
      render: (_, a) => (
        <Space size="small">
          {fsadmin && !a.acknowledged_at && (
            <Button size="small" data-testid="acknowledge" disabled={busy} onClick={() => void acknowledge(a.id)}>
              Acknowledge
            </Button>
          )}
          <Button size="small" type="link" onClick={() => update({ id: a.id })}>
            Details
          </Button>
        </Space>
      ),
    },
  ];

  const onChange: TableProps<AlertRecord>['onChange'] = (_pagination, _filters, sorter, extra) => {
    if (extra.action !== 'sort' || Array.isArray(sorter)) return;
    let next: string | undefined;
    if (sorter.columnKey === 'severity' && sorter.order) next = 'severity';
    else if (sorter.columnKey === 'raised_at' && sorter.order === 'ascend') next = 'raised_at';
    update({ order_by: next, offset: undefined });
  };

  return (
    <div>
      <Flex justify="space-between" align="center" wrap gap={12} style={{ marginBottom: 12 }}>
        <Space size="middle" wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            Alerts
          </Typography.Title>
          <Segmented
            data-testid="alerts-active"
            value={active ? 'true' : 'false'}
            options={[
              { value: 'true', label: 'Active' },
              { value: 'false', label: <Tooltip title="Alerts whose condition has ended">Past</Tooltip> },
            ]}
            onChange={(v) => {
              setSelected([]);
              update({ active: v, offset: undefined });
            }}
          />
        </Space>
        {fsadmin && (
          <Space wrap>
            <Button
              type="primary"
              data-testid="acknowledge-selected"
              disabled={selected.length === 0}
              loading={busy}
              onClick={() => void acknowledge({ ids: selected.map(String) })}
            >
              Acknowledge selected{selected.length ? ` (${selected.length})` : ''}
            </Button>
            <Popconfirm
              title="Acknowledge every active alert?"
              description="Failed-job alerts clear when acknowledged."
              okText="Acknowledge all"
              onConfirm={() => acknowledge({ all_active: true })}
            >
              <Button data-testid="acknowledge-all" disabled={busy || (active && !alerts.data?.meta.total_count)}>
                Acknowledge all active
              </Button>
            </Popconfirm>
          </Space>
        )}
      </Flex>

      <Flex wrap gap={8} style={{ marginBottom: 12 }}>
        <ChoiceFilter name="kind" params={params} update={update} placeholder="Kind" options={KINDS} width={190} />
        <ChoiceFilter name="severity" params={params} update={update} placeholder="Severity" options={SEVERITIES} width={120} />
        <TextFilter name="item" params={params} update={update} placeholder="Item (target/ID)" width={220} />
        <TextFilter name="q" params={params} update={update} placeholder="Message contains" width={200} />
        <TimeRange params={params} update={update} />
        <Select
          allowClear
          placeholder="Acknowledged"
          aria-label="Acknowledged"
          style={{ width: 170 }}
          value={query.acknowledged}
          options={[
            { value: 'false', label: 'Not acknowledged' },
            { value: 'true', label: 'Acknowledged' },
          ]}
          onChange={(v?: string) => update({ acknowledged: v, offset: undefined })}
        />
        {anySet(params, FILTERS) && (
          <Button
            type="link"
            onClick={() => update(Object.fromEntries([...FILTERS, 'offset'].map((f) => [f, undefined])))}
          >
            Clear filters
          </Button>
        )}
      </Flex>

      <ErrorNotice error={alerts.error} />
      <Table<AlertRecord>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={rows}
        loading={alerts.loading && !alerts.data}
        onChange={onChange}
        scroll={{ x: 1100 }}
        locale={{ emptyText: active ? 'No active alerts' : 'No past alerts' }}
        pagination={pagination(params, update, alerts.data?.meta.total_count)}
        rowClassName={(a) =>
          [a.id === openId ? 'row-highlight' : '', a.cleared_at ? 'row-cleared' : ''].join(' ')
        }
        rowSelection={
          fsadmin
            ? {
                selectedRowKeys: selected,
                preserveSelectedRowKeys: true,
                onChange: setSelected,
                getCheckboxProps: (a) => ({ disabled: !!a.acknowledged_at }),
              }
            : undefined
        }
        onRow={(a) =>
          ({
            'data-testid': 'alert-row',
            'data-kind': a.kind,
            'data-active': a.cleared_at ? 'false' : 'true',
            'data-id': a.id,
            'data-acknowledged': a.acknowledged_at ? 'true' : 'false',
          }) as HTMLAttributes<HTMLElement>
        }
      />

      <AlertDrawer id={openId} onClose={() => update({ id: undefined })} onChanged={alerts.reload} />
    </div>
  );
}
