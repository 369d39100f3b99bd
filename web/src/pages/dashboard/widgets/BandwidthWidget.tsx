// Read and write bandwidth of the file systems in scope: reads above the
// axis, writes below it.
import { useMemo } from 'react';
import Chart, { type ChartOption } from '../../../components/Chart';
import { bytes } from '../../../format';
import { GRID, timeAxis } from '../chartOptions';
import { useScope } from '../scope';
import { pointCount, useFilesystemTotals, xy } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';

const rate = (value: number) => `${bytes(Math.abs(value))}/s`;

export default function BandwidthWidget({ onRemove }: WidgetProps) {
  const { filesystems } = useScope();
  const { data, error, loading } = useFilesystemTotals(['read_bytes', 'write_bytes'], 300);
  const series = data?.series ?? [];
  const read = series.find((s) => s.name === 'read_bytes');
  const write = series.find((s) => s.name === 'write_bytes');

  const option = useMemo<ChartOption | undefined>(() => {
    if (!data) return undefined;
    return {
      grid: GRID,
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => rate(v) },
      xAxis: timeAxis(data),
      yAxis: { type: 'value', axisLabel: { formatter: rate } },
      series: [
        { name: 'Read', type: 'line', showSymbol: false, areaStyle: {}, data: xy(read?.points ?? []) },
        { name: 'Write', type: 'line', showSymbol: false, areaStyle: {}, data: xy(write?.points ?? [], -1) },
      ],
    };
  }, [data, read, write]);

  return (
    <WidgetCard
      type="bandwidth"
      title="Read/write bandwidth"
      points={pointCount(series)}
      latest={read?.points.at(-1)?.[0]}
      loading={loading}
      error={error}
      empty={filesystems.length ? 'No bandwidth data in this range yet' : 'No file system yet'}
      onRemove={onRemove}
    >
      {option && <Chart testId="chart-bandwidth" option={option} />}
    </WidgetCard>
  );
}
