import { Tag } from 'antd';

const COLOURS: Record<string, string> = {
  succeeded: 'green',
  available: 'green',
  mounted: 'green',
  managed: 'green',
  lnet_up: 'green',
  running: 'blue',
  queued: 'cyan',
  waiting: 'gold',
  pending: 'default',
  paused: 'purple',
  failed: 'red',
  unavailable: 'orange',
  cancelling: 'volcano',
  cancelled: 'default',
  stopped: 'default',
  unmounted: 'default',
  removed: 'default',
  lnet_down: 'orange',
  unconfigured: 'gold',
  error: 'red',
  critical: 'red',
  warning: 'orange',
  info: 'blue',
};

export default function StateTag({ state }: { state: string | null | undefined }) {
  if (!state) return <Tag>–</Tag>;
  return (
    <Tag color={COLOURS[state] ?? 'default'} data-state={state}>
      {state.replace(/_/g, ' ')}
    </Tag>
  );
}
