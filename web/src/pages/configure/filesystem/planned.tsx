// A change made from a dialog the way every change is made in the
// console: a dry run first (its jobs, and what each asks to confirm), then
// the request itself, whose command is followed live in the dialog. Used
// by the file system page's tabs (adding a target, pools, client mounts).
import { Alert, Button, Space, Typography, type FormInstance } from 'antd';
import { useCallback, useState } from 'react';
import { ApiError, isFinal, request, type Plan } from '../../../api';
import ErrorNotice from '../../../components/ErrorNotice';
import type { Change } from '../../../stream';
import CommandProgress from '../CommandProgress';
import PlanList from '../PlanList';

type Method = 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Live reloads of a tab's list: when a job ends (its command changed what
 * the list shows) and when a target changes.
 */
export const LIVE_KINDS = ['job', 'target'];
export const jobEnded = (change: Change) => change.kind !== 'job' || (!!change.state && isFinal(change.state));

/** The state of one planned change: its preview, its answer, its error. */
export function usePlanned<T extends Plan = Plan>() {
  const [plan, setPlan] = useState<T>();
  const [done, setDone] = useState<T>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  /** Something was edited: the preview no longer stands. */
  const stale = useCallback(() => {
    setPlan(undefined);
    setError(undefined);
  }, []);
  const reset = useCallback(() => {
    setPlan(undefined);
    setError(undefined);
    setDone(undefined);
  }, []);

  const call = async (method: Method, path: string, body: unknown, dryRun: boolean, form?: FormInstance) => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await request<T>(method, path, body, dryRun ? { dry_run: true } : undefined);
      if (dryRun) setPlan(answer);
      else setDone(answer);
      return answer;
    } catch (e) {
      setPlan(undefined);
      setError(form && e instanceof ApiError ? atFields(form, e) : (e as Error));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return {
    plan,
    done,
    error,
    busy,
    stale,
    reset,
    preview: (method: Method, path: string, body: unknown, form?: FormInstance) => call(method, path, body, true, form),
    submit: (method: Method, path: string, body: unknown, form?: FormInstance) => call(method, path, body, false, form),
  };
}

export type Planned<T extends Plan = Plan> = ReturnType<typeof usePlanned<T>>;

/**
 * Shows each of the API's errors at the form field it names (`ost_ids[1]`
 * at `ost_ids`); answers the rest as one error, or undefined when every
 * error found its field.
 */
function atFields(form: FormInstance, e: ApiError): ApiError | undefined {
  const names = new Set(Object.keys(form.getFieldsValue(true) ?? {}));
  const byField = new Map<string, string[]>();
  const rest = e.errors.filter((x) => {
    const field = x.field?.split(/[.[]/)[0];
    if (!field || !names.has(field)) return true;
    byField.set(field, [...(byField.get(field) ?? []), x.message]);
    return false;
  });
  form.setFields([...byField].map(([name, errors]) => ({ name, errors })));
  if (rest.length === 0 && byField.size > 0) return undefined;
  return rest.length === e.errors.length ? e : new ApiError(e.status, rest);
}

/** The dialog's body under its form: the error, the preview, or once submitted its command. */
export function PlannedResult({ planned, nothing }: { planned: Planned; nothing?: string }) {
  const { plan, done, error } = planned;
  if (done) {
    return done.command ? (
      <CommandProgress id={done.command} />
    ) : (
      <Alert type="success" showIcon title={nothing ?? 'Recorded; nothing needed to run.'} />
    );
  }
  return (
    <>
      <ErrorNotice error={error} />
      {plan && (
        <div data-testid="preview">
          <Typography.Title level={5}>Preview</Typography.Title>
          <PlanList plan={plan} />
          {plan.requires_confirmation && (
            <Alert type="warning" showIcon style={{ marginTop: 8 }} title="This asks for confirmation (see above)." />
          )}
        </div>
      )}
    </>
  );
}

/** Cancel, Preview and the action, or Close once submitted. */
export function PlannedFooter({
  planned,
  onClose,
  onPreview,
  onSubmit,
  action,
  testId,
}: {
  planned: Planned;
  onClose: () => void;
  onPreview: () => void;
  onSubmit: () => void;
  /** What the submit button says, e.g. "Add OST". */
  action: string;
  /** `${testId}-preview` and `${testId}-submit`. */
  testId: string;
}) {
  if (planned.done) return <Button onClick={onClose}>Close</Button>;
  return (
    <Space>
      <Button onClick={onClose}>Cancel</Button>
      <Button onClick={onPreview} loading={planned.busy && !planned.plan} data-testid={`${testId}-preview`}>
        Preview jobs
      </Button>
      <Button
        type="primary"
        onClick={onSubmit}
        disabled={!planned.plan}
        loading={planned.busy && !!planned.plan}
        data-testid={`${testId}-submit`}
      >
        {action}
      </Button>
    </Space>
  );
}
