// Read or write bandwidth of every OST in scope over time: one row per OST,
// one column per time bucket, coloured by the cell's share of the busiest
// cell. Clicking a cell lists the jobs behind it.
import { Segmented } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import Chart, { type ChartOption } from '../../../components/Chart';
import { bytes } from '../../../format';
import { span, html } from '../chartOptions';
import { scopedOsts, useScope } from '../scope';
import { useMetrics } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';
import TopJobsModal, { type Cell } from './TopJobsModal';

type Direction = 'read_bytes' | 'write_bytes';
const LABEL: Record<Direction, string> = { read_bytes: 'Read', write_bytes: 'Write' };

/** `[column, row, share of the maximum, bytes/s]`. */
type Datum = [number, number, number, number];

export default function HeatmapWidget({ onRemove }: WidgetProps) {
  const scope = useScope();
  const osts = useMemo(() => scopedOsts(scope), [scope]);
  const [direction, setDirection] = useState<Direction>('read_bytes');
  const [cell, setCell] = useState<Cell>();
  const { data, error, loading } = useMetrics(osts.length ? '/target/metric' : null, {
    metrics: direction,
    kind: 'ost',
    filesystem_id: scope.fsId,
    max_points: 60,
  });

  const grid = useMemo(() => {
    if (!data) return undefined;
    const begin = Date.parse(data.begin);
    const step = data.interval_seconds * 1000;
    const columns = Math.max(1, Math.ceil((Date.parse(data.end) - begin) / step));
    const rowOf = new Map(osts.map((t, row) => [t.id, row]));
    const cells: Datum[] = [];
    for (const s of data.series) {
      const row = s.object_id == null ? undefined : rowOf.get(s.object_id);
      if (row === undefined || s.name !== direction) continue;
      for (const [t, v] of s.points) {
        // A bucket that does not line up with `begin` still lands in a column.
        const column = Math.min(columns - 1, Math.max(0, Math.round((Date.parse(t) - begin) / step)));
        cells.push([column, row, 0, v]);
      }
    }
    const max = Math.max(0, ...cells.map((c) => c[3]));
    for (const c of cells) c[2] = max > 0 ? c[3] / max : 0;
    const multiDay = columns * step > 86_400_000;
    const labels = Array.from({ length: columns }, (_, i) =>
      dayjs(begin + i * step).format(multiDay ? 'MM-DD HH:mm' : 'HH:mm:ss'),
    );
    return { begin, step, seconds: data.interval_seconds, labels, cells, max };
  }, [data, osts, direction]);

  const option = useMemo<ChartOption | undefined>(() => {
    if (!grid) return undefined;
    const word = direction === 'read_bytes' ? 'read' : 'written';
    return {
      grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
      tooltip: {
        formatter: ({ value }: { value: Datum }) =>
          `${html(osts[value[1]]?.name)}<br/>${span(grid.begin + value[0] * grid.step, grid.seconds)}<br/>` +
          `${bytes(value[3])}/s ${word} (${(value[2] * 100).toFixed(0)} % of the maximum)`,
      },
      xAxis: { type: 'category', data: grid.labels },
      yAxis: { type: 'category', data: osts.map((t) => t.name) },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: 1,
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        text: [`${bytes(grid.max)}/s`, '0'],
        formatter: (v: number) => `${(v * 100).toFixed(0)} %`,
        inRange: { color: ['#f0f5ff', '#69b1ff', '#0958d9', '#002c8c'] },
      },
      series: [
        {
          type: 'heatmap',
          data: grid.cells,
          emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } },
          cursor: 'pointer',
        },
      ],
    };
  }, [grid, osts, direction]);

  const open = (value: unknown) => {
    if (!grid || !Array.isArray(value)) return;
    const [column, row] = value as Datum;
    const target = osts[row];
    if (!target) return;
    const begin = grid.begin + column * grid.step;
    setCell({ targetId: target.id, targetName: target.name, begin, seconds: grid.seconds });
  };

  return (
    <>
      <WidgetCard
        type="heatmap"
        title="OST read/write heat map"
        points={grid?.cells.length ?? 0}
        loading={loading}
        error={error}
        empty={osts.length ? `No ${LABEL[direction].toLowerCase()} data in this range yet` : 'No OST yet'}
        onRemove={onRemove}
        extra={
          <Segmented<Direction>
            size="small"
            value={direction}
            onChange={setDirection}
            options={(['read_bytes', 'write_bytes'] as const).map((value) => ({ value, label: LABEL[value] }))}
          />
        }
      >
        {option && (
          <Chart
            testId="chart-heatmap"
            option={option}
            onClick={(p) => p.componentType === 'series' && open(p.value)}
          />
        )}
      </WidgetCard>
      {cell && <TopJobsModal cell={cell} onClose={() => setCell(undefined)} />}
    </>
  );
}
