// Cancel a command; cancel, pause or resume a job (fsadmin and above).
// Cancelling interrupts a running step, so it is confirmed first; a refusal
// (409 once the work finished) is shown as the API worded it.
import { App, Button, Space, Tooltip } from 'antd';
import { PauseCircleOutlined, PlayCircleOutlined, StopOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { post } from '../../api';
import { useAuth } from '../../auth';
import ConfirmAction from '../../components/ConfirmAction';
import { isFinal, type CommandView, type JobView } from './types';

export function CancelCommand({ command, onDone }: { command: CommandView; onDone?: () => void }) {
  const { can } = useAuth();
  if (!can('fsadmin') || isFinal(command.state)) return null;
  const unfinished = command.jobs.filter((j) => !isFinal(j.state)).length;
  return (
    <ConfirmAction
      data-testid="cancel-command"
      title="Cancel command"
      method="POST"
      path={`/command/${command.id}/cancel`}
      dryRun={false}
      danger
      size="small"
      icon={<StopOutlined />}
      consequence={
        <p>
          “{command.message}”: {unfinished === 1 ? 'its unfinished job is' : `its ${unfinished} unfinished jobs are`}{' '}
          cancelled. A running step is interrupted: its command on the server is killed, which can leave its object half-changed, and the job keeps its locks until that command has stopped.
        </p>
      }
      onDone={() => onDone?.()}
    >
      Cancel
    </ConfirmAction>
  );
}

function PauseResume({ job, onDone }: { job: JobView; onDone?: () => void }) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const pausing = job.state === 'running';
  if (job.state !== 'running' && job.state !== 'paused') return null;
  const verb = pausing ? 'pause' : 'resume';
  const act = async () => {
    setBusy(true);
    try {
      await post(`/job/${job.id}/${verb}`);
      message.success(`Job ${job.key}: ${pausing ? 'paused' : 'resumed'}`);
      onDone?.();
    } catch (e) {
      message.error(`Could not ${verb} job ${job.key}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Tooltip title={pausing ? 'Let its running step finish, then start no new step' : 'Go on with its next step'}>
      <Button
        size="small"
        data-testid={pausing ? 'pause-job' : 'resume-job'}
        icon={pausing ? <PauseCircleOutlined /> : <PlayCircleOutlined />}
        loading={busy}
        onClick={act}
      >
        {pausing ? 'Pause' : 'Resume'}
      </Button>
    </Tooltip>
  );
}

export function JobControls({ job, onDone }: { job: JobView; onDone?: () => void }) {
  const { can } = useAuth();
  if (!can('fsadmin') || isFinal(job.state)) return null;
  return (
    <Space size="small" wrap>
      <PauseResume job={job} onDone={onDone} />
      <ConfirmAction
        data-testid="cancel-job"
        title={`Cancel job ${job.key}`}
        method="POST"
        path={`/job/${job.id}/cancel`}
        dryRun={false}
        danger
        size="small"
        icon={<StopOutlined />}
        consequence={
          <p>
            “{job.description || job.key}” is cancelled, and so are the jobs waiting for it.
            {job.state === 'running' || job.state === 'paused'
              ? ' Its running step is interrupted, which can leave its object half-changed.'
              : ''}
          </p>
        }
        onDone={() => onDone?.()}
      >
        Cancel
      </ConfirmAction>
    </Space>
  );
}
