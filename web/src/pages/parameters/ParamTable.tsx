// Persistent parameters side by side: Chroma's stored value, the MGS
// configuration log's, the live one a server shows, and their drift.
import { Button, Space, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { CheckOutlined, EditOutlined } from '@ant-design/icons';
import type { HTMLAttributes, TdHTMLAttributes } from 'react';
import ConfirmAction from '../../components/ConfirmAction';
import { ago, time } from '../../format';
import { DRIFT_TEXT, kindText, scopeText, type Drift, type ParamView } from './types';

const STORED_LOG = '#fff7e6';
const LOG_LIVE = '#fff0f6';

function Value({ value, empty }: { value: string | null; empty: string }) {
  if (value === null) return <Typography.Text type="secondary">{empty}</Typography.Text>;
  return (
    <Typography.Text code style={{ wordBreak: 'break-all' }}>
      {value}
    </Typography.Text>
  );
}

const highlight = (on: boolean, colour: string): TdHTMLAttributes<HTMLElement> =>
  on ? { style: { background: colour } } : {};

const has = (p: ParamView, d: Drift) => p.drift.includes(d);

interface Props {
  fsId: string;
  params: ParamView[];
  loading: boolean;
  canEdit: boolean;
  onEdit: (p: ParamView) => void;
  onChanged: () => void;
}

export default function ParamTable({ fsId, params, loading, canEdit, onEdit, onChanged }: Props) {
  const columns: TableColumnsType<ParamView> = [
    {
      title: 'Key',
      dataIndex: 'key',
      sorter: (a, b) => a.key.localeCompare(b.key),
      defaultSortOrder: 'ascend',
      filters: [
        { text: 'Known to Chroma', value: 'known' },
        { text: 'Unknown (forced or set outside Chroma)', value: 'unknown' },
      ],
      onFilter: (v, p) => (v === 'known') === p.known,
      render: (key: string, p) => (
        <Tooltip
          title={
            p.spec ? (
              <>
                <div>{p.spec.description}</div>
                <div style={{ marginTop: 4 }}>
                  Takes {kindText(p.spec)}; applies to {scopeText(p.spec.applies_to)}.
                </div>
              </>
            ) : (
              'Not in Chroma’s table of parameters: stored unchecked'
            )
          }
        >
          <Space size={4} wrap>
            <Typography.Text strong style={{ wordBreak: 'break-all' }}>
              {key}
            </Typography.Text>
            {!p.known && <Tag color="gold">unknown</Tag>}
          </Space>
        </Tooltip>
      ),
    },
    {
      title: 'Chroma',
      dataIndex: 'stored',
      sorter: (a, b) => (a.stored ?? '').localeCompare(b.stored ?? ''),
      onCell: (p) => highlight(has(p, 'stored_vs_llog'), STORED_LOG),
      render: (v: string | null) => <Value value={v} empty="not stored" />,
    },
    {
      title: 'MGS log',
      dataIndex: 'llog',
      sorter: (a, b) => (a.llog ?? '').localeCompare(b.llog ?? ''),
      onCell: (p) => highlight(has(p, 'stored_vs_llog') || has(p, 'llog_vs_live'), has(p, 'llog_vs_live') ? LOG_LIVE : STORED_LOG),
      render: (v: string | null, p) => <Value value={v} empty={p.observed_at ? 'not in the log' : 'not read yet'} />,
    },
    {
      title: 'Live',
      dataIndex: 'live',
      sorter: (a, b) => (a.live ?? '').localeCompare(b.live ?? ''),
      onCell: (p) => highlight(has(p, 'llog_vs_live'), LOG_LIVE),
      render: (v: string | null, p) => (
        <Value value={v} empty={p.spec?.side === 'client' ? 'client-side' : p.observed_at ? 'not shown' : 'not read yet'} />
      ),
    },
    {
      title: 'Drift',
      dataIndex: 'drift',
      width: 150,
      sorter: (a, b) => a.drift.length - b.drift.length,
      filters: [
        { text: 'Chroma ≠ log', value: 'stored_vs_llog' },
        { text: 'log ≠ live', value: 'llog_vs_live' },
        { text: 'In agreement', value: 'none' },
      ],
      onFilter: (v, p) => (v === 'none' ? p.drift.length === 0 : p.drift.includes(v as Drift)),
      render: (drift: Drift[]) => (
        <span data-testid="drift" data-drift={drift.join(' ')}>
          {drift.length === 0 ? (
            <Tooltip title="Chroma, the log and the servers agree">
              <CheckOutlined style={{ color: '#52c41a' }} aria-label="in agreement" />
            </Tooltip>
          ) : (
            <Space size={4} wrap>
              {drift.map((d) => (
                <Tooltip key={d} title={DRIFT_TEXT[d]}>
                  <Tag color={d === 'stored_vs_llog' ? 'orange' : 'magenta'}>{d}</Tag>
                </Tooltip>
              ))}
            </Space>
          )}
        </span>
      ),
    },
    {
      title: 'Default',
      key: 'default',
      responsive: ['lg'],
      render: (_, p) =>
        p.spec?.default != null ? (
          <Typography.Text type="secondary">
            {p.spec.default}
            {p.spec.unit ? ` ${p.spec.unit}` : ''}
          </Typography.Text>
        ) : (
          <Typography.Text type="secondary">{p.spec?.unit ?? ''}</Typography.Text>
        ),
    },
    {
      title: 'Read',
      dataIndex: 'observed_at',
      responsive: ['xxl'],
      sorter: (a, b) => (a.observed_at ?? '').localeCompare(b.observed_at ?? ''),
      render: (at: string | null) =>
        at ? (
          <Tooltip title={time(at)}>
            <span style={{ whiteSpace: 'nowrap' }}>{ago(at)}</span>
          </Tooltip>
        ) : (
          <Typography.Text type="secondary">never</Typography.Text>
        ),
    },
  ];

  if (canEdit) {
    columns.push({
      title: '',
      key: 'actions',
      width: 150,
      render: (_, p) => (
        <Space size={4} wrap>
          <Tooltip title="Fill the form with this parameter">
            <Button size="small" icon={<EditOutlined />} onClick={() => onEdit(p)} data-testid="param-edit">
              Edit
            </Button>
          </Tooltip>
          {has(p, 'stored_vs_llog') && p.observed_at && (
            <ConfirmAction
              data-testid="param-adopt-one"
              title={`Adopt the log's value of ${p.key}`}
              method="POST"
              path={`/filesystem/${fsId}/params/adopt`}
              body={{ keys: [p.key] }}
              dryRun={false}
              size="small"
              consequence={
                p.llog === null ? (
                  <p>
                    The configuration log does not hold {p.key}: Chroma stops storing it (dropping{' '}
                    <code>{p.stored}</code>). Nothing runs on a server.
                  </p>
                ) : (
                  <p>
                    Chroma stores <code>{p.llog}</code> for {p.key}, as the MGS configuration log holds, instead of{' '}
                    <code>{p.stored ?? '(nothing)'}</code>. Nothing runs on a server.
                  </p>
                )
              }
              onDone={onChanged}
            >
              Adopt
            </ConfirmAction>
          )}
        </Space>
      ),
    });
  }

  return (
    <Table<ParamView>
      rowKey="key"
      size="small"
      columns={columns}
      dataSource={params}
      loading={loading}
      scroll={{ x: 860 }}
      pagination={{ defaultPageSize: 50, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200], hideOnSinglePage: false }}
      onRow={(p) =>
        ({ 'data-testid': `param-row-${p.key}`, 'data-drift': p.drift.join(' ') }) as HTMLAttributes<HTMLElement>
      }
      locale={{ emptyText: 'No parameters stored or in the configuration log' }}
    />
  );
}
