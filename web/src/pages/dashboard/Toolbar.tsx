// The Dashboard's controls: which file system, which time range, and the
// layout (add a widget, reset).
import { PlusOutlined, UndoOutlined } from '@ant-design/icons';
import { Button, DatePicker, Dropdown, Select, Space } from 'antd';
import dayjs from 'dayjs';
import { RANGES, type RangeKey, type TimeRange } from './range';
import type { Filesystem } from './types';
import { WIDGETS, type WidgetType } from './widgets';

interface Props {
  filesystems: Filesystem[];
  fsId: string | undefined;
  range: TimeRange;
  onScope: (changes: Record<string, string | undefined>) => void;
  onAdd: (type: WidgetType) => void;
  onReset: () => void;
}

const ALL = '';
const CUSTOM = 'custom';

export default function Toolbar({ filesystems, fsId, range, onScope, onAdd, onReset }: Props) {
  return (
    <Space wrap style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }}>
      <Space wrap>
        <Select
          data-testid="fs-select"
          aria-label="File system"
          style={{ minWidth: 200 }}
          value={fsId ?? ALL}
          onChange={(id: string) => onScope({ fs: id || undefined })}
          options={[
            { value: ALL, label: 'All file systems' },
            ...filesystems.map((f) => ({ value: f.id, label: f.name })),
          ]}
        />
        <Select
          data-testid="range-select"
          aria-label="Time range"
          style={{ minWidth: 160 }}
          value={range.kind === 'live' ? range.key : CUSTOM}
          onChange={(key: RangeKey | typeof CUSTOM) => {
            if (key !== CUSTOM) onScope({ range: key, begin: undefined, end: undefined });
          }}
          options={[
            ...Object.entries(RANGES).map(([key, r]) => ({ value: key, label: r.label })),
            { value: CUSTOM, label: 'Custom range', disabled: true },
          ]}
        />
        <DatePicker.RangePicker
          showTime={{ format: 'HH:mm' }}
          format="YYYY-MM-DD HH:mm"
          aria-label="Custom time range"
          value={range.kind === 'fixed' ? [dayjs(range.begin), dayjs(range.end)] : null}
          disabledDate={(d) => d.isAfter(dayjs().endOf('day'))}
          onChange={(dates) => {
            const [begin, end] = dates ?? [];
            if (begin && end) onScope({ range: undefined, begin: begin.toISOString(), end: end.toISOString() });
            else onScope({ begin: undefined, end: undefined });
          }}
        />
      </Space>
      <Space wrap>
        <Dropdown
          trigger={['click']}
          menu={{
            items: Object.entries(WIDGETS).map(([type, kind]) => ({ key: type, label: kind.label })),
            onClick: ({ key }) => onAdd(key as WidgetType),
          }}
        >
          <Button data-testid="add-widget" icon={<PlusOutlined />}>
            Add widget
          </Button>
        </Dropdown>
        <Button data-testid="reset-layout" icon={<UndoOutlined />} onClick={onReset}>
          Reset layout
        </Button>
      </Space>
    </Space>
  );
}
