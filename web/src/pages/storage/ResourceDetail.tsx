// One resource: what it is (attributes), how it is doing (statistics,
// active alerts), what it stands on and holds up, and which Lustre targets
// and file systems depend on it.
import { Breadcrumb, Card, Col, Empty, Row, Space, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { get, type Page } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import type { AlertRecord } from '../../components/Notifications';
import StateTag from '../../components/StateTag';
import { ago, time } from '../../format';
import { useLoad } from '../../hooks';
import Attributes from './Attributes';
import Dependents from './Dependents';
import { healthOf, nameOf, type Catalogue } from './model';
import ResourceLink, { HealthDot, useStorageHref } from './ResourceLink';
import Statistics from './Statistics';
import type { Related, Resource, ResourceDetail as Detail } from './types';

const DIRECTION: Record<string, string> = { to: 'stands on', from: 'holds up' };

/** `same_as` has no direction: one row per resource, however it was stored. */
function distinct(related: Related[]): Related[] {
  const seen = new Set<string>();
  return related.filter((r) => {
    const key = r.kind === 'same_as' ? `same_as|${r.resource.id}` : `${r.direction}|${r.kind}|${r.resource.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function Alerts({ id }: { id: string }) {
  const { data, error } = useLoad(
    () => get<Page<AlertRecord>>('/alert', { item: `storage_resource/${id}`, active: true, limit: 100, order_by: '-raised_at' }),
    [id],
    ['alert'],
  );
  const alerts = data?.objects ?? [];
  return (
    <Card size="small" title={`Active alerts${alerts.length ? ` (${data?.meta.total_count})` : ''}`} style={{ marginBottom: 12 }}>
      <ErrorNotice error={error} />
      {alerts.length === 0 ? (
        <Typography.Text type="secondary" data-testid="storage-alerts" data-count={0}>
          {data ? 'None' : '…'}
        </Typography.Text>
      ) : (
        <div data-testid="storage-alerts" data-count={alerts.length}>
          {alerts.map((a) => (
            <div key={a.id} data-testid="storage-alert" style={{ padding: '4px 0' }}>
              <Space wrap size={[8, 0]}>
                <StateTag state={a.severity} />
                <Link to={`/alerts?id=${a.id}`}>{a.message}</Link>
                <Tooltip title={time(a.raised_at)}>
                  <Typography.Text type="secondary">{ago(a.raised_at)}</Typography.Text>
                </Tooltip>
                {a.acknowledged_at && <Tag>acknowledged</Tag>}
              </Space>
            </div>
          ))}
        </div>
      )}
    </Card>
  );
}

function RelatedTable({ related, catalogue }: { related: Related[]; catalogue: Catalogue }) {
  return (
    <Table<Related>
      data-testid="storage-related"
      rowKey={(r) => `${r.direction}-${r.kind}-${r.resource.id}`}
      size="small"
      pagination={false}
      dataSource={related}
      locale={{ emptyText: 'No relationships' }}
      columns={[
        {
          title: 'Relation',
          key: 'relation',
          render: (_, r) => (
            <Space size={4}>
              {r.kind !== 'same_as' && <Typography.Text>{DIRECTION[r.direction] ?? r.direction}</Typography.Text>}
              <Tag color={r.kind === 'same_as' ? 'blue' : undefined}>{r.kind.replace(/_/g, ' ')}</Tag>
            </Space>
          ),
        },
        { title: 'Resource', key: 'resource', render: (_, r) => <ResourceLink resource={r.resource} catalogue={catalogue} /> },
        { title: 'Plugin', key: 'plugin', responsive: ['lg'], render: (_, r) => r.resource.plugin },
      ]}
    />
  );
}

function ChildrenTable({ items, catalogue }: { items: Resource[]; catalogue: Catalogue }) {
  if (items.length === 0) {
    return (
      <Typography.Text type="secondary" data-testid="storage-children" data-count={0}>
        None
      </Typography.Text>
    );
  }
  return (
    <Table<Resource>
      data-testid="storage-children"
      rowKey="id"
      size="small"
      dataSource={items}
      pagination={items.length > 20 ? { pageSize: 20, size: 'small', showSizeChanger: false } : false}
      locale={{ emptyText: 'No children' }}
      columns={[
        { title: 'Resource', key: 'resource', render: (_, r) => <ResourceLink resource={r} catalogue={catalogue} /> },
        {
          title: 'Status',
          key: 'status',
          render: (_, r) => (r.attributes?.status === undefined ? '–' : String(r.attributes.status)),
        },
        { title: 'Alerts', dataIndex: 'alerts', render: (n: number) => (n > 0 ? <Tag color="red">{n}</Tag> : '–') },
      ]}
    />
  );
}

export default function ResourceDetail({ id, catalogue }: { id: string; catalogue: Catalogue }) {
  const href = useStorageHref();
  const { data: resource, error, loading } = useLoad(() => get<Detail>(`/storage_resource/${id}`), [id], ['storage', 'alert']);

  if (!resource) {
    return (
      <div data-testid="storage-detail" data-id={id}>
        <ErrorNotice error={error} />
        {loading ? <Spin /> : <Empty description="No such storage resource" />}
      </div>
    );
  }
  const health = healthOf(resource);
  const ancestors = catalogue.ancestors(resource.id);
  return (
    <div data-testid="storage-detail" data-id={resource.id} data-class={resource.class} data-health={health}>
      <ErrorNotice error={error} />
      {ancestors.length > 0 && (
        <Breadcrumb
          style={{ marginBottom: 8 }}
          items={[
            ...ancestors.map((a) => ({
              key: a.id,
              title: <Link to={href({ resource: a.id })}>{`${catalogue.labelOf(a)} ${nameOf(a)}`}</Link>,
            })),
            { key: resource.id, title: `${catalogue.labelOf(resource)} ${nameOf(resource)}` },
          ]}
        />
      )}
      <Card
        size="small"
        style={{ marginBottom: 12 }}
        title={
          <Space wrap>
            <HealthDot health={health} />
            <Typography.Text type="secondary">{catalogue.labelOf(resource)}</Typography.Text>
            <Typography.Title level={4} style={{ margin: 0 }} data-testid="storage-detail-name">
              {nameOf(resource)}
            </Typography.Title>
            {resource.removed_at && (
              <Tooltip title={`Gone from its plugin’s detection at ${time(resource.removed_at)}`}>
                <Tag>removed</Tag>
              </Tooltip>
            )}
          </Space>
        }
        extra={
          <Space wrap size={4}>
            <Tag>{resource.plugin}</Tag>
            <Tooltip title="The plugin’s id for it">
              <Typography.Text code>{resource.local_id}</Typography.Text>
            </Tooltip>
            {resource.volume_id && (
              <Tooltip title={`This is Chroma volume ${resource.volume_id}`}>
                <Link to="/configure/volumes">Chroma volume</Link>
              </Tooltip>
            )}
          </Space>
        }
      >
        <Attributes resource={resource} catalogue={catalogue} />
      </Card>
      <Row gutter={12}>
        <Col xs={24} xxl={12}>
          <Dependents targets={resource.targets ?? []} filesystems={resource.filesystems ?? []} />
        </Col>
        <Col xs={24} xxl={12}>
          <Alerts id={resource.id} />
        </Col>
      </Row>
      <Statistics resource={resource} catalogue={catalogue} />
      <Row gutter={12}>
        <Col xs={24} xxl={12}>
          <Card size="small" title="Related" style={{ marginBottom: 12 }}>
            <RelatedTable related={distinct(resource.related ?? [])} catalogue={catalogue} />
          </Card>
        </Col>
        <Col xs={24} xxl={12}>
          <Card size="small" title={`Children (${resource.children?.length ?? 0})`} style={{ marginBottom: 12 }}>
            <ChildrenTable items={resource.children ?? []} catalogue={catalogue} />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
