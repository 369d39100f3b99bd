// A command's progress, live: its state and each job's, re-read whenever
// the stream reports a command or job change.
import { Alert, Skeleton, Space, Typography } from 'antd';
import type { HTMLAttributes } from 'react';
import { Link } from 'react-router-dom';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { duration } from '../../format';
import { useCommand } from '../../hooks';
import Rows from './Rows';
import type { CommandDetail } from './types';

export default function CommandProgress({ id }: { id: string }) {
  const { data: command, error } = useCommand<CommandDetail>(id);
  const state = command?.state ?? 'pending';
  const done = command?.jobs.filter((j) => j.state === 'succeeded').length ?? 0;
  return (
    <div data-testid="command-progress" data-state={state} aria-live="polite">
      <ErrorNotice error={error} />
      <Space wrap style={{ marginBottom: 8 }}>
        <Typography.Text strong>{command?.message ?? 'Command'}</Typography.Text>
        <StateTag state={state} />
        {command && (
          <Typography.Text type="secondary">
            {done} of {command.jobs.length} job(s) done · {duration(command.created_at, command.finished_at)}
          </Typography.Text>
        )}
        <Link to={`/jobs/${id}`}>Open in Jobs</Link>
      </Space>
      {command?.state === 'failed' && (
        <Alert type="error" showIcon style={{ marginBottom: 8 }} title="The command failed; see the failed job below." />
      )}
      {!command && !error && <Skeleton active paragraph={{ rows: 2 }} />}
      {command && (
        <Rows
          items={command.jobs}
          rowKey={(job) => job.id}
          rowProps={(job) => ({ 'data-testid': `job-${job.key}`, 'data-state': job.state }) as HTMLAttributes<HTMLDivElement>}
          render={(job) => (
            <>
              <div style={{ minWidth: 0 }}>
                <div>{job.description}</div>
                {job.error && <Typography.Text type="danger">{job.error}</Typography.Text>}
              </div>
              <StateTag state={job.state} />
            </>
          )}
        />
      )}
    </div>
  );
}
