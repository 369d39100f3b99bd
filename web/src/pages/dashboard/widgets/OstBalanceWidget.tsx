// How full each OST is, at the end of the range, with the 90 % line
// beyond which Lustre's allocator starts to avoid an OST.
import { useMemo } from 'react';
import { html } from '../chartOptions';
import Chart, { type ChartOption } from '../../../components/Chart';
import { bytes, percent } from '../../../format';
import { scopedOsts, useScope } from '../scope';
import { latest, useMetrics } from '../useMetrics';
import WidgetCard, { type WidgetProps } from '../WidgetCard';

const THRESHOLD = 90;

export default function OstBalanceWidget({ onRemove }: WidgetProps) {
  const scope = useScope();
  const osts = useMemo(() => scopedOsts(scope), [scope]);
  const { data, error, loading } = useMetrics(osts.length ? '/target/metric' : null, {
    metrics: 'space_used,space_total',
    kind: 'ost',
    filesystem_id: scope.fsId,
    max_points: 60,
  });

  const bars = useMemo(() => {
    const series = data?.series ?? [];
    const value = (id: string, name: string) =>
      latest(series.find((s) => s.object_id === id && s.name === name)?.points);
    return osts
      .map((t) => {
        const used = value(t.id, 'space_used');
        const total = value(t.id, 'space_total');
        return { name: t.name, used, total, share: percent(used, total) };
      })
      .filter((b) => b.share !== undefined);
  }, [data, osts]);

  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: ({ dataIndex }: { dataIndex: number }) => {
          const b = bars[dataIndex];
          return `${html(b.name)}: ${b.share?.toFixed(1)} % used (${bytes(b.used)} of ${bytes(b.total)})`;
        },
      },
      xAxis: { type: 'category', data: bars.map((b) => b.name), axisLabel: { rotate: bars.length > 8 ? 45 : 0 } },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
      series: [
        {
          name: '% used',
          type: 'bar',
          barMaxWidth: 40,
          label: { show: true, position: 'top', formatter: ({ value }: { value: number }) => `${value.toFixed(1)} %` },
          data: bars.map((b) => ({
            value: Number(b.share?.toFixed(2)),
            itemStyle: (b.share ?? 0) >= THRESHOLD ? { color: '#cf1322' } : undefined,
          })),
          markLine: {
            symbol: 'none',
            silent: true,
            lineStyle: { color: '#cf1322', type: 'dashed' },
            label: { formatter: `${THRESHOLD} %`, position: 'insideEndTop' },
            data: [{ yAxis: THRESHOLD }],
          },
        },
      ],
    }),
    [bars],
  );

  return (
    <WidgetCard
      type="ost-balance"
      title="OST balance"
      points={bars.length}
      loading={loading}
      error={error}
      empty={osts.length ? 'No OST space data in this range yet' : 'No OST yet'}
      onRemove={onRemove}
    >
      <Chart testId="chart-ost-balance" option={option} />
    </WidgetCard>
  );
}
