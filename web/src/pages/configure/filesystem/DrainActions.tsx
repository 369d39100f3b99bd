// Draining an OST (its MDTs stop creating objects on it, so its files can
// be migrated off before it is removed) and undraining it, each through a
// dry run. Only an OST of a file system, registered with its MGS, has them.
import ConfirmAction from '../../../components/ConfirmAction';
import type { Target } from '../types';

const DRAINABLE = new Set(['registered', 'unmounted', 'mounted']);

export default function DrainActions({ target, onDone }: { target: Target; onDone: (response: unknown) => void }) {
  if (target.kind !== 'ost' || !target.filesystem_id || !DRAINABLE.has(target.state)) return null;
  const verb = target.drained ? 'undrain' : 'drain';
  return (
    <ConfirmAction
      size="small"
      title={`${target.drained ? 'Undrain' : 'Drain'} ${target.name}`}
      method="POST"
      path={`/target/${target.id}/${verb}`}
      onDone={onDone}
      data-testid={`target-${verb}-${target.name}`}
    >
      {target.drained ? 'Undrain' : 'Drain'}
    </ConfirmAction>
  );
}
