// Removing a target, after a dry run. Removing an OST from a live file
// system loses the objects of every file not migrated off it first: the
// plan says so, and the request goes only once the user has ticked that
// they understand (then with `confirm: true`).
import { Alert, App, Button, Checkbox, Modal, Typography, type ButtonProps } from 'antd';
import { useState } from 'react';
import { request, type Plan } from '../../../api';
import ErrorNotice from '../../../components/ErrorNotice';
import PlanList from '../PlanList';
import type { Target } from '../types';

export default function RemoveTarget({ target, onDone }: { target: Target; onDone: (response: unknown) => void }) {
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [plan, setPlan] = useState<Plan>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const path = `/target/${target.id}`;
  const warnings = (plan?.jobs ?? []).flatMap((j) => (j.confirmation ? [j.confirmation] : []));

  const start = async () => {
    setPlan(undefined);
    setError(undefined);
    setUnderstood(false);
    setOpen(true);
    setBusy(true);
    try {
      setPlan(await request<Plan>('PATCH', path, { state: 'removed' }, { dry_run: true }));
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
      const response = await request<unknown>('PATCH', path, {
        state: 'removed',
        ...(plan?.requires_confirmation ? { confirm: true } : {}),
      });
      setOpen(false);
      message.success(`Remove ${target.name}: submitted`);
      onDone(response);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  const ready = !!plan && (!plan.requires_confirmation || understood);
  return (
    <>
      <Button size="small" danger onClick={start} data-testid={`target-removed-${target.name}`}>
        Remove
      </Button>
      <Modal
        open={open}
        title={`Remove ${target.name}`}
        okText="Remove"
        okButtonProps={{ danger: true, loading: busy, disabled: !ready, 'data-testid': 'confirm' } as ButtonProps}
        onOk={run}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <ErrorNotice error={error} />
        {plan && <PlanList plan={plan} />}
        {plan?.requires_confirmation && (
          <>
            <Alert
              type="error"
              showIcon
              style={{ margin: '12px 0' }}
              title="Data on it is lost"
              description={warnings.map((w) => (
                <div key={w} data-testid="remove-warning">
                  {w}
                </div>
              ))}
            />
            <Checkbox checked={understood} onChange={(e) => setUnderstood(e.target.checked)} data-testid="remove-understood">
              <Typography.Text>
                I understand: files with objects on {target.name} lose them unless they were migrated off it.
              </Typography.Text>
            </Checkbox>
          </>
        )}
      </Modal>
    </>
  );
}
