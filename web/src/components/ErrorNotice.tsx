import { Alert } from 'antd';
import { ApiError } from '../api';

/** An API error as the API worded it, one line per error. */
export default function ErrorNotice({ error }: { error: Error | undefined | null }) {
  if (!error) return null;
  const lines = error instanceof ApiError && error.errors.length ? error.errors.map((e) => e.message) : [error.message];
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 12 }}
      title={lines.length === 1 ? lines[0] : undefined}
      description={lines.length > 1 ? lines.map((l) => <div key={l}>{l}</div>) : undefined}
    />
  );
}
