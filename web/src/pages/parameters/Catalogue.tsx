// The parameters Chroma knows (`GET /api/param`): what each takes, its
// default, where it applies and what it does.
import { Button, Drawer, Input, Table, Tag, Typography } from 'antd';
import { BookOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { kindText, scopeText, type ParamSpec } from './types';

export default function Catalogue({ catalogue }: { catalogue: ParamSpec[] | undefined }) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const shown = (catalogue ?? []).filter(
    (s) => !search || `${s.name} ${s.description}`.toLowerCase().includes(search.toLowerCase()),
  );
  return (
    <>
      <Button icon={<BookOutlined />} onClick={() => setOpen(true)} disabled={!catalogue} data-testid="params-catalogue">
        Known parameters
      </Button>
      <Drawer title="Parameters Chroma knows" open={open} onClose={() => setOpen(false)} size="large" destroyOnHidden>
        <Input.Search allowClear placeholder="Filter" onChange={(e) => setSearch(e.target.value)} style={{ marginBottom: 12 }} />
        <Table<ParamSpec>
          rowKey="name"
          size="small"
          dataSource={shown}
          pagination={false}
          columns={[
            {
              title: 'Parameter',
              dataIndex: 'name',
              sorter: (a, b) => a.name.localeCompare(b.name),
              defaultSortOrder: 'ascend',
              render: (name: string, s) => (
                <>
                  <Typography.Text strong>{name}</Typography.Text>{' '}
                  <Tag>{s.side}</Tag>
                  <div style={{ fontSize: 12 }}>{s.description}</div>
                </>
              ),
            },
            {
              title: 'Takes',
              key: 'kind',
              render: (_, s) => (
                <div style={{ fontSize: 12 }}>
                  {kindText(s)}
                  {s.default !== null && <div>default {s.default}</div>}
                </div>
              ),
            },
            {
              title: 'Applies to',
              dataIndex: 'applies_to',
              filters: ['filesystem', 'mdt', 'ost', 'mdt_or_all_mdts'].map((v) => ({ text: v, value: v })),
              onFilter: (v, s) => s.applies_to === v,
              render: (scope: ParamSpec['applies_to']) => <span style={{ fontSize: 12 }}>{scopeText(scope)}</span>,
            },
          ]}
        />
      </Drawer>
    </>
  );
}
