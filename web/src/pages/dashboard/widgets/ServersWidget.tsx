// CPU and memory use of each server (of the file system in scope's
// targets, or all), one line per host.
import { useMemo } from 'react';
import { get, type Page } from '../../../api';
import Chart, { type ChartOption } from '../../../components/Chart';
import { useLoad } from '../../../hooks';
import { timeAxis } from '../chartOptions';
import { scopedFilesystems, useScope } from '../scope';
import type { Host, Point } from '../types';
import { useMetrics, xy } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';

/** echarts' default palette: a host keeps its colour in both charts. */
const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];

/** Memory used as a percent of the total, where both have the bucket. */
function memoryPercent(used: Point[], total: Point[]): Point[] {
  const totals = new Map(total.map(([t, v]) => [t, v]));
  return used.flatMap(([t, v]): Point[] => {
    const all = totals.get(t);
    return all ? [[t, (100 * v) / all]] : [];
  });
}

export default function ServersWidget({ onRemove }: WidgetProps) {
  const scope = useScope();
  const hosts = useLoad(() => get<Page<Host>>('/host', { limit: 1000 }), [], ['host']);
  const { data, error, loading } = useMetrics('/host/metric', {
    metrics: 'cpu_used,mem_used,mem_total',
    max_points: 200,
  });

  // With one file system chosen, only the servers of its targets.
  const wanted = useMemo(() => {
    if (!scope.fsId) return undefined;
    const ids = scopedFilesystems(scope).flatMap((f) =>
      f.targets.flatMap((t) => [t.primary_host_id, ...t.failover_host_ids, t.active_host_id ?? '']),
    );
    return new Set(ids);
  }, [scope]);

  const lines = useMemo(() => {
    const names = new Map((hosts.data?.objects ?? []).map((h) => [h.id, h.nodename ?? h.address]));
    const series = (data?.series ?? []).filter((s) => s.object_id && (!wanted || wanted.has(s.object_id)));
    const ids = [...new Set(series.map((s) => s.object_id as string))].sort((a, b) =>
      (names.get(a) ?? a).localeCompare(names.get(b) ?? b),
    );
    const of = (id: string, name: string) => series.find((s) => s.object_id === id && s.name === name)?.points ?? [];
    return ids.map((id) => ({
      name: names.get(id) ?? id.slice(0, 8),
      cpu: of(id, 'cpu_used'),
      memory: memoryPercent(of(id, 'mem_used'), of(id, 'mem_total')),
    }));
  }, [data, hosts.data, wanted]);

  const points = lines.reduce((n, l) => n + l.cpu.length + l.memory.length, 0);

  const option = useMemo<ChartOption | undefined>(() => {
    if (!data) return undefined;
    const percentAxis = (gridIndex: number, name: string) => ({
      type: 'value',
      gridIndex,
      min: 0,
      max: 100,
      name,
      nameTextStyle: { align: 'left' },
      axisLabel: { formatter: '{value} %' },
    });
    return {
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v.toFixed(1)} %` },
      axisPointer: { link: [{ xAxisIndex: 'all' }] },
      grid: [
        { left: 8, right: 16, top: 48, height: '32%', containLabel: true },
        { left: 8, right: 16, bottom: 8, height: '32%', containLabel: true },
      ],
      xAxis: [
        { ...timeAxis(data), gridIndex: 0, axisLabel: { show: false } },
        { ...timeAxis(data), gridIndex: 1 },
      ],
      yAxis: [percentAxis(0, 'CPU'), percentAxis(1, 'Memory')],
      series: lines.flatMap((l, n) => {
        const line = { name: l.name, type: 'line', showSymbol: false, color: PALETTE[n % PALETTE.length] };
        return [
          { ...line, xAxisIndex: 0, yAxisIndex: 0, data: xy(l.cpu) },
          { ...line, xAxisIndex: 1, yAxisIndex: 1, data: xy(l.memory) },
        ];
      }),
    };
  }, [data, lines]);

  return (
    <WidgetCard
      type="servers"
      title="Server CPU and memory"
      points={points}
      loading={loading || hosts.loading}
      error={error ?? hosts.error}
      empty="No server data in this range yet"
      onRemove={onRemove}
    >
      {option && <Chart testId="chart-servers" option={option} />}
    </WidgetCard>
  );
}
