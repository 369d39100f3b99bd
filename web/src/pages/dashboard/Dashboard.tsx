// The Dashboard: charts of the file systems' capacity, I/O and servers,
// for all file systems or one, over a time range that slides with now;
// the user arranges the widgets, and the arrangement is saved per user.
import { Alert, Spin } from 'antd';
import { useMemo } from 'react';
import { get, type Page } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { useLoad, useUrlState } from '../../hooks';
import { added } from './layout';
import { rangeFromParams, rangeKey } from './range';
import { ScopeContext, type Scope } from './scope';
import Toolbar from './Toolbar';
import type { Filesystem } from './types';
import { useSavedLayout } from './useSavedLayout';
import WidgetGrid from './WidgetGrid';

const NONE: Filesystem[] = [];

const Notice = ({ type, text }: { type: 'info' | 'warning'; text: string }) => (
  <Alert type={type} showIcon style={{ marginBottom: 12 }} title={text} />
);

export default function Dashboard() {
  const [params, update] = useUrlState();
  const listed = useLoad(
    () => get<Page<Filesystem>>('/filesystem', { limit: 1000 }),
    [],
    ['filesystem', 'target'],
  );
  const { widgets, change, reset, error: layoutError } = useSavedLayout();

  const filesystems = listed.data?.objects ?? NONE;
  const asked = params.get('fs') ?? undefined;
  const unknownFs = !!asked && !!listed.data && !filesystems.some((f) => f.id === asked);
  const fsId = unknownFs ? undefined : asked;
  const range = rangeFromParams(params);
  const key = rangeKey(range);

  // eslint-disable-next-line react-hooks/exhaustive-deps
  const scope = useMemo<Scope>(() => ({ fsId, filesystems, range }), [fsId, filesystems, key]);

  return (
    <ScopeContext.Provider value={scope}>
      <Toolbar
        filesystems={filesystems}
        fsId={fsId}
        range={range}
        onScope={update}
        onAdd={(type) => widgets && change(added(widgets, type))}
        onReset={reset}
      />
      <ErrorNotice error={listed.error} />
      <ErrorNotice error={layoutError} />
      {unknownFs && <Notice type="warning" text="The file system in the link no longer exists; showing all of them." />}
      {listed.data && filesystems.length === 0 && (
        <Notice type="info" text="No file system yet: create or detect one under Configure." />
      )}
      {widgets && (listed.data || listed.error) ? (
        <WidgetGrid widgets={widgets} onChange={change} />
      ) : (
        <Spin style={{ margin: 48 }} />
      )}
    </ScopeContext.Provider>
  );
}
