// `/jobs`: commands newest first, a page at a time, filtered by state; the
// state, page, size and order live in the URL. Each row opens onto its jobs
// and steps (live), or links to the command's own page.
import { Button, Segmented, Space, Table, Tooltip, Typography, type TableColumnsType, type TablePaginationConfig } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import type { HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import { get, pageSize, type Page } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { ago } from '../../format';
import { useLoad, useTick, useUrlState } from '../../hooks';
import { CommandJobs } from './CommandDetail';
import { CancelCommand } from './Controls';
import { Counts, Took, When } from './JobList';
import { COMMAND_STATES, isFinal, type CommandView } from './types';

const SIZES = [10, 20, 50, 100];

function positive(text: string | null, fallback: number) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export default function CommandList() {
  const [params, setParams] = useUrlState();
  const state = params.get('state') ?? '';
  const page = positive(params.get('page'), 1);
  const size = pageSize(params.get('size'), 20);
  const oldestFirst = params.get('order') === 'created_at';
  useTick(5000);

  const { data, error, loading, reload } = useLoad(
    () =>
      get<Page<CommandView>>('/command', {
        state: state || undefined,
        limit: size,
        offset: (page - 1) * size,
        order_by: oldestFirst ? 'created_at' : undefined,
      }),
    [state, page, size, oldestFirst],
    ['command', 'job'],
  );

  const columns: TableColumnsType<CommandView> = [
    {
      title: 'Created',
      dataIndex: 'created_at',
      key: 'created_at',
      width: 190,
      sorter: true,
      sortOrder: oldestFirst ? 'ascend' : 'descend',
      sortDirections: ['descend', 'ascend', 'descend'],
      render: (at: string) => <When at={at} />,
    },
    {
      title: 'Command',
      dataIndex: 'message',
      render: (message: string, c) => (
        <Link to={`/jobs/${c.id}`} data-testid="command-link">
          {message}
        </Link>
      ),
    },
    {
      title: 'State',
      dataIndex: 'state',
      key: 'state',
      width: 120,
      filters: COMMAND_STATES.map((s) => ({ text: s, value: s })),
      filterMultiple: false,
      filteredValue: state ? [state] : null,
      render: (s: string) => <StateTag state={s} />,
    },
    {
      title: 'Jobs',
      key: 'jobs',
      responsive: ['md'],
      render: (_, c) => <Counts items={c.jobs} />,
    },
    {
      title: 'Finished',
      dataIndex: 'finished_at',
      width: 130,
      responsive: ['lg'],
      render: (at: string | null) =>
        at ? (
          <Tooltip title={at}>
            <span style={{ whiteSpace: 'nowrap' }}>{ago(at)}</span>
          </Tooltip>
        ) : (
          <Typography.Text type="secondary">–</Typography.Text>
        ),
    },
    {
      title: 'Took',
      key: 'took',
      width: 90,
      render: (_, c) => <Took start={c.created_at} end={c.finished_at} running={!isFinal(c.state)} />,
    },
    {
      title: '',
      key: 'actions',
      width: 170,
      render: (_, c) => (
        <Space size="small">
          <Link to={`/jobs/${c.id}`}>Details</Link>
          <CancelCommand command={c} onDone={reload} />
        </Space>
      ),
    },
  ];

  const onChange = (
    pagination: TablePaginationConfig,
    filters: Record<string, (string | number | boolean | bigint)[] | null>,
    sorter: unknown,
  ) => {
    const sort = Array.isArray(sorter) ? sorter[0] : (sorter as { columnKey?: string; order?: string | null });
    const nextState = filters.state?.[0] ? String(filters.state[0]) : '';
    const nextOldest = sort?.columnKey === 'created_at' && sort.order === 'ascend';
    const nextSize = pagination.pageSize ?? size;
    // A new filter, order or page size starts again at the first page.
    const reset = nextState !== state || nextOldest !== oldestFirst || nextSize !== size;
    setParams({
      state: nextState || undefined,
      order: nextOldest ? 'created_at' : undefined,
      size: nextSize === 20 ? undefined : nextSize,
      page: reset || pagination.current === 1 ? undefined : pagination.current,
    });
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          Jobs
        </Typography.Title>
        <Space wrap>
          <Segmented
            data-testid="command-state-filter"
            value={state || 'all'}
            options={['all', ...COMMAND_STATES]}
            onChange={(v) => setParams({ state: v === 'all' ? undefined : String(v), page: undefined })}
          />
          <Tooltip title="Re-read (the list also follows live changes)">
            <Button icon={<ReloadOutlined />} loading={loading} onClick={reload} />
          </Tooltip>
        </Space>
      </Space>
      <ErrorNotice error={error} />
      <Table<CommandView>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={data?.objects ?? []}
        loading={loading && !data}
        scroll={{ x: 900 }}
        onChange={onChange}
        onRow={(c) =>
          ({ 'data-testid': 'command-row', 'data-state': c.state, 'data-command-id': c.id }) as HTMLAttributes<HTMLElement>
        }
        expandable={{
          expandedRowRender: (c) => <CommandJobs id={c.id} />,
          rowExpandable: (c) => c.jobs.length > 0,
        }}
        pagination={{
          current: page,
          pageSize: size,
          total: data?.meta.total_count ?? 0,
          pageSizeOptions: SIZES,
          showSizeChanger: true,
          showTotal: (total) => `${total} command${total === 1 ? '' : 's'}`,
        }}
        locale={{ emptyText: state ? `No ${state} commands` : 'No commands yet' }}
      />
    </Space>
  );
}
