// The jobs of one command, each with its steps: state, attempts, worker,
// when each was queued, started and finished, how long it took, and what it
// answered (output) or why it failed (error).
import { Alert, Card, Empty, Space, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import type { HTMLAttributes } from 'react';
import StateTag from '../../components/StateTag';
import { ago, duration, time } from '../../format';
import { useTick } from '../../hooks';
import { JobControls } from './Controls';
import { isFinal, type CommandView, type JobView, type StepView } from './types';

/** An instant as a date and time, with how long ago in the tooltip. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <Typography.Text type="secondary">–</Typography.Text>;
  return (
    <Tooltip title={ago(at)}>
      <span style={{ whiteSpace: 'nowrap' }}>{time(at)}</span>
    </Tooltip>
  );
}

/** How long something ran: to its end, or to now while it runs. */
export function Took({ start, end, running }: { start: string | null | undefined; end: string | null | undefined; running: boolean }) {
  if (!start) return <Typography.Text type="secondary">–</Typography.Text>;
  if (!end && !running) return <Typography.Text type="secondary">–</Typography.Text>;
  return <span style={{ whiteSpace: 'nowrap' }}>{duration(start, end)}</span>;
}

const json = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

const isEmpty = (value: unknown) =>
  value === null ||
  value === undefined ||
  (typeof value === 'object' && Object.keys(value as object).length === 0);

function Block({ label, value }: { label: string; value: unknown }) {
  return (
    <div style={{ minWidth: 0, flex: 1 }}>
      <Typography.Text strong>{label}</Typography.Text>
      {isEmpty(value) ? (
        <div>
          <Typography.Text type="secondary">none</Typography.Text>
        </div>
      ) : (
        <pre style={{ margin: '4px 0 0', maxHeight: 320, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
          {json(value)}
        </pre>
      )}
    </div>
  );
}

interface RunCommand {
  command?: string;
  host?: string;
  exit_status?: number | null;
  exit_signal?: string | null;
  stdout?: string;
  stderr?: string;
}

/** The commands a step ran on servers (`output.commands`), if it reports them. */
function ranCommands(output: unknown): RunCommand[] | undefined {
  const commands = (output as { commands?: unknown } | null)?.commands;
  return Array.isArray(commands) ? (commands as RunCommand[]) : undefined;
}

const pre = { margin: '2px 0 6px', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: 240, overflow: 'auto' } as const;

function Commands({ commands }: { commands: RunCommand[] }) {
  return (
    <div style={{ flexBasis: '100%', minWidth: 0 }}>
      <Typography.Text strong>Commands run</Typography.Text>
      {commands.map((c, i) => (
        <div key={i} style={{ marginTop: 4 }}>
          <Space size={4} wrap>
            <Typography.Text code>
              {c.host ? `${c.host}$ ` : ''}
              {c.command}
            </Typography.Text>
            {c.exit_status !== undefined && c.exit_status !== null && (
              <Tag color={c.exit_status === 0 ? 'green' : 'red'}>exit {c.exit_status}</Tag>
            )}
            {c.exit_signal && <Tag color="red">signal {c.exit_signal}</Tag>}
          </Space>
          {c.stdout && <pre style={pre}>{c.stdout}</pre>}
          {c.stderr && <pre style={{ ...pre, color: '#cf1322' }}>{c.stderr}</pre>}
        </div>
      ))}
    </div>
  );
}

function StepDetail({ step }: { step: StepView }) {
  const commands = ranCommands(step.output);
  const rest = commands ? { ...(step.output as Record<string, unknown>), commands: undefined } : step.output;
  return (
    <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }}>
      {step.error && (
        <div style={{ flexBasis: '100%' }}>
          <Typography.Text strong>Error</Typography.Text>
          <pre style={{ ...pre, color: '#cf1322' }}>{step.error}</pre>
        </div>
      )}
      <Block label="Arguments" value={step.args} />
      <Block label="Output" value={commands ? JSON.parse(JSON.stringify(rest)) : rest} />
      {commands && <Commands commands={commands} />}
    </div>
  );
}

function preview(value: unknown): string {
  if (isEmpty(value)) return '';
  const main = (value as { command?: unknown } | null)?.command;
  if (typeof main === 'string' || Array.isArray(main)) return Array.isArray(main) ? main.join(' ') : main;
  const commands = ranCommands(value);
  if (commands && commands.length > 0) {
    const last = commands[commands.length - 1];
    return `${commands.length} command${commands.length === 1 ? '' : 's'}; last: ${last.command ?? ''}`;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

const stepColumns: TableColumnsType<StepView> = [
  { title: '#', dataIndex: 'index', width: 44, sorter: (a, b) => a.index - b.index, defaultSortOrder: 'ascend' },
  {
    title: 'Action',
    dataIndex: 'action',
    sorter: (a, b) => a.action.localeCompare(b.action),
    render: (action: string) => <Typography.Text code>{action}</Typography.Text>,
  },
  {
    title: 'State',
    dataIndex: 'state',
    width: 110,
    sorter: (a, b) => a.state.localeCompare(b.state),
    render: (state: string) => <StateTag state={state} />,
  },
  { title: 'Attempts', dataIndex: 'attempts', width: 84, align: 'right', sorter: (a, b) => a.attempts - b.attempts },
  {
    title: 'Worker',
    dataIndex: 'worker',
    ellipsis: true,
    render: (worker: string | null) => worker ?? <Typography.Text type="secondary">–</Typography.Text>,
  },
  { title: 'Queued', dataIndex: 'queued_at', render: (at: string | null) => <When at={at} />, responsive: ['lg'] },
  { title: 'Started', dataIndex: 'started_at', render: (at: string | null) => <When at={at} /> },
  { title: 'Finished', dataIndex: 'finished_at', render: (at: string | null) => <When at={at} /> },
  {
    title: 'Waited',
    key: 'waited',
    responsive: ['xl'],
    render: (_, s) => <Took start={s.queued_at} end={s.started_at} running={s.state === 'queued'} />,
  },
  {
    title: 'Took',
    key: 'took',
    render: (_, s) => <Took start={s.started_at} end={s.finished_at} running={s.state === 'running'} />,
  },
  {
    title: 'Result',
    key: 'result',
    ellipsis: true,
    render: (_, s) =>
      s.error ? (
        <Typography.Text type="danger" data-testid="step-error">
          {s.error}
        </Typography.Text>
      ) : (
        <Typography.Text type="secondary" data-testid="step-output">
          {preview(s.output)}
        </Typography.Text>
      ),
  },
];

export function StepTable({ steps }: { steps: StepView[] }) {
  return (
    <Table<StepView>
      size="small"
      rowKey="id"
      columns={stepColumns}
      dataSource={steps}
      pagination={steps.length > 20 ? { pageSize: 20, size: 'small' } : false}
      scroll={{ x: 900 }}
      onRow={(s) => ({ 'data-testid': 'step', 'data-state': s.state, 'data-step-id': s.id }) as HTMLAttributes<HTMLElement>}
      expandable={{
        expandedRowRender: (s) => <StepDetail step={s} />,
        // A failed step opens on its error.
        defaultExpandedRowKeys: steps.filter((s) => s.state === 'failed').map((s) => s.id),
      }}
      locale={{ emptyText: 'No steps' }}
    />
  );
}

function Counts({ items }: { items: { state: string }[] }) {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  return (
    <Space size={4} wrap>
      {[...counts].map(([state, n]) => (
        <Tag key={state}>
          {n} {state}
        </Tag>
      ))}
    </Space>
  );
}

export function JobCard({ job, onChanged }: { job: JobView; onChanged?: () => void }) {
  const running = job.state === 'running' || job.state === 'paused';
  return (
    <div data-testid="job" data-state={job.state} data-job-id={job.id}>
      <Card
        size="small"
        title={
          <Space size="small" wrap style={{ fontWeight: 'normal' }}>
            <StateTag state={job.state} />
            <Typography.Text strong>{job.description || job.key}</Typography.Text>
            <Typography.Text type="secondary" code>
              {job.key}
            </Typography.Text>
          </Space>
        }
        extra={<JobControls job={job} onDone={onChanged} />}
      >
        <Space size="large" wrap style={{ marginBottom: 8 }}>
          <span>
            <Typography.Text type="secondary">Created </Typography.Text>
            <When at={job.created_at} />
          </span>
          <span>
            <Typography.Text type="secondary">Started </Typography.Text>
            <When at={job.started_at} />
          </span>
          <span>
            <Typography.Text type="secondary">Finished </Typography.Text>
            <When at={job.finished_at} />
          </span>
          <span>
            <Typography.Text type="secondary">Took </Typography.Text>
            <Took start={job.started_at} end={job.finished_at} running={running} />
          </span>
          {job.wait_for && job.wait_for.length > 0 && (
            <span>
              <Typography.Text type="secondary">Waits for </Typography.Text>
              {job.wait_for.map((k) => (
                <Tag key={k}>{k}</Tag>
              ))}
            </span>
          )}
          {job.steps && job.steps.length > 0 && <Counts items={job.steps} />}
        </Space>
        {job.error && <Alert type={job.state === 'cancelled' ? 'warning' : 'error'} showIcon title={job.error} style={{ marginBottom: 8 }} />}
        {job.steps && <StepTable steps={job.steps} />}
      </Card>
    </div>
  );
}

/** Every job of `command`, in submission order. */
export default function JobList({ command, onChanged }: { command: CommandView; onChanged?: () => void }) {
  // Running durations count up while something is unfinished.
  useTick(isFinal(command.state) ? 3_600_000 : 1000);
  if (command.jobs.length === 0) return <Empty description="This command has no jobs" />;
  return (
    <Space orientation="vertical" size="small" style={{ width: '100%' }}>
      {command.jobs.map((job) => (
        <JobCard key={job.id} job={job} onChanged={onChanged} />
      ))}
    </Space>
  );
}

export { Counts };
