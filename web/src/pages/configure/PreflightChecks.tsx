// A server's pre-flight checks: a summary tag for its row, and the checks
// themselves (what passed, what failed or warns, and how to fix it) for
// its expanded row.
import { List, Tag, Typography } from 'antd';
import { time } from '../../format';
import type { Host, PreflightCheck } from './types';

const COLORS: Record<PreflightCheck['status'], string> = { pass: 'green', warn: 'orange', fail: 'red' };
const ORDER: Record<PreflightCheck['status'], number> = { fail: 0, warn: 1, pass: 2 };

/** Whether any check of the host failed. */
export const preflightFailed = (host: Host) => (host.preflight?.checks ?? []).some((c) => c.status === 'fail');

/** `passed`, `2 failed`, `1 warning`, or `not run` before the first probe. */
export function PreflightSummary({ host }: { host: Host }) {
  const checks = host.preflight?.checks;
  const testid = `host-preflight-${host.address}:${host.port}`;
  if (!checks) return <Typography.Text type="secondary" data-testid={testid}>not run</Typography.Text>;
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  const [color, text] = failed
    ? ['red', `${failed} failed`]
    : warned
      ? ['orange', `${warned} warning${warned > 1 ? 's' : ''}`]
      : ['green', 'passed'];
  return (
    <Tag color={color} data-testid={testid} data-serves-lustre={host.serves_lustre ? 'true' : 'false'}>
      {text}
    </Tag>
  );
}

/** Every check, failures first, each with how to fix it. */
export default function PreflightChecks({ host }: { host: Host }) {
  const checks = [...(host.preflight?.checks ?? [])].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  return (
    <div data-testid={`host-preflight-checks-${host.address}:${host.port}`}>
      <Typography.Text type={host.serves_lustre ? 'secondary' : 'danger'}>
        {host.serves_lustre
          ? 'Pre-flight checks'
          : 'This server cannot serve Lustre: nothing that needs Lustre is offered on it until the failed checks are fixed and it is probed again.'}
        {host.preflight_at && ` (run ${time(host.preflight_at)})`}
      </Typography.Text>
      <List
        size="small"
        dataSource={checks}
        renderItem={(c) => (
          <List.Item data-testid={`preflight-${c.name}`} data-status={c.status}>
            <List.Item.Meta
              title={
                <span>
                  <Tag color={COLORS[c.status]}>{c.status}</Tag>
                  <Typography.Text code>{c.name}</Typography.Text> {c.message}
                </span>
              }
              description={c.fix && <span data-testid={`preflight-fix-${c.name}`}>How to fix: {c.fix}</span>}
            />
          </List.Item>
        )}
      />
    </div>
  );
}
