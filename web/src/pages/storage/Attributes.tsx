// A resource's attributes, each shown as its declared type says: sizes in
// bytes, yes/no, statuses as tags, references as links to the resource.
import { Table, Tag, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';
import { bytes } from '../../format';
import type { Catalogue } from './model';
import ResourceLink from './ResourceLink';
import type { AttributeDef, Resource } from './types';

interface Row {
  name: string;
  type: string;
  value: ReactNode;
}

function statusColour(value: string): string {
  if (value === 'ok') return 'green';
  if (/fail|error|missing|offline|critical/i.test(value)) return 'red';
  return 'orange';
}

function show(def: AttributeDef | undefined, value: unknown, resource: Resource, catalogue: Catalogue): ReactNode {
  if (value === undefined || value === null || value === '') return <Typography.Text type="secondary">–</Typography.Text>;
  switch (def?.type) {
    case 'bytes':
      return typeof value === 'number' ? (
        <Tooltip title={`${value.toLocaleString('en-US')} bytes`}>
          <span>{bytes(value)}</span>
        </Tooltip>
      ) : (
        String(value)
      );
    case 'boolean':
      return <Tag color={value ? 'blue' : 'default'}>{value ? 'yes' : 'no'}</Tag>;
    case 'enum':
      return <Tag color={def.name === 'status' ? statusColour(String(value)) : 'default'}>{String(value)}</Tag>;
    case 'reference': {
      const other = catalogue.resolve(resource, value);
      return other ? <ResourceLink resource={other} catalogue={catalogue} /> : <Typography.Text code>{String(value)}</Typography.Text>;
    }
    case 'path':
    case 'uuid':
      return (
        <Typography.Text code copyable>
          {String(value)}
        </Typography.Text>
      );
    case 'integer':
      return typeof value === 'number' ? value.toLocaleString('en-US') : String(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return <Typography.Text code>{JSON.stringify(value)}</Typography.Text>;
  if (def?.name === 'status' || (!def && typeof value === 'string' && value === 'ok')) {
    return <Tag color={statusColour(String(value))}>{String(value)}</Tag>;
  }
  return String(value);
}

export default function Attributes({ resource, catalogue }: { resource: Resource; catalogue: Catalogue }) {
  const declared = catalogue.classOf(resource)?.attributes ?? [];
  const values = resource.attributes ?? {};
  const rows: Row[] = declared.map((def) => ({
    name: def.name,
    type: def.type === 'reference' && def.class ? `reference to ${def.class}` : def.type,
    value: show(def, values[def.name], resource, catalogue),
  }));
  // Attributes its class does not declare (an older plugin version's).
  for (const [name, value] of Object.entries(values)) {
    if (!declared.some((d) => d.name === name)) {
      rows.push({ name, type: typeof value, value: show(undefined, value, resource, catalogue) });
    }
  }
  return (
    <Table<Row>
      data-testid="storage-attributes"
      rowKey="name"
      size="small"
      pagination={false}
      showHeader={false}
      dataSource={rows}
      locale={{ emptyText: 'No attributes' }}
      columns={[
        { key: 'name', dataIndex: 'name', width: '35%', render: (name: string) => <Typography.Text strong>{name}</Typography.Text> },
        { key: 'value', dataIndex: 'value' },
        {
          key: 'type',
          dataIndex: 'type',
          width: 140,
          responsive: ['md'],
          render: (type: string) => <Typography.Text type="secondary">{type}</Typography.Text>,
        },
      ]}
    />
  );
}
