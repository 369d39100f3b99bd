// Parameters: the persistent parameters (`lctl conf_param`) of a file
// system, or of one of its targets, as Chroma stores them, as the MGS
// configuration log holds them and as servers run them, with their drift;
// fsadmins set them and adopt the log's values. `?fs=ID&target=ID` (and the
// filters) are in the URL.
import { Alert, Button, Col, Empty, Input, Row, Segmented, Select, Space, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useEffect, useMemo, useState } from 'react';
import { get, type Page } from '../api';
import { useAuth } from '../auth';
import ConfirmAction from '../components/ConfirmAction';
import Catalogue from './parameters/Catalogue';
import ErrorNotice from '../components/ErrorNotice';
import { useLoad, useUrlState } from '../hooks';
import ParamForm, { type Preset } from './parameters/ParamForm';
import ParamTable from './parameters/ParamTable';
import type { FilesystemInfo, ParamSpec, ParamView } from './parameters/types';

export default function Parameters() {
  const { can } = useAuth();
  const canEdit = can('fsadmin');
  const [params, setParams] = useUrlState();
  const fsId = params.get('fs') ?? '';
  const targetId = params.get('target') ?? '';
  const search = params.get('q') ?? '';
  const driftOnly = params.get('drift') === '1';
  const [preset, setPreset] = useState<Preset>();

  const filesystems = useLoad(
    () => get<Page<FilesystemInfo>>('/filesystem', { limit: 1000 }).then((p) => p.objects),
    [],
    ['filesystem'],
  );
  const catalogue = useLoad(() => get<ParamSpec[]>('/param'), []);
  const fs = filesystems.data?.find((f) => f.id === fsId);
  const targets = useMemo(() => (fs?.targets ?? []).filter((t) => t.kind !== 'mgt' && t.filesystem_id === fs?.id), [fs]);
  const target = targets.find((t) => t.id === targetId);

  // Without a choice, the first file system.
  useEffect(() => {
    const first = filesystems.data?.[0];
    if (!fsId && first) setParams({ fs: first.id, target: undefined });
  }, [fsId, filesystems.data, setParams]);

  const list = useLoad<ParamView[] | undefined>(
    () =>
      fsId
        ? get<ParamView[]>(targetId ? `/target/${targetId}/params` : `/filesystem/${fsId}/params`)
        : Promise.resolve(undefined),
    [fsId, targetId],
    ['params', 'filesystem'],
  );
  const all = list.data ?? [];
  const shown = all.filter(
    (p) => (!driftOnly || p.drift.length > 0) && (!search || p.key.toLowerCase().includes(search.toLowerCase())),
  );
  const adoptable = all.filter((p) => p.observed_at && p.drift.includes('stored_vs_llog'));
  const drifting = all.filter((p) => p.drift.length > 0).length;

  const edit = (p: ParamView) => setPreset((old) => ({ key: p.key, value: p.stored ?? p.llog ?? '', n: (old?.n ?? 0) + 1 }));

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          Parameters
        </Typography.Title>
        <Space wrap>
          <Select
            data-testid="params-fs"
            style={{ minWidth: 180 }}
            placeholder="File system"
            loading={filesystems.loading && !filesystems.data}
            value={fs ? fs.id : undefined}
            options={(filesystems.data ?? []).map((f) => ({ value: f.id, label: f.name }))}
            onChange={(v: string) => setParams({ fs: v, target: undefined })}
            showSearch={{ optionFilterProp: 'label' }}
          />
          <Select
            data-testid="params-target"
            style={{ minWidth: 200 }}
            placeholder="Whole file system"
            allowClear
            disabled={!fs}
            value={target ? target.id : undefined}
            options={targets.map((t) => ({ value: t.id, label: `${t.name} (${t.kind.toUpperCase()})` }))}
            onChange={(v: string | undefined) => setParams({ target: v })}
            showSearch={{ optionFilterProp: 'label' }}
          />
          {canEdit && fs && (
            <ConfirmAction
              data-testid="params-adopt"
              title={`Adopt the log's values for ${fs.name}`}
              method="POST"
              path={`/filesystem/${fs.id}/params/adopt`}
              body={{ keys: target ? adoptable.map((p) => p.key) : [] }}
              dryRun={false}
              disabled={adoptable.length === 0}
              consequence={
                <>
                  <p>
                    Chroma takes the values the MGS configuration log holds as its own
                    {target ? ` for ${target.name}` : ''}; a key the log does not hold is no longer stored. Nothing
                    runs on a server.
                  </p>
                  <ul>
                    {adoptable.map((p) => (
                      <li key={p.key}>
                        <code>{p.key}</code>: {p.stored ?? '(not stored)'} → {p.llog ?? '(removed)'}
                      </li>
                    ))}
                  </ul>
                </>
              }
              onDone={list.reload}
            >
              Adopt the log's values
            </ConfirmAction>
          )}
          <Catalogue catalogue={catalogue.data} />
          <Tooltip title="Re-read (the values are also read back from the servers every 30 s)">
            <Button icon={<ReloadOutlined />} loading={list.loading} onClick={list.reload} />
          </Tooltip>
        </Space>
      </Space>

      <ErrorNotice error={filesystems.error ?? catalogue.error} />
      {filesystems.data && filesystems.data.length === 0 && <Empty description="No file systems yet" />}
      {fsId && filesystems.data && !fs && (
        <Alert type="warning" showIcon title="That file system does not exist (any more): pick another." />
      )}

      {fs && (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={canEdit ? 16 : 24} xxl={canEdit ? 17 : 24}>
            <Space orientation="vertical" size="small" style={{ width: '100%' }}>
              <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
                <Space wrap>
                  <Segmented
                    data-testid="params-drift-filter"
                    value={driftOnly ? 'drift' : 'all'}
                    options={[
                      { value: 'all', label: `All (${all.length})` },
                      { value: 'drift', label: `Drifting (${drifting})` },
                    ]}
                    onChange={(v) => setParams({ drift: v === 'drift' ? 1 : undefined })}
                  />
                  <Input.Search
                    allowClear
                    placeholder="Filter keys"
                    defaultValue={search}
                    onSearch={(v) => setParams({ q: v })}
                    onChange={(e) => setParams({ q: e.target.value })}
                    style={{ width: 220 }}
                  />
                </Space>
                {drifting > 0 && (
                  <Typography.Text type="warning">
                    {drifting} parameter{drifting === 1 ? '' : 's'} drift
                  </Typography.Text>
                )}
              </Space>
              <ErrorNotice error={list.error} />
              <ParamTable
                fsId={fs.id}
                params={shown}
                loading={list.loading && !list.data}
                canEdit={canEdit}
                onEdit={edit}
                onChanged={list.reload}
              />
            </Space>
          </Col>
          {canEdit && (
            <Col xs={24} xl={8} xxl={7}>
              <ParamForm fs={fs} target={target} catalogue={catalogue.data} preset={preset} onSaved={list.reload} />
            </Col>
          )}
        </Row>
      )}
    </Space>
  );
}
