// Reading chart series: the range is computed when the read happens, so a
// live window slides with now; each monitor round (`metrics` change, about
// every 10 s) re-reads.
import { get, type Query } from '../../api';
import { useLoad, type Loaded } from '../../hooks';
import { rangeKey, windowOf } from './range';
import { useScope } from './scope';
import type { MetricsView, Point } from './types';

/**
 * `GET /api{path}` with `begin`/`end` from the Dashboard's range and
 * `query`; nothing is read while `path` is null.
 */
export function useMetrics(path: string | null, query: Query): Loaded<MetricsView | undefined> {
  const { range } = useScope();
  const queryKey = JSON.stringify(query);
  return useLoad(
    () => (path ? get<MetricsView>(path, { ...query, ...windowOf(range) }) : Promise.resolve(undefined)),
    [path, queryKey, rangeKey(range)],
    range.kind === 'live' ? ['metrics'] : [],
  );
}

/**
 * The series of the file systems in scope: one file system's own, or all
 * of them summed (`reduce=sum`); one series per metric, in order.
 */
export function useFilesystemTotals(metrics: string[], maxPoints: number) {
  const { fsId, filesystems } = useScope();
  const path = filesystems.length === 0 ? null : fsId ? `/filesystem/${fsId}/metric` : '/filesystem/metric';
  return useMetrics(path, {
    metrics: metrics.join(','),
    max_points: maxPoints,
    reduce: fsId ? undefined : 'sum',
  });
}

/** `[epoch ms, value]` pairs for an echarts time axis. */
export const xy = (points: Point[], scale = 1): [number, number][] =>
  points.map(([t, v]) => [Date.parse(t), v * scale]);

/** The newest value of a series, if it has one. */
export const latest = (points: Point[] | undefined): number | undefined => points?.at(-1)?.[1];

/** How many points the series hold (what a chart draws). */
export const pointCount = (series: { points: unknown[] }[]) => series.reduce((n, s) => n + s.points.length, 0);

/**
 * The series on one shared list of bucket times, a gap where a series has
 * no sample: echarts stacks series on a time axis by index, not by time.
 */
export function aligned(series: { points: Point[] }[]): (number | null)[][][] {
  const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => Date.parse(t))))].sort((a, b) => a - b);
  return series.map((s) => {
    const byTime = new Map(s.points.map(([t, v]) => [Date.parse(t), v]));
    return times.map((t) => [t, byTime.get(t) ?? null]);
  });
}
