// The file system's targets: its MGT, then its MDTs and OSTs (paged,
// sorted and filtered by the API), each with its actions, and adding an
// MDT or OST to it.
import { Card } from 'antd';
import { get, type Page } from '../../../api';
import ErrorNotice from '../../../components/ErrorNotice';
import { useLoad } from '../../../hooks';
import { useTableUrl } from '../table';
import TargetTable from '../TargetTable';
import type { Filesystem, Host, Target } from '../types';
import AddTarget from './AddTarget';
import { jobEnded, LIVE_KINDS } from './planned';

/** The MDTs or OSTs of one file system. */
function MemberTargets({
  fsId,
  kind,
  hosts,
  admin,
  onDone,
}: {
  fsId: string;
  kind: 'mdt' | 'ost';
  hosts: Map<string, Host>;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const table = useTableUrl(`${kind}_`, 20);
  const state = table.filter('state');
  const { data, error, loading } = useLoad(
    () => get<Page<Target>>('/target', { filesystem_id: fsId, kind, state, ...table.query }),
    [fsId, kind, state, JSON.stringify(table.query)],
    // A drain changes no target's state: re-read when a job ends too.
    LIVE_KINDS,
    jobEnded,
  );
  return (
    <Card size="small" title={kind === 'mdt' ? 'Metadata targets (MDTs)' : 'Object storage targets (OSTs)'} style={{ marginBottom: 12 }}>
      <ErrorNotice error={error} />
      <TargetTable
        targets={data?.objects}
        total={data?.meta.total_count}
        loading={loading}
        hosts={hosts}
        table={table}
        admin={admin}
        onDone={onDone}
      />
    </Card>
  );
}

export default function TargetsTab({
  fs,
  hosts,
  admin,
  loading,
  onDone,
}: {
  fs: Filesystem;
  hosts: Map<string, Host>;
  admin: boolean;
  loading: boolean;
  onDone: (response: unknown) => void;
}) {
  const mgt = fs.targets.filter((t) => t.id === fs.mgs_id);
  const live = fs.managed && fs.state !== 'removed';
  return (
    <>
      {admin && live && (
        <div style={{ marginBottom: 12 }}>
          <AddTarget fs={fs} hosts={hosts} />
        </div>
      )}
      <Card size="small" title="Management target (MGT)" style={{ marginBottom: 12 }}>
        <TargetTable targets={mgt} loading={loading} hosts={hosts} admin={admin} onDone={onDone} />
      </Card>
      <MemberTargets fsId={fs.id} kind="mdt" hosts={hosts} admin={admin} onDone={onDone} />
      <MemberTargets fsId={fs.id} kind="ost" hosts={hosts} admin={admin} onDone={onDone} />
    </>
  );
}
