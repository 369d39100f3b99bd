// A resource's statistics: the latest value of each, with its unit, and
// the last hour drawn per `chart` group when the API keeps their history.
import { Card, Col, Row, Table, Typography } from 'antd';
import { useMemo } from 'react';
import { ApiError, get } from '../../api';
import Chart, { type ChartOption } from '../../components/Chart';
import { useLoad } from '../../hooks';
import type { MetricsView, Series } from '../dashboard/types';
import { xy } from '../dashboard/useMetrics';
import { withUnit, type Catalogue } from './model';
import type { Resource, StatisticDef } from './types';

const HOUR_MS = 3600_000;

/** Set once the API answered it has no such route: not asked again until a reload. */
let historyMissing = false;

/** The declared statistics, then any the resource reports without declaring. */
function statisticsOf(resource: Resource, catalogue: Catalogue): StatisticDef[] {
  const declared = catalogue.classOf(resource)?.statistics ?? [];
  const extra = Object.keys(resource.statistics ?? {})
    .filter((name) => !declared.some((d) => d.name === name))
    .map((name) => ({ name, kind: Array.isArray(resource.statistics[name]) ? 'histogram' : 'gauge' }));
  return [...declared, ...extra];
}

/** A latest value as stored: a number, a histogram's counts, or `{value}`. */
function latestOf(raw: unknown): number | number[] | undefined {
  if (typeof raw === 'number') return raw;
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'number')) return raw;
  if (raw && typeof raw === 'object' && 'value' in raw) return latestOf((raw as { value: unknown }).value);
  return undefined;
}

function binLabels(bins: number[] | undefined, count: number, unit: string | undefined): string[] {
  const u = unit ? ` ${unit}` : '';
  return Array.from({ length: count }, (_, i) =>
    bins && i < bins.length ? `≤${bins[i]}${u}` : bins?.length ? `>${bins[bins.length - 1]}${u}` : `bin ${i + 1}`,
  );
}

function Histogram({ stat, counts }: { stat: StatisticDef; counts: number[] }) {
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 40, right: 8, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: binLabels(stat.bins, counts.length, stat.unit), axisLabel: { interval: 0, fontSize: 10 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: stat.name, data: counts }],
    }),
    [stat, counts],
  );
  return <Chart option={option} replace style={{ height: 120, minHeight: 100, width: 260 }} />;
}

function Latest({ resource, stats }: { resource: Resource; stats: StatisticDef[] }) {
  return (
    <Table<StatisticDef>
      data-testid="storage-statistics"
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={stats}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: 'Statistic', dataIndex: 'name', render: (name: string) => <Typography.Text strong>{name}</Typography.Text> },
        {
          title: 'Latest',
          key: 'value',
          render: (_, stat) => {
            const value = latestOf(resource.statistics?.[stat.name]);
            if (value === undefined) return <Typography.Text type="secondary">not reported yet</Typography.Text>;
            if (Array.isArray(value)) return <Histogram stat={stat} counts={value} />;
            return (
              <span data-testid={`storage-stat-${stat.name}`}>
                {withUnit(value, stat.unit)}
                {stat.kind === 'counter' && <Typography.Text type="secondary"> in total</Typography.Text>}
              </span>
            );
          },
        },
        { title: 'Kind', dataIndex: 'kind', responsive: ['lg'] },
        { title: 'Chart', dataIndex: 'chart', responsive: ['lg'], render: (c?: string) => c ?? '–' },
      ]}
    />
  );
}

function GroupChart({ title, series, stats }: { title: string; series: Series[]; stats: StatisticDef[] }) {
  const option = useMemo<ChartOption>(() => {
    const first = stats[0];
    // Counters come back as rates; the API names the unit it answers in.
    const unit = series.find((s) => s.unit)?.unit || (first?.kind === 'counter' ? `${first.unit ?? ''}/s` : first?.unit);
    const format = (v: number) => withUnit(v, unit);
    return {
      grid: { left: 72, right: 16, top: 28, bottom: 24 },
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? format(v) : '–') },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', axisLabel: { formatter: format } },
      series: series.map((s) => ({ type: 'line', name: s.name, showSymbol: false, data: xy(s.points) })),
    };
  }, [series, stats]);
  return (
    <Card size="small" title={title} data-testid="storage-chart">
      <Chart option={option} style={{ height: 200 }} />
    </Card>
  );
}

/** The charts, or nothing when the API keeps no history of these statistics. */
function History({ resource, stats }: { resource: Resource; stats: StatisticDef[] }) {
  const charted = stats.filter((s) => s.kind !== 'histogram');
  const names = charted.map((s) => s.name).join(',');
  const { data, error } = useLoad(
    () =>
      names && !historyMissing
        ? get<MetricsView>(`/storage_resource/${resource.id}/metric`, {
            metrics: names,
            begin: new Date(Date.now() - HOUR_MS).toISOString(),
            end: new Date().toISOString(),
            max_points: 180,
          }).catch((e: Error) => {
            // Not offered by this API (yet): draw the latest values only.
            if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
              // The route itself is missing, not this resource's history.
              if (e.status === 405 || e.message.startsWith('no such route')) historyMissing = true;
              return null;
            }
            throw e;
          })
        : Promise.resolve(null),
    [resource.id, names],
    ['storage', 'metrics'],
  );
  if (error) {
    return (
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        No history to draw: {error.message}
      </Typography.Paragraph>
    );
  }
  if (!data) return null;
  const groups = new Map<string, StatisticDef[]>();
  for (const stat of charted) {
    const group = stat.chart || stat.name;
    groups.set(group, [...(groups.get(group) ?? []), stat]);
  }
  const charts = [...groups.entries()]
    .map(([title, members]) => ({
      title,
      members,
      series: data.series.filter((s) => members.some((m) => m.name === s.name) && s.points.length > 0),
    }))
    .filter((g) => g.series.length > 0);
  if (charts.length === 0) return null;
  return (
    <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
      {charts.map((g) => (
        <Col key={g.title} xs={24} xl={charts.length > 1 ? 12 : 24}>
          <GroupChart title={g.title} series={g.series} stats={g.members} />
        </Col>
      ))}
    </Row>
  );
}

export default function Statistics({ resource, catalogue }: { resource: Resource; catalogue: Catalogue }) {
  const stats = statisticsOf(resource, catalogue);
  if (stats.length === 0) return null;
  return (
    <Card size="small" title="Statistics" style={{ marginBottom: 12 }}>
      <Latest resource={resource} stats={stats} />
      <History resource={resource} stats={stats} />
    </Card>
  );
}
