// Pieces of echarts options the time-series widgets share.
import dayjs from 'dayjs';
import { format } from 'echarts';
import type { MetricsView } from './types';

/** A time axis spanning the range read, so a live window visibly slides. */
export function timeAxis(view: MetricsView) {
  return { type: 'time', min: Date.parse(view.begin), max: Date.parse(view.end) } as const;
}

export const GRID = { left: 8, right: 16, top: 32, bottom: 8, containLabel: true } as const;

/** A bucket's time span, for tooltips and the heat map. */
export function span(startMs: number, seconds: number): string {
  const start = dayjs(startMs);
  const end = start.add(seconds, 'second');
  return `${start.format('MM-DD HH:mm:ss')} – ${end.format(end.isSame(start, 'day') ? 'HH:mm:ss' : 'MM-DD HH:mm:ss')}`;
}

/**
 * A server value made safe for a tooltip formatter: ECharts renders what a
 * formatter returns as HTML, so names from the API are escaped first.
 */
export const html = (text: string | undefined) => format.encodeHTML(text ?? '');
