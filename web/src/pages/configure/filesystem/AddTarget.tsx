// Growing a live file system: an OST or an MDT on a free volume, its
// primary and failover servers (by default the volume's first node and the
// others), previewed with a dry run (`POST /api/target?dry_run=true`), then
// added and its command followed.
import { Alert, Button, Form, Modal, Radio, Select, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMemo, useState } from 'react';
import { get, type Page, type Plan } from '../../../api';
import ErrorNotice from '../../../components/ErrorNotice';
import { bytes } from '../../../format';
import { useLoad } from '../../../hooks';
import { hostLabel, type Filesystem, type Host, type Target, type Volume } from '../types';
import { PlannedFooter, PlannedResult, usePlanned } from './planned';

/** `POST /api/target`'s answer: the plan, and the target (null for a dry run). */
type Added = Plan & { target?: Target | null };

interface Values {
  kind: 'ost' | 'mdt';
  volume_id?: string;
  primary_host_id?: string;
  failover_host_ids?: string[];
}

export default function AddTarget({ fs, hosts }: { fs: Filesystem; hosts: Map<string, Host> }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<Values>();
  const planned = usePlanned<Added>();
  const volumes = useLoad(
    () => (open ? get<Page<Volume>>('/volume', { free: true, limit: 1000 }) : Promise.resolve(undefined)),
    [open],
    open ? ['host', 'target'] : [],
  );
  const byId = useMemo(() => new Map((volumes.data?.objects ?? []).map((v) => [v.id, v])), [volumes.data]);
  const values = Form.useWatch([], form) ?? ({} as Partial<Values>);
  const volume = values.volume_id ? byId.get(values.volume_id) : undefined;
  const kind = values.kind ?? 'ost';
  const label = kind === 'mdt' ? 'MDT' : 'OST';
  const nodeLabel = (id: string) => hostLabel(hosts.get(id), id);

  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => {
    const v = form.getFieldsValue(true) as Values;
    return {
      filesystem_id: fs.id,
      kind: v.kind,
      volume_id: v.volume_id,
      primary_host_id: v.primary_host_id,
      failover_host_ids: v.failover_host_ids ?? [],
    };
  };
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('POST', '/target', body(), form);
  };
  /** A volume chosen: its first node is primary, the others fail over. */
  const chooseVolume = (id: string) => {
    const [first, ...rest] = (byId.get(id)?.nodes ?? []).map((n) => n.host_id);
    form.setFieldsValue({ primary_host_id: first, failover_host_ids: rest });
  };

  return (
    <>
      <Button icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="add-target">
        Add OST or MDT
      </Button>
      <Modal
        open={open}
        title={`Add a target to ${fs.name}`}
        onCancel={close}
        width={720}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('POST', '/target', body(), form)}
            action={`Add ${label}`}
            testId="add-target"
          />
        }
      >
        <ErrorNotice error={volumes.error} />
        {!planned.done && (
          <Form<Values>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'ost', failover_host_ids: [] }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Form.Item
              name="kind"
              label="Kind"
              extra={
                kind === 'mdt'
                  ? 'A further MDT (DNE): new directories can be placed on it with lfs mkdir -i.'
                  : 'Clients see its space once it is mounted; new files get objects on it.'
              }
            >
              <Radio.Group
                optionType="button"
                data-testid="add-target-kind"
                options={[
                  { value: 'ost', label: 'OST' },
                  { value: 'mdt', label: 'MDT' },
                ]}
              />
            </Form.Item>
            <Form.Item name="volume_id" label="Volume" rules={[{ required: true, message: 'Choose a free volume' }]}>
              <Select
                data-testid="add-target-volume"
                showSearch={{ optionFilterProp: 'label' }}
                placeholder="A free volume"
                loading={volumes.loading}
                onChange={chooseVolume}
                options={(volumes.data?.objects ?? []).map((v) => ({
                  value: v.id,
                  label: `${v.serial} · ${bytes(v.size_bytes)} · ${v.nodes.map((n) => n.host ?? nodeLabel(n.host_id)).join(', ')}`,
                }))}
              />
            </Form.Item>
            {volumes.data && volumes.data.objects.length === 0 && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                title="No free volumes: add a server or free a volume first."
              />
            )}
            <Form.Item
              name="primary_host_id"
              label="Primary host"
              rules={[{ required: true, message: 'Choose where it runs' }]}
            >
              <Select
                data-testid="add-target-primary"
                placeholder="A host that sees the volume"
                disabled={!volume}
                options={(volume?.nodes ?? []).map((n) => ({ value: n.host_id, label: nodeLabel(n.host_id) }))}
                onChange={(primary: string) =>
                  form.setFieldsValue({
                    failover_host_ids: (form.getFieldValue('failover_host_ids') ?? []).filter((h: string) => h !== primary),
                  })
                }
              />
            </Form.Item>
            <Form.Item
              name="failover_host_ids"
              label="Failover hosts"
              extra="Servers of a configured HA cluster keep it as a Pacemaker resource; otherwise Chroma mounts it directly."
            >
              <Select
                data-testid="add-target-failover"
                mode="multiple"
                placeholder="none"
                disabled={!volume}
                options={(volume?.nodes ?? [])
                  .filter((n) => n.host_id !== values.primary_host_id)
                  .map((n) => ({ value: n.host_id, label: nodeLabel(n.host_id) }))}
              />
            </Form.Item>
          </Form>
        )}
        {planned.done?.target && (
          <Typography.Paragraph data-testid="added-target">
            {planned.done.target.name} is recorded; its command formats, registers and mounts it:
          </Typography.Paragraph>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}
