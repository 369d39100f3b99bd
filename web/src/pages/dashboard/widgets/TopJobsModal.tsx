// The jobs that moved the most bytes on one OST over one heat-map cell.
import { Modal, Table } from 'antd';
import { get } from '../../../api';
import ErrorNotice from '../../../components/ErrorNotice';
import { bytes, count } from '../../../format';
import { useLoad } from '../../../hooks';
import { span } from '../chartOptions';
import type { JobStats, JobUsage } from '../types';

export interface Cell {
  targetId: string;
  targetName: string;
  /** Epoch ms. */
  begin: number;
  seconds: number;
}

export default function TopJobsModal({ cell, onClose }: { cell: Cell; onClose: () => void }) {
  const begin = new Date(cell.begin).toISOString();
  const end = new Date(cell.begin + cell.seconds * 1000).toISOString();
  const { data, error, loading } = useLoad(
    () => get<JobStats>(`/target/${cell.targetId}/job_stats`, { begin, end, limit: 20 }),
    [cell.targetId, begin, end],
  );

  return (
    <Modal
      open
      title={`Top jobs on ${cell.targetName}, ${span(cell.begin, cell.seconds)}`}
      footer={null}
      width={720}
      onCancel={onClose}
      destroyOnHidden
      modalRender={(node) => <div data-testid="top-jobs">{node}</div>}
    >
      <ErrorNotice error={error} />
      <Table<JobUsage>
        size="small"
        rowKey="job"
        loading={loading}
        dataSource={data?.jobs ?? []}
        pagination={false}
        locale={{ emptyText: 'No job statistics for this OST in this span' }}
        columns={[
          { title: 'Job', dataIndex: 'job' },
          { title: 'Read', dataIndex: 'read_bytes', align: 'right', render: (v: number) => bytes(v) },
          { title: 'Written', dataIndex: 'write_bytes', align: 'right', render: (v: number) => bytes(v) },
          { title: 'Total', dataIndex: 'bytes', align: 'right', render: (v: number) => bytes(v) },
          { title: 'Operations', dataIndex: 'ops', align: 'right', render: (v: number) => count(v) },
        ]}
      />
    </Modal>
  );
}
