// The file system's quotas: which quota types it enforces (`quota.ost` for
// blocks, `quota.mdt` for inodes, set on the MGS), and the limits of each
// user, group and project with their usage as last read (`lfs quota` on a
// client mount), who is over a limit, setting and clearing limits, and
// the grace times per quota type (`lfs setquota -t`, read back with `lfs
// quota -t`); each change through a dry run.
import { Alert, Button, Checkbox, Empty, Form, Input, InputNumber, Modal, Radio, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { HTMLAttributes } from 'react';
import { useEffect, useRef, useState } from 'react';
import { get, type Page, type Plan, type Schemas } from '../../../api';
import ConfirmAction from '../../../components/ConfirmAction';
import ErrorNotice from '../../../components/ErrorNotice';
import { ago, bytes, count } from '../../../format';
import { useLoad } from '../../../hooks';
import type { Filesystem } from '../types';
import { jobEnded, PlannedFooter, PlannedResult, usePlanned } from './planned';

type Quota = Schemas['QuotaView'];

/** What `POST /api/quota` answers: the plan, and the quota (null for a dry run). */
type QuotaChanged = Plan & { quota?: Quota | null };

const KINDS = [
  { value: 'user', label: 'User', letter: 'u' },
  { value: 'group', label: 'Group', letter: 'g' },
  { value: 'project', label: 'Project', letter: 'p' },
];

/** The letters of `ugp` ticked, or `none`. */
const setting = (letters: string[]) =>
  KINDS.map((k) => k.letter)
    .filter((l) => letters.includes(l))
    .join('') || 'none';

/** The letters of a setting (`ug` → `['u', 'g']`, `none` → `[]`). */
const letters = (value: string) => (value === 'none' ? [] : value.split(''));

/** The kinds a setting names (`ug` → `user, group`), or `none`. */
const kinds = (value: string) =>
  KINDS.filter((k) => letters(value).includes(k.letter))
    .map((k) => k.value)
    .join(', ') || 'none';

interface EnforceValues {
  ost: string[];
  mdt: string[];
}

/** Choosing the quota types the file system enforces. */
function Enforcement({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<EnforceValues>();
  const planned = usePlanned();
  const path = `/filesystem/${fs.id}/quota`;
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => {
    const v = form.getFieldsValue(true) as EnforceValues;
    return { ost: setting(v.ost ?? []), mdt: setting(v.mdt ?? []) };
  };
  const options = KINDS.map((k) => ({ value: k.letter, label: k.label }));
  // Ticked on each opening: what the targets enforce then. (A form keeps
  // its values across openings, so initialValues would show the first
  // ones; a reload while the dialog is open leaves the operator's ticks.)
  const enforced = { ost: letters(fs.quota_ost), mdt: letters(fs.quota_mdt) };
  const enforcedNow = useRef(enforced);
  enforcedNow.current = enforced;
  useEffect(() => {
    if (open) form.setFieldsValue(enforcedNow.current);
  }, [open, form]);
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="quota-enforcement">
        Quota enforcement
      </Button>
      <Modal
        open={open}
        title={`Quota enforcement on ${fs.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={() => planned.preview('PUT', path, body(), form)}
            onSubmit={() => planned.submit('PUT', path, body(), form)}
            action="Apply"
            testId="quota-enforce"
          />
        }
      >
        {!planned.done && (
          <Form<EnforceValues>
            form={form}
            layout="vertical"
            initialValues={{ ost: letters(fs.quota_ost), mdt: letters(fs.quota_mdt) }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Typography.Paragraph type="secondary">
              Lustre always counts usage; limits are enforced only for the types ticked here (lctl conf_param{' '}
              {fs.name}.quota.ost / .mdt on the MGS). What is not ticked is not enforced. Ticked: what the
              targets enforce now.
            </Typography.Paragraph>
            <Form.Item name="ost" label="Block quotas (on the OSTs)">
              <Checkbox.Group options={options} data-testid="quota-enforce-ost" />
            </Form.Item>
            <Form.Item name="mdt" label="Inode quotas (on the MDTs)">
              <Checkbox.Group options={options} data-testid="quota-enforce-mdt" />
            </Form.Item>
          </Form>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

/** Lustre's grace format (`1w2d3h4m5s`, or bare seconds) in seconds; null when malformed. */
export const graceSeconds = (text: string): number | null => {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!t || !m) return null;
  const [w, d, h, min, sec] = m.slice(1).map((x) => Number(x ?? 0));
  return w * 604800 + d * 86400 + h * 3600 + min * 60 + sec;
};

/** Seconds as `lfs` prints a grace time (`__sec2str`): `1w2d`, `0s` for zero. */
export const graceText = (seconds: number) => {
  let left = seconds;
  const parts = (
    [
      [604800, 'w'],
      [86400, 'd'],
      [3600, 'h'],
      [60, 'm'],
      [1, 's'],
    ] as const
  ).flatMap(([mult, unit]) => {
    const n = Math.floor(left / mult);
    left %= mult;
    return n > 0 ? [`${n}${unit}`] : [];
  });
  return parts.join('') || '0s';
};

interface GraceValues {
  kind: string;
  block?: string;
  inode?: string;
}

const graceRule = {
  validator: (_: unknown, v?: string) =>
    !v || graceSeconds(v) !== null
      ? Promise.resolve()
      : Promise.reject(new Error('Seconds, or weeks/days/hours/minutes/seconds like 1w2d3h')),
};

/** Setting one quota type's grace times: how long usage may stay over a soft limit. */
function GraceTimes({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<GraceValues>();
  const planned = usePlanned();
  const path = `/filesystem/${fs.id}/quota/grace`;
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => {
    const v = form.getFieldsValue(true) as GraceValues;
    const secs = (t?: string) => (t ? (graceSeconds(t) ?? undefined) : undefined);
    return { kind: v.kind, block_secs: secs(v.block), inode_secs: secs(v.inode) };
  };
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('PUT', path, body(), form);
  };
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="quota-grace">
        Grace times
      </Button>
      <Modal
        open={open}
        title={`Quota grace times on ${fs.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('PUT', path, body(), form)}
            action="Set grace times"
            testId="quota-grace"
          />
        }
      >
        {!planned.done && (
          <Form<GraceValues>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'user' }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Typography.Paragraph type="secondary">
              How long usage may stay above a soft limit before the soft limit refuses more, as lfs setquota -t
              takes it (1w, 2d12h, or seconds). A time left empty keeps its value.
            </Typography.Paragraph>
            <Form.Item name="kind" label="For">
              <Radio.Group optionType="button" options={KINDS} data-testid="quota-grace-kind" />
            </Form.Item>
            <Space align="start" wrap>
              <Form.Item name="block" label="Space grace" rules={[graceRule]}>
                <Input placeholder="1w" data-testid="quota-grace-block" style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="inode" label="Files grace" rules={[graceRule]}>
                <Input placeholder="1w" data-testid="quota-grace-inode" style={{ width: 160 }} />
              </Form.Item>
            </Space>
          </Form>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

interface LimitValues {
  kind: string;
  id?: number;
  block_soft?: number | null;
  block_hard?: number | null;
  inode_soft?: number | null;
  inode_hard?: number | null;
}

const GIB = 1024 * 1024;

/** Setting one user's, group's or project's limits (block limits asked in GiB, sent in KiB). */
function SetLimit({ fs }: { fs: Filesystem }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<LimitValues>();
  const planned = usePlanned<QuotaChanged>();
  const close = () => {
    setOpen(false);
    form.resetFields();
    planned.reset();
  };
  const body = () => {
    const v = form.getFieldsValue(true) as LimitValues;
    const kib = (gib: number | null | undefined) => Math.round((gib ?? 0) * GIB);
    return {
      filesystem_id: fs.id,
      kind: v.kind,
      id: v.id,
      block_soft: kib(v.block_soft),
      block_hard: kib(v.block_hard),
      inode_soft: v.inode_soft ?? 0,
      inode_hard: v.inode_hard ?? 0,
    };
  };
  const preview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    await planned.preview('POST', '/quota', body(), form);
  };
  return (
    <>
      <Button icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="set-quota">
        Set a limit
      </Button>
      <Modal
        open={open}
        title={`Set a quota on ${fs.name}`}
        onCancel={close}
        width={640}
        destroyOnHidden
        footer={
          <PlannedFooter
            planned={planned}
            onClose={close}
            onPreview={preview}
            onSubmit={() => planned.submit('POST', '/quota', body(), form)}
            action="Set limit"
            testId="quota"
          />
        }
      >
        {!planned.done && (
          <Form<LimitValues>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'user' }}
            onValuesChange={planned.stale}
            disabled={planned.busy}
          >
            <Space align="start" wrap>
              <Form.Item name="kind" label="For">
                <Radio.Group optionType="button" options={KINDS} data-testid="quota-kind" />
              </Form.Item>
              <Form.Item name="id" label="uid, gid or project id" rules={[{ required: true, message: 'An id' }]}>
                <InputNumber min={1} precision={0} data-testid="quota-id" style={{ width: 160 }} />
              </Form.Item>
            </Space>
            <Space align="start" wrap>
              <Form.Item name="block_soft" label="Space, soft (GiB)" extra="0 or empty: no limit">
                <InputNumber min={0} data-testid="quota-block-soft" style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="block_hard" label="Space, hard (GiB)">
                <InputNumber min={0} data-testid="quota-block-hard" style={{ width: 160 }} />
              </Form.Item>
            </Space>
            <Space align="start" wrap>
              <Form.Item name="inode_soft" label="Files, soft">
                <InputNumber min={0} precision={0} data-testid="quota-inode-soft" style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="inode_hard" label="Files, hard">
                <InputNumber min={0} precision={0} data-testid="quota-inode-hard" style={{ width: 160 }} />
              </Form.Item>
            </Space>
          </Form>
        )}
        <PlannedResult planned={planned} />
      </Modal>
    </>
  );
}

/** Usage against a soft and a hard limit, marked when over. */
function Usage({
  used,
  soft,
  hard,
  grace,
  inaccurate,
  format,
}: {
  used: number | null | undefined;
  soft: number;
  hard: number;
  grace: string | null | undefined;
  inaccurate?: boolean;
  format: (n: number) => string;
}) {
  const over = used !== null && used !== undefined && ((soft > 0 && used > soft) || (hard > 0 && used >= hard));
  const limits = `${soft ? format(soft) : '–'} / ${hard ? format(hard) : '–'}`;
  return (
    <div>
      <div>
        <Typography.Text type={over ? 'danger' : undefined}>
          {used === null || used === undefined ? 'not read yet' : format(used)}
          {over && '*'}
        </Typography.Text>
        {inaccurate && (
          <Tooltip title="A target (an OST that is down) did not answer lfs quota: the usage lacks its share.">
            <Tag color="gold" style={{ marginLeft: 8 }}>
              inaccurate
            </Tag>
          </Tooltip>
        )}
      </div>
      <Typography.Text type="secondary">soft / hard: {limits}</Typography.Text>
      {grace && (
        <div>
          {grace === 'none' ? (
            <Typography.Text type="danger">grace spent: the soft limit refuses more</Typography.Text>
          ) : (
            <Typography.Text type="warning">grace left: {grace}</Typography.Text>
          )}
        </div>
      )}
    </div>
  );
}

export default function QuotasTab({
  fs,
  admin,
  onDone,
}: {
  fs: Filesystem;
  admin: boolean;
  onDone: (response: unknown) => void;
}) {
  const [overOnly, setOverOnly] = useState(false);
  const { data, error, loading } = useLoad(
    () => get<Page<Quota>>('/quota', { filesystem_id: fs.id, over: overOnly || undefined, limit: 1000 }),
    [fs.id, overOnly],
    ['job', 'alert'],
    jobEnded,
  );
  const live = fs.managed && fs.state !== 'removed';
  const kib = (n: number) => bytes(n * 1024);
  const columns: ColumnsType<Quota> = [
    {
      title: 'Who',
      key: 'who',
      render: (_, q) => (
        <span>
          {q.kind} {q.qid}
        </span>
      ),
    },
    {
      title: 'Space',
      key: 'space',
      render: (_, q) => (
        <Usage
          used={q.block_used}
          soft={q.block_soft}
          hard={q.block_hard}
          grace={q.block_grace_left}
          inaccurate={q.inaccurate}
          format={kib}
        />
      ),
    },
    {
      title: 'Files',
      key: 'files',
      render: (_, q) => (
        <Usage used={q.inode_used} soft={q.inode_soft} hard={q.inode_hard} grace={q.inode_grace_left} format={count} />
      ),
    },
    {
      title: 'Over',
      key: 'over',
      render: (_, q) => (
        <span data-testid={`quota-over-${q.kind}-${q.qid}`} data-over={q.over_hard ? 'hard' : q.over_soft ? 'soft' : 'no'}>
          {q.over_hard ? <Tag color="red">hard limit</Tag> : q.over_soft ? <Tag color="orange">soft limit</Tag> : '–'}
        </span>
      ),
    },
    { title: 'State', dataIndex: 'state', render: (s: string) => <Tag>{s}</Tag> },
    {
      title: 'Read',
      dataIndex: 'read_at',
      render: (t: string | null | undefined) => <Tooltip title={t ?? 'never'}>{ago(t)}</Tooltip>,
    },
  ];
  if (admin && live) {
    columns.push({
      title: 'Actions',
      key: 'actions',
      render: (_, q) => (
        <ConfirmAction
          size="small"
          danger
          title={`Clear the quota of ${q.kind} ${q.qid}`}
          method="DELETE"
          path={`/quota/${q.id}`}
          onDone={onDone}
          data-testid={`quota-clear-${q.kind}-${q.qid}`}
        >
          Clear
        </ConfirmAction>
      ),
    });
  }
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        {admin && live && <Enforcement fs={fs} />}
        {admin && live && <SetLimit fs={fs} />}
        {admin && live && <GraceTimes fs={fs} />}
        <span data-testid="quota-enforced" data-ost={fs.quota_ost} data-mdt={fs.quota_mdt}>
          <Typography.Text type="secondary">Enforced: </Typography.Text>
          space (OSTs) {kinds(fs.quota_ost)}; files (MDTs) {kinds(fs.quota_mdt)}
        </span>
        <span data-testid="quota-grace-times">
          <Typography.Text type="secondary">Grace (space / files): </Typography.Text>
          {fs.quota_grace.length === 0
            ? 'not read yet (Lustre starts with a week)'
            : fs.quota_grace
                .map((g) => `${g.kind} ${graceText(g.block_secs)} / ${graceText(g.inode_secs)}`)
                .join('; ')}
        </span>
        <Checkbox checked={overOnly} onChange={(e) => setOverOnly(e.target.checked)} data-testid="quota-over-only">
          Only those over a limit
        </Checkbox>
      </Space>
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 12 }}
        title="Limits are set and usage read with lfs on a mounted client mount of this file system (see Client mounts)."
      />
      <ErrorNotice error={error} />
      <div data-testid="quotas">
        <Table<Quota>
          rowKey="id"
          size="small"
          loading={loading && !data}
          columns={columns}
          dataSource={data?.objects}
          pagination={false}
          locale={{ emptyText: <Empty description="No quotas" /> }}
          onRow={(q) =>
            ({ 'data-testid': `quota-row-${q.kind}-${q.qid}`, 'data-state': q.state }) as HTMLAttributes<HTMLElement>
          }
          scroll={{ x: 'max-content' }}
        />
      </div>
    </>
  );
}
