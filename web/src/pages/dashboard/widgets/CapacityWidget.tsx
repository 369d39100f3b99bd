// Space and inodes used of each file system in scope, as a share of the
// total, at the end of the range.
import { useMemo } from 'react';
import { html } from '../chartOptions';
import Chart, { type ChartOption } from '../../../components/Chart';
import { bytes, count, percent } from '../../../format';
import { scopedFilesystems, useScope } from '../scope';
import { latest, useMetrics } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';

const METRICS = ['space_used', 'space_total', 'inodes_used', 'inodes_total'];

interface Bar {
  value: number | undefined;
  used: number | undefined;
  total: number | undefined;
}

export default function CapacityWidget({ onRemove }: WidgetProps) {
  const scope = useScope();
  const { fsId } = scope;
  const filesystems = useMemo(() => scopedFilesystems(scope), [scope]);
  const path = filesystems.length === 0 ? null : fsId ? `/filesystem/${fsId}/metric` : '/filesystem/metric';
  const { data, error, loading } = useMetrics(path, { metrics: METRICS.join(','), max_points: 60 });

  const rows = useMemo(() => {
    const series = data?.series ?? [];
    const value = (fs: string, name: string) =>
      latest(series.find((s) => s.name === name && (s.object_id ?? fsId) === fs)?.points);
    const bar = (fs: string, what: 'space' | 'inodes'): Bar => {
      const used = value(fs, `${what}_used`);
      const total = value(fs, `${what}_total`);
      return { used, total, value: percent(used, total) };
    };
    return filesystems.map((f) => ({ name: f.name, space: bar(f.id, 'space'), inodes: bar(f.id, 'inodes') }));
  }, [data, filesystems, fsId]);

  const points = rows.flatMap((r) => [r.space, r.inodes]).filter((b) => b.value !== undefined).length;

  const option = useMemo<ChartOption>(() => {
    const series = (name: string, key: 'space' | 'inodes', format: (v: number) => string) => ({
      name,
      type: 'bar',
      barMaxWidth: 28,
      label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => `${value.toFixed(1)} %` },
      tooltip: {
        formatter: ({ dataIndex }: { dataIndex: number }) => {
          const { used = NaN, total = NaN } = rows[dataIndex][key];
          return `${html(rows[dataIndex].name)} ${name.toLowerCase()}: ${format(used)} of ${format(total)}`;
        },
      },
      data: rows.map((r) => (r[key].value === undefined ? null : Number(r[key].value.toFixed(2)))),
    });
    return {
      grid: { left: 8, right: 56, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name) },
      series: [series('Space', 'space', (v) => bytes(v)), series('Inodes', 'inodes', count)],
    };
  }, [rows]);

  return (
    <WidgetCard
      type="capacity"
      title="Capacity and inodes"
      points={points}
      loading={loading}
      error={error}
      empty={filesystems.length ? 'No capacity data in this range yet' : 'No file system yet'}
      onRemove={onRemove}
    >
      <Chart testId="chart-capacity" option={option} />
    </WidgetCard>
  );
}
