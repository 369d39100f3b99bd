// The jobs a dry run answered, in order, with what each asks to confirm.
import { Tag, Typography } from 'antd';
import Rows from './Rows';
import type { Planned } from './types';

export default function PlanList({ plan }: { plan: Pick<Planned, 'jobs'> }) {
  if (plan.jobs.length === 0) return <Typography.Paragraph>Nothing needs to be done.</Typography.Paragraph>;
  return (
    <div data-testid="plan">
      <Rows
        items={plan.jobs}
        rowKey={(_, i) => String(i)}
        header={`This will run ${plan.jobs.length} job(s):`}
        render={(job, i) => (
          <>
            <div style={{ minWidth: 0 }}>
              <div>
                <Typography.Text type="secondary">{i + 1}.</Typography.Text> {job.description}
                {job.wait_for && job.wait_for.length > 0 && (
                  <Typography.Text type="secondary"> (after {job.wait_for.map((w) => w + 1).join(', ')})</Typography.Text>
                )}
              </div>
              {job.confirmation && <Typography.Text type="warning">{job.confirmation}</Typography.Text>}
            </div>
            {job.to && <Tag>{job.from ? `${job.from} → ${job.to}` : job.to}</Tag>}
          </>
        )}
      />
    </div>
  );
}
