// Events: the log of what happened (state changes, command outcomes,
// changes made through the API with their user, logins), newest first,
// filtered and paged by the API with everything in the URL. The newest
// page follows the stream; an older page holds still so rows do not move
// under the reader.
import { Button, Flex, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType, TableProps } from 'antd';
import type { HTMLAttributes } from 'react';
import { get, type Narrow, type Page, type Schemas } from '../api';
import ErrorNotice from '../components/ErrorNotice';
import { ago, time } from '../format';
import { useLoad, useUrlState } from '../hooks';
import DetailsList, { hasDetails } from './records/DetailsList';
import { anySet, ChoiceFilter, pagination, paging, TextFilter, TimeRange, useClampedOffset } from './records/filters';
import { ItemLink, itemOfPath } from './records/links';

/** An event. The document types `details` as any JSON; it is an object. */
type EventRecord = Narrow<Schemas['EventView'], { details: Record<string, unknown> }>;

/** Kinds the database, the API and the scheduler record, with a colour each. */
const KIND_COLOURS: Record<string, string> = {
  state_changed: 'blue',
  command_succeeded: 'green',
  command_failed: 'red',
  command_cancelled: 'default',
  api_change: 'purple',
  login: 'cyan',
  login_failed: 'orange',
  step_rescued: 'gold',
  step_dead_lettered: 'red',
  step_cancel_abandoned: 'orange',
};
const KINDS = Object.keys(KIND_COLOURS).map((k) => ({ value: k, label: k.replace(/_/g, ' ') }));

const FILTERS = ['kind', 'username', 'item', 'q', 'since', 'until'];

export default function Events() {
  const [params, update] = useUrlState();
  const orderBy = params.get('order_by') === 'at' ? 'at' : undefined;
  const { limit, offset } = paging(params);
  const query = {
    kind: params.get('kind'),
    username: params.get('username'),
    item: params.get('item'),
    q: params.get('q'),
    since: params.get('since'),
    until: params.get('until'),
    order_by: orderBy,
    limit,
    offset: offset || undefined,
  };
  // Only the newest page follows: command outcomes are not streamed as
  // events, so a command's change re-reads too.
  const following = offset === 0 && !orderBy && !params.get('until');
  const events = useLoad(
    () => get<Page<EventRecord>>('/event', query),
    [JSON.stringify(query)],
    following ? ['event', 'command'] : [],
  );

  useClampedOffset(params, update, events.data?.meta.total_count);
  const filterBy = (name: string, value: string) => update({ [name]: value, offset: undefined });

  const columns: TableColumnsType<EventRecord> = [
    {
      title: 'Time',
      dataIndex: 'at',
      key: 'at',
      width: 170,
      sorter: true,
      sortDirections: ['descend', 'ascend'],
      sortOrder: orderBy === 'at' ? 'ascend' : 'descend',
      render: (t: string) => <Tooltip title={ago(t)}>{time(t)}</Tooltip>,
    },
    {
      title: 'Kind',
      dataIndex: 'kind',
      key: 'kind',
      width: 170,
      render: (k: string) => (
        <Tag
          color={KIND_COLOURS[k] ?? 'default'}
          style={{ cursor: 'pointer' }}
          title={`Only ${k} events`}
          onClick={() => filterBy('kind', k)}
        >
          {k.replace(/_/g, ' ')}
        </Tag>
      ),
    },
    {
      title: 'User',
      dataIndex: 'username',
      key: 'username',
      width: 120,
      render: (u: string | null) =>
        u ? (
          <Typography.Link title={`Only events of ${u}`} onClick={() => filterBy('username', u)}>
            {u}
          </Typography.Link>
        ) : (
          <Typography.Text type="secondary">system</Typography.Text>
        ),
    },
    {
      title: 'About',
      dataIndex: 'item',
      key: 'item',
      width: 150,
      render: (item: string | null, e) => <ItemLink item={item ?? itemOfPath(e.details?.path)} details={e.details} />,
    },
    {
      title: 'Message',
      dataIndex: 'message',
      key: 'message',
      render: (m: string) => <span style={{ wordBreak: 'break-word' }}>{m}</span>,
    },
  ];

  const onChange: TableProps<EventRecord>['onChange'] = (_p, _f, sorter, extra) => {
    if (extra.action !== 'sort' || Array.isArray(sorter)) return;
    update({ order_by: sorter.order === 'ascend' ? 'at' : undefined, offset: undefined });
  };

  return (
    <div>
      <Flex justify="space-between" align="center" wrap gap={12} style={{ marginBottom: 12 }}>
        <Space size="middle">
          <Typography.Title level={3} style={{ margin: 0 }}>
            Events
          </Typography.Title>
          <Tooltip
            title={
              following
                ? 'New events appear as they happen'
                : 'Showing an older page, an end time or oldest first: new events are not added'
            }
          >
            <Tag color={following ? 'green' : 'default'} data-testid="events-live">
              {following ? 'following' : 'held'}
            </Tag>
          </Tooltip>
        </Space>
      </Flex>

      <Flex wrap gap={8} style={{ marginBottom: 12 }}>
        <ChoiceFilter name="kind" params={params} update={update} placeholder="Kind" options={KINDS} width={190} />
        <TextFilter name="username" params={params} update={update} placeholder="User" width={140} />
        <TextFilter name="item" params={params} update={update} placeholder="Item (target/ID)" width={220} />
        <TextFilter name="q" params={params} update={update} placeholder="Message contains" width={200} />
        <TimeRange params={params} update={update} />
        {anySet(params, FILTERS) && (
          <Button type="link" onClick={() => update(Object.fromEntries([...FILTERS, 'offset'].map((f) => [f, undefined])))}>
            Clear filters
          </Button>
        )}
      </Flex>

      <ErrorNotice error={events.error} />
      <Table<EventRecord>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={events.data?.objects ?? []}
        loading={events.loading && !events.data}
        onChange={onChange}
        scroll={{ x: 900 }}
        locale={{ emptyText: 'No events' }}
        pagination={pagination(params, update, events.data?.meta.total_count)}
        expandable={{
          rowExpandable: (e) => hasDetails(e.details),
          expandedRowRender: (e) => (
            <div style={{ maxWidth: 900 }}>
              <DetailsList details={e.details} />
            </div>
          ),
        }}
        onRow={(e) => ({ 'data-testid': 'event-row', 'data-kind': e.kind, 'data-id': e.id }) as HTMLAttributes<HTMLElement>}
      />
    </div>
  );
}
