// The frame of every widget: a card whose title is the drag handle, with a
// remove button, and the chart, its empty state, or the error.
import { CloseOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Spin, Tooltip } from 'antd';
import type { ReactNode } from 'react';
import ErrorNotice from '../../components/ErrorNotice';

/** The class of the element a widget is dragged by. */
export const DRAG_HANDLE = 'widget-drag-handle';

/** What every widget component gets. */
export interface WidgetProps {
  onRemove: () => void;
}

interface Props extends WidgetProps {
  type: string;
  title: ReactNode;
  /** Data points the chart draws now; 0 shows `empty` instead of it. */
  points: number;
  /** When its newest point was measured (shown as `data-latest`, so a
   * test can see the chart move). */
  latest?: string;
  loading: boolean;
  error: Error | undefined;
  /** Why there is nothing to draw ("No data in this range"). */
  empty: ReactNode;
  /** Controls next to the remove button. */
  extra?: ReactNode;
  children: ReactNode;
}

export default function WidgetCard({ type, title, points, latest, loading, error, empty, extra, onRemove, children }: Props) {
  let body: ReactNode;
  if (points > 0) body = children;
  else if (loading && !error) body = <Spin style={{ margin: 'auto' }} />;
  else if (!error) body = <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} style={{ margin: 'auto' }} />;

  return (
    <Card
      size="small"
      data-testid={`widget-${type}`}
      data-points={points}
      data-latest={latest}
      title={
        <span className={DRAG_HANDLE} style={{ display: 'block', cursor: 'move' }}>
          {title}
        </span>
      }
      extra={
        <span style={{ display: 'inline-flex', gap: 8, alignItems: 'center' }}>
          {extra}
          <Tooltip title="Remove this widget">
            <Button
              type="text"
              size="small"
              icon={<CloseOutlined />}
              aria-label="Remove widget"
              data-testid="remove-widget"
              onClick={onRemove}
            />
          </Tooltip>
        </span>
      }
      style={{ height: '100%', display: 'flex', flexDirection: 'column' }}
      styles={{ body: { flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', padding: 8 } }}
    >
      <ErrorNotice error={error} />
      {body}
    </Card>
  );
}
