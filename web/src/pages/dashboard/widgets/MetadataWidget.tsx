// Metadata operations per second by type, stacked.
import { useMemo } from 'react';
import Chart, { type ChartOption } from '../../../components/Chart';
import { count } from '../../../format';
import { GRID, timeAxis } from '../chartOptions';
import { useScope } from '../scope';
import { aligned, pointCount, useFilesystemTotals } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';

/** The operations `md_stats` counts (`store::metric_query::MD_OPS`). */
const OPS = [
  'open', 'close', 'mknod', 'link', 'unlink', 'mkdir', 'rmdir',
  'rename', 'getattr', 'setattr', 'getxattr', 'setxattr', 'statfs', 'sync',
];

export default function MetadataWidget({ onRemove }: WidgetProps) {
  const { filesystems } = useScope();
  const { data, error, loading } = useFilesystemTotals(OPS.map((op) => `md_ops_${op}`), 200);
  // Operations without samples in the range are left out of the legend.
  const series = useMemo(() => (data?.series ?? []).filter((s) => s.points.length > 0), [data]);

  const option = useMemo<ChartOption | undefined>(() => {
    if (!data) return undefined;
    const values = aligned(series);
    return {
      grid: { ...GRID, top: 56 },
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${count(v)} ops/s` },
      xAxis: timeAxis(data),
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => count(v) } },
      series: series.map((s, n) => ({
        name: s.name.replace(/^md_ops_/, ''),
        type: 'line',
        stack: 'ops',
        showSymbol: false,
        areaStyle: {},
        emphasis: { focus: 'series' },
        data: values[n],
      })),
    };
  }, [data, series]);

  return (
    <WidgetCard
      type="metadata"
      title="Metadata operations"
      points={pointCount(series)}
      loading={loading}
      error={error}
      empty={filesystems.length ? 'No metadata operations in this range yet' : 'No file system yet'}
      onRemove={onRemove}
    >
      {option && <Chart testId="chart-metadata" option={option} />}
    </WidgetCard>
  );
}
