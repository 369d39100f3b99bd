// The file system's Lustre client mounts on managed hosts: where each is,
// its state as last read back from the host's /proc/mounts, and mounting
// one on a chosen host, unmounting, mounting again and removing it, each
// through a dry run. Quotas, striping, migration and HSM copytools run
// their commands on a mounted client.
import { Button, Empty, Form, Input, Modal, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { HTMLAttributes } from 'react';
import { useState } from 'react';
import { get, type Page, type Plan, type Schemas } from '../../../api';
import ConfirmAction from '../../../components/ConfirmAction';
import ErrorNotice from '../../../components/ErrorNotice';
import StateTag from '../../../components/StateTag';
import { ago } from '../../../format';
import { useLoad } from '../../../hooks';
import { hostLabel, type Filesystem, type Host } from '../types';
import { jobEnded, PlannedFooter, PlannedResult, usePlanned } from './planned';

type ClientMount = Schemas['ClientMountView'];

/** What `POST /api/client_mount` answers: the plan, and the mount (null for a dry run). */
type MountCreated = Plan & { client_mount?: ClientMount | null };

interface MountValues {
  host_id?: string;
  mountpoint?: string;
  options?: string;
}

/** Mounting the file system on a chosen host. */
function AddClientMount({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<MountValues>();
  const planned = usePlanned<MountCreated>();
  const hosts = useLoad(
    () => (open ? get<Page<Host>>('/host', { limit: 1000 }) : Promise.resolve(undefined)),
    [open],
    open ? ['host'] : [],
  );
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => {
    const v = form.getFieldsValue(true) as MountValues;
    return { filesystem_id: fs.id, host_id: v.host_id, mountpoint: v.mountpoint?.trim(), options: v.options?.trim() || null };
  };
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('POST', '/client_mount', body(), form);
  };
  return (
    <>
      <Button icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="add-client-mount">
        Mount on a host
      </Button>
      <Modal
        open={open}
        title={`Mount ${fs.name} on a host`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('POST', '/client_mount', body(), form)}
            action="Mount"
            testId="client-mount"
          />
        }
      >
        <ErrorNotice error={hosts.error} />
        {!planned.done && (
          <Form<MountValues>
            form={form}
            layout="vertical"
            initialValues={{ mountpoint: `/mnt/${fs.name}`, options: '' }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Form.Item name="host_id" label="Host" rules={[{ required: true, message: 'Choose a host' }]}>
              <Select
                data-testid="client-mount-host"
                showSearch={{ optionFilterProp: 'label' }}
                placeholder="A managed host with LNet"
                loading={hosts.loading}
                options={(hosts.data?.objects ?? []).map((h) => ({
                  value: h.id,
                  label: hostLabel(h),
                  disabled: h.state !== 'managed',
                }))}
              />
            </Form.Item>
            <Form.Item
              name="mountpoint"
              label="Mount point"
              extra="An absolute path on the host; kept in its /etc/fstab so it is mounted again after a reboot."
              rules={[
                { required: true, message: 'Give a mount point' },
                { pattern: /^\/[A-Za-z0-9._/-]*$/, message: 'An absolute path of letters, digits, ., _, - and /' },
              ]}
            >
              <Input data-testid="client-mount-mountpoint" style={{ maxWidth: 320 }} />
            </Form.Item>
            <Form.Item name="options" label="Options" extra="Lustre client mount options, comma-separated (e.g. flock,user_xattr); empty for the defaults.">
              <Input data-testid="client-mount-options" placeholder="defaults" style={{ maxWidth: 320 }} />
            </Form.Item>
          </Form>
        )}
        {fs.client_mount_source && !planned.done && (
          <Typography.Paragraph type="secondary">
            Mount source: <Typography.Text code>{fs.client_mount_source}</Typography.Text>
          </Typography.Paragraph>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

function MountActions({ mount, onDone }: { mount: ClientMount; onDone: (response: unknown) => void }) {
  const where = `${mount.mountpoint} on ${mount.host_name}`;
  return (
    <Space size={4} wrap>
      {mount.state === 'mounted' ? (
        <ConfirmAction
          size="small"
          title={`Unmount ${where}`}
          method="PATCH"
          path={`/client_mount/${mount.id}`}
          body={{ state: 'unmounted' }}
          onDone={onDone}
          data-testid={`client-unmount-${mount.host_name}`}
        >
          Unmount
        </ConfirmAction>
      ) : (
        <ConfirmAction
          size="small"
          title={`Mount ${where}`}
          method="PATCH"
          path={`/client_mount/${mount.id}`}
          body={{ state: 'mounted' }}
          onDone={onDone}
          data-testid={`client-remount-${mount.host_name}`}
        >
          Mount
        </ConfirmAction>
      )}
      <ConfirmAction
        size="small"
        danger
        title={`Remove the client mount ${where}`}
        method="DELETE"
        path={`/client_mount/${mount.id}`}
        onDone={onDone}
        data-testid={`client-remove-${mount.host_name}`}
      >
        Remove
      </ConfirmAction>
    </Space>
  );
}

export default function ClientMountsTab({
  fs,
  admin,
  onDone,
}: {
  fs: Filesystem;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const { data, error, loading } = useLoad(
    () => get<Page<ClientMount>>('/client_mount', { filesystem_id: fs.id, limit: 1000 }),
    [fs.id],
    ['job', 'host'],
    jobEnded,
  );
  const live = fs.managed && fs.state !== 'removed';
  const columns: ColumnsType<ClientMount> = [
    { title: 'Host', dataIndex: 'host_name' },
    {
      title: 'Mount point',
      dataIndex: 'mountpoint',
      render: (m: string) => <Typography.Text code>{m}</Typography.Text>,
    },
    {
      title: 'State',
      dataIndex: 'state',
      render: (s: string, m) => (
        <Tooltip title={`As last read from the host's /proc/mounts, ${ago(m.updated_at)}`}>
          <span data-testid={`client-state-${m.host_name}`} data-state={s}>
            <StateTag state={s} />
          </span>
        </Tooltip>
      ),
    },
    { title: 'Options', dataIndex: 'options', render: (o: string) => o || <Typography.Text type="secondary">defaults</Typography.Text> },
    {
      title: 'Across reboots',
      dataIndex: 'persistent',
      render: (p: boolean) => (p ? <Tag>in /etc/fstab</Tag> : '–'),
    },
    {
      title: 'Source',
      dataIndex: 'source',
      render: (s: string | null | undefined) => (s ? <Typography.Text code>{s}</Typography.Text> : '–'),
    },
  ];
  if (admin && live) {
    columns.push({ title: 'Actions', key: 'actions', render: (_, m) => <MountActions mount={m} onDone={onDone} /> });
  }
  return (
    <>
      {admin && live && (
        <div style={{ marginBottom: 12 }}>
          <AddClientMount fs={fs} />
        </div>
      )}
      <ErrorNotice error={error} />
      <div data-testid="client-mounts">
        <Table<ClientMount>
          rowKey="id"
          size="small"
          loading={loading && !data}
          columns={columns}
          dataSource={data?.objects}
          pagination={false}
          locale={{ emptyText: <Empty description="No client mounts" /> }}
          onRow={(m) => ({ 'data-testid': `client-row-${m.host_name}`, 'data-state': m.state }) as HTMLAttributes<HTMLElement>}
          scroll={{ x: 'max-content' }}
        />
      </div>
    </>
  );
}
