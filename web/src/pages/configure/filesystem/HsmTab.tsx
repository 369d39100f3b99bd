// The file system's HSM: its coordinator (`mdt.*.hsm_control`) with
// enabling and disabling it, the POSIX copytools that serve its archives
// (on client hosts) with starting, stopping, adding and removing them, the
// coordinator's agents, queue and recent actions, and archiving, releasing
// and restoring a path with the file's state as `lfs hsm_state` last
// showed it; each change through a dry run.
import { Button, Card, Descriptions, Empty, Form, Input, InputNumber, Modal, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { HTMLAttributes } from 'react';
import { useEffect, useState } from 'react';
import { ApiError, get, type Page, type Plan, type Schemas } from '../../../api';
import ConfirmAction from '../../../components/ConfirmAction';
import ErrorNotice from '../../../components/ErrorNotice';
import StateTag from '../../../components/StateTag';
import { ago, time } from '../../../format';
import { useLoad } from '../../../hooks';
import type { Filesystem } from '../types';
import { jobEnded, PlannedFooter, PlannedResult, usePlanned } from './planned';

/** How often the queue is read again while a request waits or runs. */
const BUSY_REFRESH_MS = 5000;

type HsmStatus = Schemas['HsmStatus'];
type Copytool = Schemas['CopytoolView'];
type HsmAction = Schemas['HsmActionView'];
type HsmAgent = Schemas['HsmAgentView'];
type FileState = Schemas['HsmFileState'];
type ClientMount = Schemas['ClientMountView'];

/** What `POST /api/copytool` answers: the plan, and the copytool (null for a dry run). */
type CopytoolCreated = Plan & { copytool?: Copytool | null };

/** A path inside the file system, as the API checks it. */
const HSM_PATH = /^\/[^\0]*$/;

interface CopytoolValues {
  client_mount_id?: string;
  archive_id: number;
  archive_path?: string;
}

/** Running a POSIX copytool on a mounted client. */
function AddCopytool({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<CopytoolValues>();
  const planned = usePlanned<CopytoolCreated>();
  const mounts = useLoad(
    () => (open ? get<Page<ClientMount>>('/client_mount', { filesystem_id: fs.id, limit: 1000 }).then((p) => p.objects) : Promise.resolve(undefined)),
    [fs.id, open],
  );
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => form.getFieldsValue(true) as CopytoolValues;
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('POST', '/copytool', body(), form);
  };
  return (
    <>
      <Button icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="add-copytool">
        Add copytool
      </Button>
      <Modal
        open={open}
        title={`Run a copytool for ${fs.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('POST', '/copytool', body(), form)}
            action="Add copytool"
            testId="copytool"
          />
        }
      >
        <ErrorNotice error={mounts.error} />
        {!planned.done && (
          <Form<CopytoolValues>
            form={form}
            layout="vertical"
            initialValues={{ archive_id: 1, archive_path: '/archive' }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Form.Item
              name="client_mount_id"
              label="Client mount"
              extra="lhsmtool_posix runs on that host, on that mount."
              rules={[{ required: true, message: 'Choose a mounted client mount' }]}
            >
              <Select
                data-testid="copytool-mount"
                showSearch={{ optionFilterProp: 'label' }}
                placeholder="A mounted client of this file system"
                loading={mounts.loading}
                options={(mounts.data ?? []).map((m) => ({
                  value: m.id,
                  label: `${m.host_name}:${m.mountpoint}`,
                  disabled: m.state !== 'mounted',
                }))}
              />
            </Form.Item>
            <Space align="start" wrap>
              <Form.Item name="archive_id" label="Archive id" rules={[{ required: true, message: 'An archive id' }]}>
                <InputNumber min={1} max={32} precision={0} data-testid="copytool-archive-id" />
              </Form.Item>
              <Form.Item
                name="archive_path"
                label="Archive root (--hsm-root)"
                rules={[{ required: true, message: 'A directory on the host' }]}
              >
                <Input data-testid="copytool-archive-path" style={{ width: 280 }} />
              </Form.Item>
            </Space>
          </Form>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

function CopytoolActions({ copytool, onDone }: { copytool: Copytool; onDone: (response: unknown) => void }) {
  const name = `the copytool of archive ${copytool.archive_id} on ${copytool.host_name}`;
  const running = copytool.state === 'started';
  return (
    <Space size={4} wrap>
      <ConfirmAction
        size="small"
        title={`${running ? 'Stop' : 'Start'} ${name}`}
        method="PATCH"
        path={`/copytool/${copytool.id}`}
        body={{ state: running ? 'stopped' : 'started' }}
        onDone={onDone}
        data-testid={`copytool-${running ? 'stop' : 'start'}-${copytool.archive_id}`}
      >
        {running ? 'Stop' : 'Start'}
      </ConfirmAction>
      <ConfirmAction
        size="small"
        danger
        title={`Remove ${name}`}
        method="DELETE"
        path={`/copytool/${copytool.id}`}
        onDone={onDone}
        data-testid={`copytool-remove-${copytool.archive_id}`}
      >
        Remove
      </ConfirmAction>
    </Space>
  );
}

interface RequestValues {
  action: 'archive' | 'release' | 'restore' | 'remove';
  path?: string;
  archive_id?: number | null;
}

/** Archiving, releasing, restoring or removing the archive copy of a path, and the file's last known state. */
function FileRequest({ fs, admin, live }: { fs: Filesystem; admin: boolean; live: boolean }) {
  const [form] = Form.useForm<RequestValues>();
  const planned = usePlanned();
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const state = useLoad(
    () =>
      path
        ? get<FileState>(`/filesystem/${fs.id}/hsm/state`, { path }).catch((e) => {
            // Never read: no request has named the file yet.
            if (e instanceof ApiError && e.status === 404) return undefined;
            throw e;
          })
        : Promise.resolve(undefined),
    [fs.id, path],
    ['job'],
    jobEnded,
  );
  const values = Form.useWatch([], form) ?? ({} as Partial<RequestValues>);
  const url = `/filesystem/${fs.id}/hsm/request`;
  const body = () => {
    const v = form.getFieldsValue(true) as RequestValues;
    return {
      action: v.action,
      path: v.path?.trim(),
      ...(v.action === 'archive' && v.archive_id ? { archive_id: v.archive_id } : {}),
    };
  };
  const start = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    setPath(form.getFieldValue('path')?.trim() ?? '');
    planned.reset();
    setOpen(true);
    await planned.preview('POST', url, body(), form);
  };
  const close = () => {
    setOpen(false);
    planned.reset();
  };
  const action = values.action ?? 'archive';
  return (
    <Card size="small" title="A file" style={{ marginBottom: 12 }}>
      <Form<RequestValues> form={form} layout="inline" initialValues={{ action: 'archive' }}>
        <Form.Item
          name="path"
          label="Path"
          rules={[
            { required: true, message: 'A path' },
            { pattern: HSM_PATH, message: 'An absolute path inside the file system' },
          ]}
        >
          <Input data-testid="hsm-path" placeholder="/dir/file" style={{ width: 280 }} />
        </Form.Item>
        <Form.Item>
          <Button
            onClick={async () => {
              try {
                await form.validateFields(['path']);
              } catch {
                return;
              }
              setPath(form.getFieldValue('path')?.trim() ?? '');
              state.reload();
            }}
            data-testid="hsm-show-state"
          >
            Show state
          </Button>
        </Form.Item>
        {admin && live && (
          <>
            <Form.Item name="action">
              <Radio.Group
                optionType="button"
                data-testid="hsm-action"
                options={[
                  { value: 'archive', label: 'Archive' },
                  { value: 'release', label: 'Release' },
                  { value: 'restore', label: 'Restore' },
                  { value: 'remove', label: 'Remove archive copy' },
                ]}
              />
            </Form.Item>
            {action === 'archive' && (
              <Form.Item name="archive_id" label="Archive id">
                <InputNumber min={1} max={32} precision={0} placeholder="the file's, else 1" style={{ width: 150 }} />
              </Form.Item>
            )}
            <Form.Item>
              <Button type="primary" onClick={start} data-testid="hsm-request">
                {action[0].toUpperCase() + action.slice(1)}…
              </Button>
            </Form.Item>
          </>
        )}
      </Form>
      <ErrorNotice error={state.error} />
      {path && (
        <div data-testid="hsm-file-state" data-states={(state.data?.states ?? []).join(' ')} style={{ marginTop: 12 }}>
          {state.data ? (
            <Descriptions
              size="small"
              column={{ xs: 1, md: 3 }}
              items={[
                { key: 'path', label: 'Path', children: <Typography.Text code>{state.data.path}</Typography.Text> },
                {
                  key: 'states',
                  label: 'State',
                  children: state.data.states.length ? (
                    <Space size={4} wrap>
                      {state.data.states.map((s) => (
                        <Tag key={s}>{s}</Tag>
                      ))}
                    </Space>
                  ) : (
                    'none'
                  ),
                },
                { key: 'archive', label: 'Archive id', children: state.data.archive_id || '–' },
                { key: 'fid', label: 'FID', children: state.data.fid ?? '–' },
                { key: 'read', label: 'Read', children: time(state.data.read_at) },
              ]}
            />
          ) : (
            !state.loading && <Typography.Text type="secondary">Not read yet: no request has named {path}.</Typography.Text>
          )}
        </div>
      )}
      <Modal
        open={open}
        title={`${action[0].toUpperCase() + action.slice(1)} ${path}`}
        onCancel={close}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={() => planned.preview('POST', url, body(), form)}
            onSubmit={() => planned.submit('POST', url, body(), form)}
            action={action[0].toUpperCase() + action.slice(1)}
            testId="hsm-request"
          />
        }
      >
        <PlannedResult planned={planned} />
      </Modal>
    </Card>
  );
}

export default function HsmTab({
  fs,
  admin,
  onDone,
}: {
  fs: Filesystem;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const { data, error, loading, reload } = useLoad(
    () => get<HsmStatus>(`/filesystem/${fs.id}/hsm`),
    [fs.id],
    ['job', 'alert'],
    jobEnded,
  );
  // A request job records the queue as it follows it, but no job ends
  // meanwhile: look again every few seconds while anything is queued.
  const busy = data?.actions.some((a) => a.status === 'WAITING' || a.status === 'STARTED') ?? false;
  useEffect(() => {
    if (!busy) return undefined;
    const timer = setInterval(reload, BUSY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [busy, reload]);
  const live = fs.managed && fs.state !== 'removed';
  const control = data?.control ?? 'unknown';
  const enabled = control === 'enabled';

  const copytoolColumns: ColumnsType<Copytool> = [
    { title: 'Host', dataIndex: 'host_name' },
    { title: 'Mount', dataIndex: 'mountpoint', render: (m: string) => <Typography.Text code>{m}</Typography.Text> },
    { title: 'Archive id', dataIndex: 'archive_id' },
    { title: 'Archive root', dataIndex: 'archive_path', render: (p: string) => <Typography.Text code>{p}</Typography.Text> },
    {
      title: 'State',
      dataIndex: 'state',
      render: (s: string, c) => (
        <span data-testid={`copytool-state-${c.archive_id}`} data-state={s}>
          <StateTag state={s} />
        </span>
      ),
    },
    { title: 'pid', dataIndex: 'pid', render: (p: number | null | undefined) => p ?? '–' },
  ];
  if (admin && live) {
    copytoolColumns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, c) => (c.state === 'removed' ? null : <CopytoolActions copytool={c} onDone={onDone} />),
    });
  }
  const actionColumns: ColumnsType<HsmAction> = [
    { title: 'Action', dataIndex: 'action' },
    { title: 'FID', dataIndex: 'fid', render: (f: string) => <Typography.Text code>{f}</Typography.Text> },
    { title: 'Archive id', dataIndex: 'archive_id' },
    { title: 'Status', dataIndex: 'status', render: (s: string) => <Tag>{s}</Tag> },
    { title: 'Cookie', dataIndex: 'cookie' },
  ];
  const agentColumns: ColumnsType<HsmAgent> = [
    { title: 'Agent', dataIndex: 'uuid' },
    { title: 'Archive ids', dataIndex: 'archive_ids', render: (ids: number[]) => (ids.length ? ids.join(', ') : 'any') },
    { title: 'Current', dataIndex: 'current' },
    { title: 'Done', dataIndex: 'ok' },
    { title: 'Errors', dataIndex: 'errors' },
  ];

  return (
    <>
      <ErrorNotice error={error} />
      <Card
        size="small"
        style={{ marginBottom: 12 }}
        title={
          <Space>
            Coordinator
            <span data-testid="hsm-control" data-state={control}>
              <Tag color={enabled ? 'green' : undefined}>{loading && !data ? '…' : control}</Tag>
            </span>
          </Space>
        }
        extra={
          admin &&
          live && (
            <ConfirmAction
              size="small"
              title={`${enabled ? 'Disable' : 'Enable'} the HSM coordinator of ${fs.name}`}
              method="PUT"
              path={`/filesystem/${fs.id}/hsm`}
              body={{ control: enabled ? 'disabled' : 'enabled' }}
              onDone={onDone}
              data-testid={`hsm-${enabled ? 'disable' : 'enable'}`}
            >
              {enabled ? 'Disable' : 'Enable'}
            </ConfirmAction>
          )
        }
      >
        <Typography.Text type="secondary">
          mdt.*.hsm_control as the MDTs last showed it{data?.read_at ? `, ${ago(data.read_at)}` : ''}. Requests wait until a
          copytool serving their archive id is registered as an agent.
        </Typography.Text>
      </Card>
      <Card size="small" title="Copytools" style={{ marginBottom: 12 }} extra={admin && live && <AddCopytool fs={fs} />}>
        <Table<Copytool>
          rowKey="id"
          size="small"
          columns={copytoolColumns}
          dataSource={data?.copytools.filter((c) => c.state !== 'removed')}
          loading={loading && !data}
          pagination={false}
          locale={{ emptyText: <Empty description="No copytools" /> }}
          onRow={(c) => ({ 'data-testid': `copytool-row-${c.archive_id}`, 'data-state': c.state }) as HTMLAttributes<HTMLElement>}
          scroll={{ x: 'max-content' }}
        />
      </Card>
      <FileRequest fs={fs} admin={admin} live={live} />
      <Card size="small" title="Queue and recent actions (hsm.actions)" style={{ marginBottom: 12 }}>
        <div data-testid="hsm-actions">
          <Table<HsmAction>
            rowKey={(a) => `${a.cookie}-${a.fid}`}
            size="small"
            columns={actionColumns}
            dataSource={data?.actions}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            locale={{ emptyText: <Empty description="No requests" /> }}
            scroll={{ x: 'max-content' }}
          />
        </div>
        {(data?.active_requests.length ?? 0) > 0 && (
          <>
            <Typography.Title level={5}>Active requests</Typography.Title>
            <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap' }}>{data?.active_requests.join('\n')}</pre>
          </>
        )}
      </Card>
      <Card size="small" title="Agents (hsm.agents)">
        <Table<HsmAgent>
          rowKey="uuid"
          size="small"
          columns={agentColumns}
          dataSource={data?.agents}
          pagination={false}
          locale={{ emptyText: <Empty description="No agents registered" /> }}
          scroll={{ x: 'max-content' }}
        />
      </Card>
    </>
  );
}
