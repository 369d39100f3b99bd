// `/jobs/:id`: one command, bookmarkable, with its jobs and their steps,
// re-read live as commands, jobs and steps change.
import { Breadcrumb, Card, Descriptions, Skeleton, Space, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { useCommand } from '../../hooks';
import { CancelCommand } from './Controls';
import JobList, { Counts, Took, When } from './JobList';
import { isFinal, type CommandView } from './types';


/** The jobs of a command, loaded on their own (an expanded list row). */
export function CommandJobs({ id }: { id: string }) {
  const { data, error, reload } = useCommand<CommandView>(id);
  if (!data) return error ? <ErrorNotice error={error} /> : <Skeleton active paragraph={{ rows: 3 }} />;
  return (
    <>
      <ErrorNotice error={error} />
      <JobList command={data} onChanged={reload} />
    </>
  );
}

export default function CommandDetail() {
  const { id } = useParams();
  const { data: command, error, reload } = useCommand<CommandView>(id);

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Breadcrumb items={[{ title: <Link to="/jobs">Jobs</Link> }, { title: command?.message ?? id }]} />
      <ErrorNotice error={error} />
      {!command && !error && <Skeleton active />}
      {command && (
        <>
          <Card
            data-testid="command-detail"
            data-state={command.state}
            data-command-id={command.id}
            title={
              <Space wrap>
                <StateTag state={command.state} />
                <span>{command.message}</span>
              </Space>
            }
            extra={<CancelCommand command={command} onDone={reload} />}
          >
            <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4, xxl: 6 }}>
              <Descriptions.Item label="Created">
                <When at={command.created_at} />
              </Descriptions.Item>
              <Descriptions.Item label="Finished">
                <When at={command.finished_at} />
              </Descriptions.Item>
              <Descriptions.Item label="Took">
                <Took start={command.created_at} end={command.finished_at} running={!isFinal(command.state)} />
              </Descriptions.Item>
              <Descriptions.Item label="Jobs">
                <Counts items={command.jobs} />
              </Descriptions.Item>
              <Descriptions.Item label="Id">
                <Typography.Text copyable code>
                  {command.id}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <JobList command={command} onChanged={reload} />
        </>
      )}
    </Space>
  );
}
