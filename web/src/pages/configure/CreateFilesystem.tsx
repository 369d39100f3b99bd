// Creating a file system: pick free volumes for the MGT (or an existing
// MGS), the MDTs and the OSTs, where each runs, and conf_params; preview
// the jobs with a dry run; then submit and follow the command live.
import { Alert, Button, Checkbox, Drawer, Form, Input, Radio, Select, Space, Table, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, get, post, type Narrow, type Page, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { bytes } from '../../format';
import { useLoad } from '../../hooks';
import CommandProgress from './CommandProgress';
import PlanList from './PlanList';
import {
  chosenVolumes,
  mapErrors,
  placementOf,
  requestBody,
  type Chosen,
  type FormValues,
  type Placement,
} from './placement';
import { hostLabel, type Filesystem, type Host, type Planned, type Target, type Volume } from './types';

type Created = Narrow<Schemas['Created'], { filesystem?: Filesystem | null }>;

interface Options {
  volumes: Volume[];
  hosts: Host[];
  mgses: Target[];
}

async function loadOptions(): Promise<Options> {
  const [volumes, hosts, mgses] = await Promise.all([
    get<Page<Volume>>('/volume', { free: true, limit: 1000 }),
    get<Page<Host>>('/host', { limit: 1000 }),
    get<Page<Target>>('/target', { kind: 'mgt', limit: 1000 }),
  ]);
  return {
    volumes: volumes.objects,
    hosts: hosts.objects,
    mgses: mgses.objects.filter((t) => t.managed && t.state !== 'removed'),
  };
}

const ROLE_LABEL = { mgt: 'MGT', mdt: 'MDT', ost: 'OST' } as const;

export default function CreateFilesystem({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<FormValues>();
  const options = useLoad(() => (open ? loadOptions() : Promise.resolve(undefined)), [open], open ? ['host', 'target'] : []);
  const [placements, setPlacements] = useState<Record<string, Placement>>({});
  const [plan, setPlan] = useState<Planned>();
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<Error>();
  const [rowErrors, setRowErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const values = Form.useWatch([], form) ?? {};
  const previewRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    previewRef.current?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }, [plan]);

  const volumes = useMemo(() => new Map((options.data?.volumes ?? []).map((v) => [v.id, v])), [options.data]);
  const hosts = useMemo(() => new Map((options.data?.hosts ?? []).map((h) => [h.id, h])), [options.data]);
  const chosen = chosenVolumes(values, volumes);
  const taken = new Set(chosen.map((c) => c.volume.id));
  const mode = values.mgt_mode ?? 'new';

  const reset = () => {
    form.resetFields();
    setPlacements({});
    setPlan(undefined);
    setCreated(undefined);
    setError(undefined);
    setRowErrors({});
  };
  const close = () => {
    onClose();
    reset();
  };
  /** Anything edited makes the preview stale. */
  const edited = () => {
    setPlan(undefined);
    setError(undefined);
    setRowErrors({});
  };
  const place = (volume: Volume, change: Partial<Placement>) => {
    edited();
    setPlacements((all) => {
      const next = { ...placementOf(all, volume), ...change };
      if (change.primary) next.failover = next.failover.filter((h) => h !== change.primary);
      return { ...all, [volume.id]: next };
    });
  };

  const showErrors = (e: unknown) => {
    if (!(e instanceof ApiError)) {
      setError(e as Error);
      return;
    }
    const mapped = mapErrors(e, form.getFieldsValue(true), volumes);
    form.setFields(mapped.fields as Parameters<typeof form.setFields>[0]);
    setRowErrors(mapped.rows);
    if (mapped.rest.length || (!mapped.fields.length && !Object.keys(mapped.rows).length)) {
      setError(mapped.rest.length ? new ApiError(e.status, e.errors.filter((x) => mapped.rest.includes(x.message))) : e);
    }
  };

  const body = () => requestBody(form.getFieldsValue(true), volumes, placements);

  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    edited();
    try {
      setPlan(await post<Planned>('/filesystem', body(), { dry_run: true }));
    } catch (e) {
      showErrors(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await post<Created>('/filesystem', body()));
    } catch (e) {
      setPlan(undefined);
      showErrors(e);
    } finally {
      setBusy(false);
    }
  };

  const volumeOptions = (except: string[]) =>
    (options.data?.volumes ?? []).map((v) => ({
      value: v.id,
      label: `${v.serial} · ${bytes(v.size_bytes)} · ${v.nodes.map((n) => n.host ?? hostLabel(hosts.get(n.host_id), n.host_id)).join(', ')}`,
      disabled: taken.has(v.id) && !except.includes(v.id),
    }));
  const nodeLabel = (id: string) => hostLabel(hosts.get(id), id);

  const placementColumns = [
    {
      title: 'Target',
      key: 'role',
      width: 80,
      render: (_: unknown, c: Chosen) => (c.role === 'mgt' ? 'MGT' : `${ROLE_LABEL[c.role]}${c.index}`),
    },
    {
      title: 'Volume',
      key: 'volume',
      render: (_: unknown, c: Chosen) => (
        <div>
          <div>
            {c.volume.serial} <Typography.Text type="secondary">{bytes(c.volume.size_bytes)}</Typography.Text>
          </div>
          {rowErrors[c.volume.id]?.map((m) => (
            <Typography.Text key={m} type="danger" style={{ display: 'block' }}>
              {m}
            </Typography.Text>
          ))}
        </div>
      ),
    },
    {
      title: 'Primary host',
      key: 'primary',
      width: 170,
      render: (_: unknown, c: Chosen) => (
        <Select
          size="small"
          style={{ width: '100%' }}
          status={rowErrors[c.volume.id] ? 'error' : undefined}
          value={placementOf(placements, c.volume).primary}
          options={c.volume.nodes.map((n) => ({ value: n.host_id, label: nodeLabel(n.host_id) }))}
          onChange={(primary: string) => place(c.volume, { primary })}
          data-testid={`placement-primary-${c.volume.serial}`}
        />
      ),
    },
    {
      title: 'Failover hosts',
      key: 'failover',
      width: 220,
      render: (_: unknown, c: Chosen) => {
        const p = placementOf(placements, c.volume);
        return (
          <Select
            size="small"
            mode="multiple"
            style={{ width: '100%' }}
            placeholder="none"
            value={p.failover}
            options={c.volume.nodes
              .filter((n) => n.host_id !== p.primary)
              .map((n) => ({ value: n.host_id, label: nodeLabel(n.host_id) }))}
            onChange={(failover: string[]) => place(c.volume, { failover })}
          />
        );
      },
    },
    {
      title: 'Reformat',
      key: 'reformat',
      width: 90,
      render: (_: unknown, c: Chosen) => (
        <Checkbox
          checked={placementOf(placements, c.volume).reformat}
          onChange={(e) => place(c.volume, { reformat: e.target.checked })}
          aria-label={`Reformat ${c.volume.serial}`}
        />
      ),
    },
    {
      title: 'ZFS',
      key: 'zfs',
      width: 70,
      render: (_: unknown, c: Chosen) => (
        <Tooltip title="Format on ZFS: a dataset in a pool built on this volume, imported where the target runs">
          <Checkbox
            checked={placementOf(placements, c.volume).zfs ?? false}
            onChange={(e) => place(c.volume, { zfs: e.target.checked })}
            aria-label={`ZFS ${c.volume.serial}`}
          />
        </Tooltip>
      ),
    },
  ];

  const footer = created ? (
    <Space>
      {created.filesystem && (
        <Link to={`/configure/filesystems/${created.filesystem.id}`} onClick={close}>
          Open file system {created.filesystem.name}
        </Link>
      )}
      <Button onClick={close}>Close</Button>
    </Space>
  ) : (
    <Space>
      <Button onClick={close}>Cancel</Button>
      <Button onClick={preview} loading={busy && !plan} data-testid="fs-preview">
        Preview jobs
      </Button>
      <Button type="primary" onClick={submit} disabled={!plan} loading={busy && !!plan} data-testid="fs-submit">
        Create file system
      </Button>
    </Space>
  );

  return (
    <Drawer
      open={open}
      onClose={close}
      title="Create a file system"
      size={Math.min(980, typeof window === 'undefined' ? 980 : window.innerWidth)}
      destroyOnHidden
      footer={<div style={{ textAlign: 'right' }}>{footer}</div>}
    >
      <ErrorNotice error={options.error} />
      {created ? (
        created.command ? (
          <CommandProgress id={created.command} />
        ) : (
          <Alert type="success" showIcon title="The file system is recorded; nothing needed to run." />
        )
      ) : (
        <>
          <Form<FormValues>
            form={form}
            layout="vertical"
            initialValues={{ mgt_mode: 'new', mdt_volumes: [], ost_volumes: [], conf_params: [] }}
            onValuesChange={edited}
            disabled={busy}
          >
            <Form.Item
              name="name"
              label="Name"
              rules={[
                { required: true, message: 'Give the file system a name' },
                { pattern: /^[A-Za-z0-9_]{1,8}$/, message: '1 to 8 letters, digits or _' },
              ]}
            >
              <Input data-testid="fs-name" placeholder="e.g. scratch" maxLength={8} style={{ maxWidth: 240 }} />
            </Form.Item>
            <Form.Item name="mgt_mode" label="Management target">
              <Radio.Group
                data-testid="fs-mgt-mode"
                optionType="button"
                options={[
                  { value: 'new', label: 'New MGT on a volume' },
                  { value: 'existing', label: 'Existing MGS', disabled: !options.data?.mgses.length },
                ]}
              />
            </Form.Item>
            {mode === 'new' ? (
              <Form.Item
                name="mgt_volume"
                label="MGT volume"
                rules={[{ required: true, message: 'Choose a volume for the MGT' }]}
                extra="A server runs one MGS at a time: if its hosts already serve one, use the existing MGS."
              >
                <Select
                  data-testid="fs-mgt"
                  showSearch={{ optionFilterProp: 'label' }}
                  placeholder="A free volume"
                  loading={options.loading}
                  options={volumeOptions([values.mgt_volume ?? ''])}
                />
              </Form.Item>
            ) : (
              <Form.Item name="mgs_id" label="MGS" rules={[{ required: true, message: 'Choose an MGS' }]}>
                <Select
                  data-testid="fs-mgs"
                  placeholder="An MGS Chroma manages"
                  options={options.data?.mgses.map((t) => ({
                    value: t.id,
                    label: `${t.name} on ${t.active_host ?? t.primary_host ?? '?'} (${t.state})`,
                  }))}
                />
              </Form.Item>
            )}
            <Form.Item
              name="mdt_volumes"
              label="MDT volumes"
              rules={[{ required: true, type: 'array', min: 1, message: 'Choose at least one volume for an MDT' }]}
            >
              <Select
                data-testid="fs-mdts"
                mode="multiple"
                showSearch={{ optionFilterProp: 'label' }}
                placeholder="One or more free volumes (MDT0 first)"
                loading={options.loading}
                options={volumeOptions(values.mdt_volumes ?? [])}
              />
            </Form.Item>
            <Form.Item
              name="ost_volumes"
              label="OST volumes"
              rules={[{ required: true, type: 'array', min: 1, message: 'Choose at least one volume for an OST' }]}
            >
              <Select
                data-testid="fs-osts"
                mode="multiple"
                showSearch={{ optionFilterProp: 'label' }}
                placeholder="One or more free volumes"
                loading={options.loading}
                options={volumeOptions(values.ost_volumes ?? [])}
              />
            </Form.Item>
            {options.data && options.data.volumes.length === 0 && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                title="No free volumes: add servers, or free volumes by removing file systems."
              />
            )}
            {chosen.length > 0 && (
              <Form.Item label="Where each target runs" extra="By default the first host that sees the volume is primary, the others fail over.">
                <Table<Chosen>
                  size="small"
                  rowKey={(c) => c.volume.id}
                  pagination={false}
                  columns={placementColumns}
                  dataSource={chosen}
                  scroll={{ x: 'max-content' }}
                />
              </Form.Item>
            )}
            <Form.Item label="Parameters (conf_params)" extra="File-system-wide, such as sys.timeout = 40 or llite.max_cached_mb = 1024.">
              <Form.List name="conf_params">
                {(rows, { add, remove }) => (
                  <>
                    {rows.map((row) => (
                      <Space key={row.key} align="start" style={{ display: 'flex' }}>
                        <Form.Item name={[row.name, 'key']} rules={[{ required: true, message: 'A parameter name' }]}>
                          <Input placeholder="sys.timeout" style={{ width: 260 }} />
                        </Form.Item>
                        <Form.Item name={[row.name, 'value']} rules={[{ required: true, message: 'A value' }]}>
                          <Input placeholder="40" style={{ width: 160 }} />
                        </Form.Item>
                        <Button icon={<DeleteOutlined />} aria-label="Remove parameter" onClick={() => remove(row.name)} />
                      </Space>
                    ))}
                    <Button icon={<PlusOutlined />} onClick={() => add({ key: '', value: '' })}>
                      Add parameter
                    </Button>
                  </>
                )}
              </Form.List>
            </Form.Item>
          </Form>
          <ErrorNotice error={error} />
          {error && /HA cluster/.test(error.message) && (
            <Typography.Paragraph data-testid="fs-ha-hint">
              Targets on servers with Pacemaker and corosync need a configured{' '}
              <Link to="/configure/ha-clusters" onClick={close}>
                HA cluster
              </Link>{' '}
              with fencing.
            </Typography.Paragraph>
          )}
          {plan && (
            <div ref={previewRef}>
              <Typography.Title level={5}>Preview</Typography.Title>
              <PlanList plan={plan} />
              {plan.requires_confirmation && (
                <Alert
                  type="warning"
                  showIcon
                  style={{ marginTop: 8 }}
                  title="This also changes objects you did not name (see above)."
                />
              )}
            </div>
          )}
        </>
      )}
    </Drawer>
  );
}
