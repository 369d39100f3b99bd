// The command a change of parameters submitted, followed live until it
// finishes, with a link to its jobs and steps.
import { Alert, Space, Typography } from 'antd';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import StateTag from '../../components/StateTag';
import { useCommand } from '../../hooks';
import type { CommandView } from '../jobs/types';
import { isFinal } from '../jobs/types';

export default function CommandProgress({ id, onFinished }: { id: string; onFinished?: () => void }) {
  const { data } = useCommand<CommandView>(id);
  const state = data?.state ?? 'pending';
  const final = isFinal(state);
  const told = useRef(false);
  const finished = useRef(onFinished);
  finished.current = onFinished;
  useEffect(() => {
    if (final && !told.current) {
      told.current = true;
      finished.current?.();
    }
  }, [final]);

  const errors = (data?.jobs ?? []).map((j) => j.error).filter((e): e is string => !!e);
  return (
    <Alert
      data-testid="param-command"
      data-state={state}
      data-command-id={id}
      type={state === 'succeeded' ? 'success' : state === 'failed' ? 'error' : state === 'cancelled' ? 'warning' : 'info'}
      showIcon
      title={
        <Space wrap size="small">
          <span>{data?.message ?? 'Applying the parameters'}</span>
          <StateTag state={state} />
          <Link to={`/jobs/${id}`}>Show its jobs</Link>
        </Space>
      }
      description={
        errors.length > 0 ? (
          <Space orientation="vertical" size={0}>
            {errors.map((e) => (
              <Typography.Text key={e} type="danger">
                {e}
              </Typography.Text>
            ))}
          </Space>
        ) : final ? undefined : (
          'Stored; a job on the MGS applies it with lctl conf_param.'
        )
      }
    />
  );
}
