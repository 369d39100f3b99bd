// Every action with consequences: ask the API for a dry run, show the jobs
// it would create (and what each asks to be confirmed), then run it only
// when the user confirms.
import { App, Button, Modal, Typography, type ButtonProps } from 'antd';
import { useState, type ReactNode } from 'react';
import { ApiError, request, type Plan } from '../api';
import ErrorNotice from './ErrorNotice';

interface Props extends Omit<ButtonProps, 'onClick'> {
  /** What the button and the dialog say, e.g. "Stop file system demo". */
  title: string;
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** Whether the route takes `?dry_run=true`; otherwise the dialog says `consequence`. */
  dryRun?: boolean;
  consequence?: ReactNode;
  /** Send `confirm: true` in the body when the plan asks for confirmation. */
  confirmField?: boolean;
  onDone?: (response: unknown) => void;
  children?: ReactNode;
}

export default function ConfirmAction({
  title,
  method,
  path,
  body = {},
  dryRun = true,
  consequence,
  confirmField = false,
  onDone,
  children,
  ...button
}: Props) {
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [plan, setPlan] = useState<Plan>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setPlan(undefined);
    setError(undefined);
    setOpen(true);
    if (!dryRun) return;
    setBusy(true);
    try {
      setPlan(await request<Plan>(method, path, body, { dry_run: true }));
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const payload =
        confirmField && plan?.requires_confirmation && body && typeof body === 'object' ? { ...body, confirm: true } : body;
      const response = await request<unknown>(method, path, payload);
      setOpen(false);
      message.success(`${title}: submitted`);
      onDone?.(response);
    } catch (e) {
      setError(e instanceof ApiError ? e : (e as Error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button {...button} onClick={start}>
        {children ?? title}
      </Button>
      <Modal
        open={open}
        title={title}
        okText="Confirm"
        okButtonProps={{ danger: button.danger, loading: busy, disabled: dryRun && !plan, 'data-testid': 'confirm' } as ButtonProps}
        onOk={run}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <ErrorNotice error={error} />
        {consequence}
        {dryRun && plan && (
          <>
            <Typography.Paragraph>
              {plan.jobs.length === 0 ? 'Nothing needs to be done.' : `This will run ${plan.jobs.length} job(s):`}
            </Typography.Paragraph>
            <ol data-testid="plan" style={{ paddingLeft: 20, maxHeight: 360, overflow: 'auto' }}>
              {plan.jobs.map((job, i) => (
                <li key={i} style={{ marginBottom: 6 }}>
                  <div>{job.description}</div>
                  {job.confirmation && <Typography.Text type="warning">{job.confirmation}</Typography.Text>}
                </li>
              ))}
            </ol>
          </>
        )}
      </Modal>
    </>
  );
}
