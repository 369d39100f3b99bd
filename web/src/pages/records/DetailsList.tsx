import { Descriptions, Typography } from 'antd';
import { DetailValue } from './links';

/** The `details` JSON of an alert or event, one row per key, ids linked. */
export default function DetailsList({ details }: { details: unknown }) {
  if (!details || typeof details !== 'object' || Array.isArray(details)) {
    return details === null || details === undefined ? null : (
      <Typography.Text code>{JSON.stringify(details)}</Typography.Text>
    );
  }
  const record = details as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0) return <Typography.Text type="secondary">No details</Typography.Text>;
  return (
    <Descriptions
      size="small"
      column={1}
      bordered
      data-testid="details"
      items={keys.map((key) => ({
        key,
        label: key,
        children: <DetailValue name={key} value={record[key]} details={record} />,
      }))}
    />
  );
}

/** Whether `details` has anything to show. */
export function hasDetails(details: unknown): boolean {
  return !!details && typeof details === 'object' && Object.keys(details).length > 0;
}
