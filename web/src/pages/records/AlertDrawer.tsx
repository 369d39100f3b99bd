// One alert in full, opened from the Alerts table or from `?id=` (the
// notification area links there): what it is about, its details, who
// acknowledged it, and what can be done about it.
import { App, Button, Descriptions, Drawer, Space, Spin, Tag, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { get, post } from '../../api';
import { useAuth } from '../../auth';
import ConfirmAction from '../../components/ConfirmAction';
import ErrorNotice from '../../components/ErrorNotice';
import type { AlertRecord } from '../../components/Notifications';
import StateTag from '../../components/StateTag';
import { ago, duration, time } from '../../format';
import { useLoad } from '../../hooks';
import DetailsList from './DetailsList';
import { kindLabel } from './kinds';
import { ItemLink } from './links';

export default function AlertDrawer({ id, onClose, onChanged }: { id: string | null; onClose: () => void; onChanged: () => void }) {
  const { can } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const alert = useLoad(() => (id ? get<AlertRecord>(`/alert/${id}`) : Promise.resolve(undefined)), [id], ['alert']);
  const a = alert.data && alert.data.id === id ? alert.data : undefined;
  const details = a?.details ?? {};
  const targetId = typeof details.target_id === 'string' ? details.target_id : undefined;

  const acknowledge = async () => {
    if (!a) return;
    try {
      await post(`/alert/${a.id}/acknowledge`);
      message.success('Alert acknowledged');
      alert.reload();
      onChanged();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      size="large"
      title={a ? a.message : 'Alert'}
      data-testid="alert-details"
      extra={
        a &&
        can('fsadmin') &&
        !a.acknowledged_at && (
          <Button type="primary" onClick={acknowledge} data-testid="acknowledge-one">
            Acknowledge
          </Button>
        )
      }
    >
      <ErrorNotice error={alert.error} />
      {!a && !alert.error && <Spin />}
      {a && (
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions
            size="small"
            column={1}
            bordered
            items={[
              { key: 'severity', label: 'Severity', children: <StateTag state={a.severity} /> },
              {
                key: 'kind',
                label: 'Kind',
                children: (
                  <span>
                    {kindLabel(a.kind)} <Typography.Text code>{a.kind}</Typography.Text>
                  </span>
                ),
              },
              { key: 'item', label: 'About', children: <ItemLink item={a.item} details={a.details} full /> },
              { key: 'message', label: 'Message', children: a.message },
              { key: 'raised', label: 'Raised', children: `${time(a.raised_at)} (${ago(a.raised_at)})` },
              {
                key: 'cleared',
                label: 'Status',
                children: a.cleared_at ? (
                  <span>
                    <Tag>cleared</Tag> {time(a.cleared_at)}, after {duration(a.raised_at, a.cleared_at)}
                  </span>
                ) : (
                  <span>
                    <Tag color="red">active</Tag> for {duration(a.raised_at)}
                  </span>
                ),
              },
              {
                key: 'ack',
                label: 'Acknowledged',
                children: a.acknowledged_at ? `by ${a.acknowledged_by ?? '?'} at ${time(a.acknowledged_at)}` : 'not yet',
              },
              { key: 'id', label: 'Id', children: <Typography.Text copyable>{a.id}</Typography.Text> },
            ]}
          />
          <div>
            <Typography.Title level={5}>Details</Typography.Title>
            <DetailsList details={a.details} />
          </div>
          {details.action === 'failback' && targetId && (
            <div data-testid="alert-action">
              <Typography.Title level={5}>Suggested action</Typography.Title>
              <Typography.Paragraph>
                The target runs on a failover server. Fail it back to its primary server once that server is healthy.
              </Typography.Paragraph>
              {can('fsadmin') && !a.cleared_at ? (
                <ConfirmAction
                  title="Fail back target"
                  method="POST"
                  path={`/target/${targetId}/failback`}
                  data-testid="failback"
                  onDone={(response) => {
                    const command = (response as { command?: string | null } | undefined)?.command;
                    if (command) navigate(`/jobs/${command}`);
                  }}
                />
              ) : (
                <Typography.Text type="secondary">
                  {a.cleared_at ? 'The alert has cleared.' : 'An fsadmin can run it.'}
                </Typography.Text>
              )}
            </div>
          )}
        </Space>
      )}
    </Drawer>
  );
}
