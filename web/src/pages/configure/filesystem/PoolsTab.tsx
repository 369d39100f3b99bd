// The file system's OST pools (`lctl pool_list` as last read back from the
// MGS): each with its OSTs and their space; creating one from a name and
// OSTs, changing its OSTs and destroying it, each through a dry run.
import { Button, Empty, Form, Input, Modal, Progress, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { HTMLAttributes } from 'react';
import { useState } from 'react';
import { get, type Page, type Plan, type Schemas } from '../../../api';
import ConfirmAction from '../../../components/ConfirmAction';
import ErrorNotice from '../../../components/ErrorNotice';
import StateTag from '../../../components/StateTag';
import { bytes, percent } from '../../../format';
import { useLoad } from '../../../hooks';
import type { Filesystem, Target } from '../types';
import { jobEnded, LIVE_KINDS, PlannedFooter, PlannedResult, usePlanned } from './planned';

type Pool = Schemas['OstPoolView'];

/** What `POST /api/ost_pool` answers: the plan, and the pool (null for a dry run). */
type PoolCreated = Plan & { pool?: Pool | null };

/** Lustre's rule for a pool name, as the API checks it. */
const POOL_NAME = /^[A-Za-z0-9_-]{1,15}$/;

/** OSTs that can be in a pool: registered with the MGS and not removed. */
const POOLABLE = new Set(['registered', 'unmounted', 'mounted']);

function useOsts(fsId: string, open: boolean) {
  return useLoad(
    () =>
      open
        ? get<Page<Target>>('/target', { filesystem_id: fsId, kind: 'ost', limit: 1000, order_by: 'name' })
        : Promise.resolve(undefined),
    [fsId, open],
    open ? ['target'] : [],
  );
}

/** An OST multi-select; Form.Item gives it `value` and `onChange`. */
function OstPicker({
  osts,
  loading,
  testId,
  ...field
}: {
  osts: Target[] | undefined;
  loading: boolean;
  testId: string;
  value?: string[];
  onChange?: (ids: string[]) => void;
}) {
  return (
    <Select
      {...field}
      data-testid={testId}
      mode="multiple"
      showSearch={{ optionFilterProp: 'label' }}
      placeholder="OSTs of this file system"
      loading={loading}
      options={(osts ?? [])
        .filter((t) => POOLABLE.has(t.state))
        .map((t) => ({ value: t.id, label: t.name, title: `${t.name} (${t.state})` }))}
    />
  );
}

interface PoolValues {
  name?: string;
  ost_ids: string[];
}

/** Creating a pool: a name and its OSTs. */
function CreatePool({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<PoolValues>();
  const planned = usePlanned<PoolCreated>();
  const osts = useOsts(fs.id, open);
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => ({ filesystem_id: fs.id, ...(form.getFieldsValue(true) as PoolValues) });
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('POST', '/ost_pool', body(), form);
  };
  return (
    <>
      <Button icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-pool">
        Create pool
      </Button>
      <Modal
        open={open}
        title={`Create an OST pool in ${fs.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('POST', '/ost_pool', body(), form)}
            action="Create pool"
            testId="pool"
          />
        }
      >
        <ErrorNotice error={osts.error} />
        {!planned.done && (
          <Form<PoolValues>
            form={form}
            layout="vertical"
            initialValues={{ ost_ids: [] }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Form.Item
              name="name"
              label="Name"
              extra={`Lustre calls it ${fs.name}.NAME; files are placed on it with lfs setstripe -p NAME.`}
              rules={[
                { required: true, message: 'Give the pool a name' },
                { pattern: POOL_NAME, message: '1 to 15 letters, digits, _ or -' },
              ]}
            >
              <Input data-testid="pool-name" placeholder="e.g. fast" maxLength={15} style={{ maxWidth: 240 }} />
            </Form.Item>
            <Form.Item name="ost_ids" label="OSTs">
              <OstPicker osts={osts.data?.objects} loading={osts.loading} testId="pool-osts" />
            </Form.Item>
          </Form>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

/** Changing which OSTs a pool holds (`pool_add` / `pool_remove`). */
function ChangePool({ fs, pool }: { fs: Filesystem; pool: Pool }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<PoolValues>();
  const planned = usePlanned();
  const osts = useOsts(fs.id, open);
  const path = `/ost_pool/${pool.id}`;
  const close = () => {
    setOpen(false);
    planned.reset();
  };
  const body = () => ({ ost_ids: (form.getFieldValue('ost_ids') as string[] | undefined) ?? [] });
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)} data-testid={`pool-change-${pool.name}`}>
        Change OSTs
      </Button>
      <Modal
        open={open}
        title={`Change the OSTs of ${fs.name}.${pool.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={() => planned.preview('PATCH', path, body(), form)}
            onSubmit={() => planned.submit('PATCH', path, body(), form)}
            action="Change OSTs"
            testId="pool-change"
          />
        }
      >
        {!planned.done && (
          <Form<PoolValues>
            form={form}
            layout="vertical"
            initialValues={{ ost_ids: pool.osts.map((o) => o.id) }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Form.Item name="ost_ids" label="OSTs" extra="Files already striped over the pool keep their objects.">
              <OstPicker osts={osts.data?.objects} loading={osts.loading} testId="pool-change-osts" />
            </Form.Item>
          </Form>
        )}
        <PlannedResult planned={planned} nothing="The pool already holds these OSTs." />
      </Modal>
    </>
  );
}

function PoolSpace({ total, free, testId }: { total: number | null | undefined; free: number | null | undefined; testId: string }) {
  if (total === null || total === undefined) {
    return (
      <Typography.Text type="secondary" data-testid={testId}>
        not measured yet
      </Typography.Text>
    );
  }
  const used = free === null || free === undefined ? undefined : total - free;
  return (
    <Tooltip title={`${bytes(used)} used of ${bytes(total)}`}>
      <div data-testid={testId} data-total={total} style={{ minWidth: 200 }}>
        <div>
          {bytes(free)} free of {bytes(total)}
        </div>
        <Progress percent={Math.round(percent(used, total) ?? 0)} size="small" showInfo={false} />
      </div>
    </Tooltip>
  );
}

export default function PoolsTab({
  fs,
  admin,
  onDone,
}: {
  fs: Filesystem;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const { data, error, loading } = useLoad(
    () => get<Page<Pool>>('/ost_pool', { filesystem_id: fs.id, limit: 1000 }),
    [fs.id],
    LIVE_KINDS,
    jobEnded,
  );
  const live = fs.managed && fs.state !== 'removed';
  const columns: ColumnsType<Pool> = [
    {
      title: 'Pool',
      dataIndex: 'name',
      render: (name: string) => (
        <Typography.Text code>
          {fs.name}.{name}
        </Typography.Text>
      ),
    },
    { title: 'State', dataIndex: 'state', render: (s: string) => <StateTag state={s} /> },
    {
      title: 'OSTs',
      key: 'osts',
      render: (_, p) =>
        p.osts.length ? (
          <Space size={4} wrap data-testid={`pool-osts-${p.name}`}>
            {p.osts.map((o) => (
              <Tooltip
                key={o.id}
                title={o.bytes_total === null || o.bytes_total === undefined ? 'not measured yet' : `${bytes(o.bytes_free)} free of ${bytes(o.bytes_total)}`}
              >
                <Tag>{o.name}</Tag>
              </Tooltip>
            ))}
          </Space>
        ) : (
          <Typography.Text type="secondary" data-testid={`pool-osts-${p.name}`}>
            none
          </Typography.Text>
        ),
    },
    {
      title: 'Space',
      key: 'space',
      render: (_, p) => <PoolSpace total={p.bytes_total} free={p.bytes_free} testId={`pool-space-${p.name}`} />,
    },
  ];
  if (admin && live) {
    columns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, p) => (
        <Space size={4} wrap>
          <ChangePool fs={fs} pool={p} />
          <ConfirmAction
            size="small"
            danger
            title={`Destroy pool ${fs.name}.${p.name}`}
            method="DELETE"
            path={`/ost_pool/${p.id}`}
            onDone={onDone}
            data-testid={`pool-destroy-${p.name}`}
          >
            Destroy
          </ConfirmAction>
        </Space>
      ),
    });
  }
  return (
    <>
      {admin && live && (
        <div style={{ marginBottom: 12 }}>
          <CreatePool fs={fs} />
        </div>
      )}
      <ErrorNotice error={error} />
      <div data-testid="pools">
        <Table<Pool>
          rowKey="id"
          size="small"
          loading={loading && !data}
          columns={columns}
          dataSource={data?.objects}
          pagination={false}
          locale={{ emptyText: <Empty description="No OST pools" /> }}
          onRow={(p) => ({ 'data-testid': `pool-row-${p.name}`, 'data-state': p.state }) as HTMLAttributes<HTMLElement>}
          scroll={{ x: 'max-content' }}
        />
      </div>
    </>
  );
}
