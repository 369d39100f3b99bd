// Setting up an HA cluster: a name, two or more servers with Pacemaker and
// corosync and no cluster, each one's corosync ring address, and fencing
// (one fence agent per member, or disabled on a test cluster); then submit
// and follow the setup command live. With `cluster`, only its fencing is
// changed and its setup run again.
import { Alert, AutoComplete, Button, Card, Checkbox, Drawer, Form, Input, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMemo, useState } from 'react';
import { ApiError, get, MAX_PAGE, post, type Page, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { useLoad } from '../../hooks';
import CommandProgress from './CommandProgress';
import { hostLabel, type Fencing, type HaCluster, type HaSetupSubmitted, type Host } from './types';

interface MemberValues {
  ring0?: string;
  agent?: string;
  params?: { key?: string; value?: string }[];
}

interface Values {
  name?: string;
  host_ids?: string[];
  fencing_disabled?: boolean;
  members?: Record<string, MemberValues>;
}

/** Common fence agents, and the parameters each usually needs. */
const AGENTS: Record<string, string[]> = {
  fence_ipmilan: ['ip', 'username', 'password', 'lanplus'],
  fence_redfish: ['ip', 'username', 'password', 'ssl_insecure'],
  fence_idrac: ['ip', 'username', 'password'],
  fence_ilo: ['ip', 'username', 'password'],
  fence_xvm: ['port'],
};

const SECRET = /pass|secret|key|community/i;

/** Why a server cannot join a new cluster, or undefined when it can. */
function refusal(h: Host, clusters: Map<string, string>): string | undefined {
  if (h.state !== 'managed') return h.state;
  if (h.ha_cluster_id) return `in HA cluster ${clusters.get(h.ha_cluster_id) ?? h.ha_cluster_id}`;
  if (!h.pacemaker_version && !h.corosync_version) return 'no Pacemaker, no corosync';
  if (!h.pacemaker_version) return 'no Pacemaker';
  if (!h.corosync_version) return 'no corosync';
  return undefined;
}

async function loadOptions() {
  const [hosts, clusters] = await Promise.all([
    get<Page<Host>>('/host', { limit: MAX_PAGE }),
    get<Page<HaCluster>>('/ha_cluster', { limit: MAX_PAGE }),
  ]);
  return { hosts: hosts.objects, clusters: new Map(clusters.objects.map((c) => [c.id, c.name])) };
}

/** The form's initial values: empty, or `cluster`'s members and fencing (parameter values are never shown). */
function initialValues(cluster: HaCluster | undefined): Values {
  if (!cluster) return { host_ids: [], fencing_disabled: false, members: {} };
  const members: Record<string, MemberValues> = {};
  for (const m of cluster.members) {
    const device = cluster.fencing.devices?.find((d) => d.host_id === m.host_id);
    members[m.host_id] = {
      ring0: m.ring0_addr,
      agent: device?.agent,
      params: Object.keys(device?.params ?? {}).map((key) => ({ key, value: '' })),
    };
  }
  return {
    name: cluster.name,
    host_ids: cluster.members.map((m) => m.host_id),
    fencing_disabled: !!cluster.fencing.disabled,
    members,
  };
}

function fencingOf(values: Values, members: string[]): Fencing {
  if (values.fencing_disabled) return { disabled: true };
  return {
    devices: members.map((host_id) => {
      const m = values.members?.[host_id] ?? {};
      const params: Record<string, string> = {};
      for (const p of m.params ?? []) if (p?.key?.trim()) params[p.key.trim()] = p.value ?? '';
      return { host_id, agent: (m.agent ?? '').trim(), params };
    }),
  };
}

export default function SetupHaCluster({ open, cluster, onClose }: { open: boolean; cluster?: HaCluster; onClose: () => void }) {
  const [form] = Form.useForm<Values>();
  const options = useLoad(() => (open ? loadOptions() : Promise.resolve(undefined)), [open], open ? ['host'] : []);
  const [submitted, setSubmitted] = useState<HaSetupSubmitted>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const values: Values = Form.useWatch([], { form, preserve: true }) ?? {};
  const editing = !!cluster;
  const chosen = cluster ? cluster.members.map((m) => m.host_id) : (values.host_ids ?? []);
  const disabled = !!values.fencing_disabled;

  const hosts = useMemo(() => new Map((options.data?.hosts ?? []).map((h) => [h.id, h])), [options.data]);
  const clusters = options.data?.clusters ?? new Map<string, string>();
  const live = (options.data?.hosts ?? []).filter((h) => h.state !== 'removed');
  const eligible = live.filter((h) => !refusal(h, clusters));
  const others = live.filter((h) => refusal(h, clusters));
  const label = (id: string) =>
    hostLabel(hosts.get(id), cluster?.members.find((m) => m.host_id === id)?.nodename ?? id);

  const close = () => {
    onClose();
    form.resetFields();
    setSubmitted(undefined);
    setError(undefined);
  };

  /** Field errors go to their field (`fencing.devices[i]` to that device's member); the rest above the form. */
  const showErrors = (e: unknown, sent: Fencing) => {
    if (!(e instanceof ApiError)) {
      setError(e as Error);
      return;
    }
    const fields: { name: (string | number)[]; errors: string[] }[] = [];
    const rest: typeof e.errors = [];
    for (const x of e.errors) {
      const f = x.field ?? '';
      const device = f.match(/^fencing\.devices\[(\d+)\]\.(agent|params)/);
      const ring = f.match(/^ring0_addrs\.(.+)$/);
      const host = device ? sent.devices?.[Number(device[1])]?.host_id : undefined;
      if (f === 'name' && !editing) fields.push({ name: ['name'], errors: [x.message] });
      else if (f.startsWith('host_ids') && !editing) fields.push({ name: ['host_ids'], errors: [x.message] });
      else if (ring) fields.push({ name: ['members', ring[1], 'ring0'], errors: [x.message] });
      else if (device && host) fields.push({ name: ['members', host, 'agent'], errors: [`${device[2]}: ${x.message}`] });
      else rest.push(x);
    }
    form.setFields(fields as Parameters<typeof form.setFields>[0]);
    if (rest.length || !fields.length) {
      // The API names members by id: name them as people know them.
      const named = (rest.length ? rest : e.errors).map((x) => ({
        ...x,
        message: x.message.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) => label(id)),
      }));
      setError(new ApiError(e.status, named));
    }
  };

  const submit = async () => {
    let v: Values;
    try {
      v = { ...form.getFieldsValue(true), ...(await form.validateFields()) };
    } catch {
      return;
    }
    const host_ids = cluster ? chosen : (v.host_ids ?? []);
    const fencing = fencingOf(v, host_ids);
    setBusy(true);
    setError(undefined);
    try {
      if (cluster) {
        setSubmitted(
          await post<HaSetupSubmitted>(`/ha_cluster/${cluster.id}/configure`, { fencing } satisfies Schemas['ConfigureRequest']),
        );
      } else {
        const ring0_addrs: Record<string, string> = {};
        for (const h of host_ids) {
          const addr = v.members?.[h]?.ring0?.trim();
          if (addr) ring0_addrs[h] = addr;
        }
        setSubmitted(await post<HaSetupSubmitted>('/ha_cluster', { name: v.name?.trim(), host_ids, ring0_addrs, fencing }));
      }
    } catch (e) {
      showErrors(e, fencing);
    } finally {
      setBusy(false);
    }
  };

  /** Picking a known agent with no parameters yet fills in the names it usually needs. */
  const agentChosen = (host: string, agent: string) => {
    const params = form.getFieldValue(['members', host, 'params']) as MemberValues['params'];
    if (AGENTS[agent] && !params?.some((p) => p?.key)) {
      form.setFieldValue(['members', host, 'params'], AGENTS[agent].map((key) => ({ key, value: '' })));
    }
  };

  const member = (host: string) => (
    <Card key={host} size="small" title={label(host)} style={{ marginBottom: 8 }} data-testid={`ha-setup-member-${label(host)}`}>
      <Form.Item
        name={['members', host, 'ring0']}
        label="corosync ring0 address"
        extra={editing ? 'Set when the cluster was created.' : `Optional; default: ${hosts.get(host)?.address ?? 'its address'}`}
        style={{ marginBottom: disabled ? 0 : 12 }}
      >
        <Input placeholder={hosts.get(host)?.address} disabled={editing} style={{ maxWidth: 320 }} />
      </Form.Item>
      {!disabled && (
        <>
          <Form.Item
            name={['members', host, 'agent']}
            label="Fence agent (powers this server off)"
            rules={[
              { required: true, message: 'A fence agent, such as fence_ipmilan' },
              { pattern: /^fence_[A-Za-z0-9_]{1,60}$/, message: 'fence_ and letters, digits or _' },
            ]}
          >
            <AutoComplete
              style={{ maxWidth: 320 }}
              placeholder="fence_ipmilan"
              options={Object.keys(AGENTS).map((a) => ({ value: a }))}
              onSelect={(a: string) => agentChosen(host, a)}
            />
          </Form.Item>
          <Form.List name={['members', host, 'params']}>
            {(rows, { add, remove }) => (
              <>
                {rows.map((row) => (
                  <Space key={row.key} align="start" style={{ display: 'flex' }}>
                    <Form.Item
                      name={[row.name, 'key']}
                      rules={[
                        { required: true, message: 'A parameter name' },
                        { pattern: /^[A-Za-z0-9_]{1,64}$/, message: 'Letters, digits or _' },
                      ]}
                    >
                      <Input placeholder="ip" style={{ width: 180 }} aria-label="Parameter name" />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate>
                      {() => {
                        const key = String(form.getFieldValue(['members', host, 'params', row.name, 'key']) ?? '');
                        const Field = SECRET.test(key) ? Input.Password : Input;
                        return (
                          <Form.Item name={[row.name, 'value']} rules={[{ max: 1024, message: 'At most 1024 characters' }]}>
                            <Field placeholder={editing ? 'enter again' : 'value'} style={{ width: 240 }} aria-label={`Value of ${key || 'parameter'}`} />
                          </Form.Item>
                        );
                      }}
                    </Form.Item>
                    <Button icon={<DeleteOutlined />} aria-label="Remove parameter" onClick={() => remove(row.name)} />
                  </Space>
                ))}
                <Button size="small" icon={<PlusOutlined />} onClick={() => add({ key: '', value: '' })}>
                  Add parameter
                </Button>
              </>
            )}
          </Form.List>
        </>
      )}
    </Card>
  );

  const footer = submitted ? (
    <Button onClick={close}>Close</Button>
  ) : (
    <Space>
      <Button onClick={close}>Cancel</Button>
      <Button type="primary" onClick={submit} loading={busy} data-testid="ha-setup-submit">
        {editing ? 'Change fencing and run setup' : 'Set up HA cluster'}
      </Button>
    </Space>
  );

  return (
    <Drawer
      open={open}
      onClose={close}
      title={editing ? `Fencing of HA cluster ${cluster.name}` : 'Set up an HA cluster'}
      size={Math.min(760, typeof window === 'undefined' ? 760 : window.innerWidth)}
      destroyOnHidden
      footer={<div style={{ textAlign: 'right' }}>{footer}</div>}
    >
      <ErrorNotice error={options.error} />
      {submitted ? (
        <>
          <Typography.Paragraph>
            HA cluster {submitted.cluster.name} is recorded. Chroma now configures corosync and Pacemaker on its members:
          </Typography.Paragraph>
          <CommandProgress id={submitted.command} />
        </>
      ) : (
        <Form<Values> form={form} layout="vertical" initialValues={initialValues(cluster)} disabled={busy}>
          {!editing && (
            <>
              <Form.Item
                name="name"
                label="Name (corosync's cluster name)"
                rules={[
                  { required: true, message: 'Give the cluster a name' },
                  { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: '1 to 32 letters, digits, - or _' },
                ]}
              >
                <Input data-testid="ha-name" placeholder="e.g. oss-pair-1" maxLength={32} style={{ maxWidth: 320 }} />
              </Form.Item>
              <Form.Item
                name="host_ids"
                label="Members"
                rules={[{ required: true, type: 'array', min: 2, message: 'Choose two or more servers' }]}
                extra="Servers that share storage, with Pacemaker and corosync installed and in no HA cluster."
              >
                <Select
                  mode="multiple"
                  data-testid="ha-members"
                  loading={options.loading}
                  placeholder="Two or more servers"
                  showSearch={{ optionFilterProp: 'label' }}
                  options={eligible.map((h) => ({ value: h.id, label: hostLabel(h) }))}
                />
              </Form.Item>
              {others.length > 0 && (
                <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
                  Not offered: {others.map((h) => `${hostLabel(h)} (${refusal(h, clusters)})`).join(', ')}.
                </Typography.Paragraph>
              )}
            </>
          )}
          <Form.Item name="fencing_disabled" valuePropName="checked" style={{ marginBottom: 8 }}>
            <Checkbox data-testid="ha-fencing-disabled">Disable fencing (test clusters only)</Checkbox>
          </Form.Item>
          {disabled ? (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              title="Without fencing, two servers can mount one target at once and corrupt it"
              description="Pacemaker then starts a lost server's targets elsewhere without making sure it has let go of them. Use this only on test clusters; Chroma raises a warning alert for as long as it lasts."
            />
          ) : (
            <Typography.Paragraph type="secondary">
              Each member needs a fencing device: the agent that powers it off (its BMC or PDU) when it is lost.
              {editing && ' Parameter values are never shown (they hold passwords): enter them again.'}
            </Typography.Paragraph>
          )}
          {chosen.map(member)}
        </Form>
      )}
      <ErrorNotice error={error} />
    </Drawer>
  );
}
