// The user's own alert notifications: subscriptions by email or signed
// webhook (which kinds, from which severity), a test message for each,
// and the recent deliveries with their status, attempts and last error.
import { App, Button, Card, Flex, Form, Input, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { useState } from 'react';
import { ApiError, del, get, patch, post, type Page, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { time } from '../../format';
import { useLoad } from '../../hooks';
import { KINDS, kindLabel } from '../records/kinds';

type Subscription = Schemas['SubscriptionView'];
type Delivery = Schemas['DeliveryView'];
type NewSubscription = Schemas['NewSubscription'];

const SEVERITIES = ['info', 'warning', 'error'].map((s) => ({ value: s, label: `${s} and worse` }));
const STATUS_COLOURS: Record<string, string> = {
  sent: 'green',
  failed: 'red',
  pending: 'orange',
  sending: 'blue',
  collecting: 'default',
};

/** Where a subscription's messages go. */
const target = (s: Subscription) => (s.channel === 'email' ? s.email : s.webhook_url) ?? '';

function AddSubscription({ onAdded }: { onAdded: () => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<NewSubscription>();
  const channel = Form.useWatch('channel', form) ?? 'email';
  const [busy, setBusy] = useState(false);

  const submit = async (values: NewSubscription) => {
    setBusy(true);
    try {
      const body: NewSubscription = {
        channel: values.channel,
        kinds: values.kinds ?? [],
        min_severity: values.min_severity,
        ...(values.channel === 'email'
          ? { email: values.email }
          : { webhook_url: values.webhook_url, webhook_secret: values.webhook_secret }),
      };
      await post<Subscription>('/alert_subscription', body);
      message.success('Subscribed');
      form.resetFields();
      onAdded();
    } catch (e) {
      const error = e as ApiError;
      const fields = ['email', 'webhook_url', 'webhook_secret', 'kinds'] as const;
      form.setFields(fields.map((name) => ({ name, errors: error.about?.(name) ? [error.about(name) as string] : [] })));
      message.error(error.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form
      form={form}
      layout="inline"
      initialValues={{ channel: 'email', min_severity: 'warning', kinds: [] }}
      onFinish={(v) => void submit(v)}
      data-testid="subscription-form"
    >
      <Form.Item name="channel">
        <Select
          style={{ width: 110 }}
          options={[
            { value: 'email', label: 'Email' },
            { value: 'webhook', label: 'Webhook' },
          ]}
        />
      </Form.Item>
      {channel === 'email' ? (
        <Form.Item name="email" rules={[{ required: true, message: 'an address' }]}>
          <Input placeholder="ops@example.com" style={{ width: 220 }} data-testid="subscription-email" />
        </Form.Item>
      ) : (
        <>
          <Form.Item name="webhook_url" rules={[{ required: true, message: 'a URL' }]}>
            <Input placeholder="https://hooks.example.com/chroma" style={{ width: 260 }} />
          </Form.Item>
          <Form.Item name="webhook_secret" rules={[{ required: true, min: 16, message: '16 characters or more' }]}>
            <Input.Password placeholder="signing secret" style={{ width: 180 }} />
          </Form.Item>
        </>
      )}
      <Form.Item name="kinds">
        <Select
          mode="multiple"
          allowClear
          placeholder="every kind"
          style={{ minWidth: 200 }}
          options={KINDS}
        />
      </Form.Item>
      <Form.Item name="min_severity">
        <Select style={{ width: 160 }} options={SEVERITIES} />
      </Form.Item>
      <Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="subscribe">
          Subscribe
        </Button>
      </Form.Item>
    </Form>
  );
}

export default function Notifications() {
  const { message } = App.useApp();
  const subscriptions = useLoad(() => get<Page<Subscription>>('/alert_subscription', { limit: 100 }), []);
  const deliveries = useLoad(() => get<Page<Delivery>>('/alert_delivery', { limit: 20 }), []);
  const [testing, setTesting] = useState<string>();

  const reload = () => {
    subscriptions.reload();
    deliveries.reload();
  };

  const test = async (s: Subscription) => {
    setTesting(s.id);
    try {
      const sent = await post<Delivery>(`/alert_subscription/${s.id}/test`);
      if (sent.status === 'sent') message.success(`Test message sent to ${target(s)}`);
      else message.error(`The test message failed: ${sent.last_error ?? sent.status}`);
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setTesting(undefined);
      deliveries.reload();
    }
  };

  const change = async (s: Subscription, body: Schemas['SubscriptionChange']) => {
    try {
      await patch(`/alert_subscription/${s.id}`, body);
      subscriptions.reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (s: Subscription) => {
    try {
      await del(`/alert_subscription/${s.id}`);
      reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const columns: TableColumnsType<Subscription> = [
    { title: 'Channel', dataIndex: 'channel', key: 'channel', width: 100 },
    { title: 'To', key: 'to', render: (_, s) => <Typography.Text code>{target(s)}</Typography.Text> },
    {
      title: 'Kinds',
      dataIndex: 'kinds',
      key: 'kinds',
      render: (kinds: string[]) => (kinds.length === 0 ? 'every kind' : kinds.map((k) => <Tag key={k}>{kindLabel(k)}</Tag>)),
    },
    { title: 'From severity', dataIndex: 'min_severity', key: 'min_severity', width: 130 },
    {
      title: 'Enabled',
      dataIndex: 'enabled',
      key: 'enabled',
      width: 90,
      render: (enabled: boolean, s) => <Switch size="small" checked={enabled} onChange={(on) => void change(s, { enabled: on })} />,
    },
    {
      title: '',
      key: 'actions',
      width: 220,
      render: (_, s) => (
        <Space>
          <Button size="small" loading={testing === s.id} onClick={() => void test(s)} data-testid={`test-${s.id}`}>
            Send test message
          </Button>
          <Popconfirm title="Delete this subscription?" onConfirm={() => void remove(s)}>
            <Button size="small" danger>
              Delete
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  const deliveryColumns: TableColumnsType<Delivery> = [
    { title: 'Created', dataIndex: 'created_at', key: 'created_at', render: (t: string) => time(t) },
    { title: 'Channel', dataIndex: 'channel', key: 'channel' },
    { title: 'Alerts', key: 'alerts', render: (_, d) => (d.test ? 'test' : d.alert_count) },
    {
      title: 'Status',
      dataIndex: 'status',
      key: 'status',
      render: (status: string) => <Tag color={STATUS_COLOURS[status]}>{status}</Tag>,
    },
    { title: 'Attempts', dataIndex: 'attempts', key: 'attempts' },
    { title: 'Last error', dataIndex: 'last_error', key: 'last_error', render: (e: string | null) => e ?? '–' },
  ];

  return (
    <Flex vertical gap={16} data-testid="notifications">
      <Card title="Alert notifications">
        <Typography.Paragraph type="secondary">
          Alerts raised within a minute of each other arrive as one message. Webhooks are signed: see the
          README's &ldquo;Alert delivery&rdquo;.
        </Typography.Paragraph>
        <AddSubscription onAdded={reload} />
        <ErrorNotice error={subscriptions.error} />
        <Table
          style={{ marginTop: 16 }}
          rowKey="id"
          size="small"
          loading={subscriptions.loading}
          columns={columns}
          dataSource={subscriptions.data?.objects ?? []}
          pagination={false}
        />
      </Card>
      <Card title="Recent deliveries" extra={<Button size="small" onClick={deliveries.reload}>Refresh</Button>}>
        <ErrorNotice error={deliveries.error} />
        <Table
          rowKey="id"
          size="small"
          loading={deliveries.loading}
          columns={deliveryColumns}
          dataSource={deliveries.data?.objects ?? []}
          pagination={false}
          data-testid="deliveries"
        />
      </Card>
    </Flex>
  );
}
