import dayjs from 'dayjs';
import relativeTime from 'dayjs/plugin/relativeTime';

dayjs.extend(relativeTime);

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function bytes(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit += 1;
  }
  return `${value < 0 ? '-' : ''}${v.toFixed(unit === 0 ? 0 : digits)} ${UNITS[unit]}`;
}

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return abs >= 10 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
}

export function percent(used: number | null | undefined, total: number | null | undefined): number | undefined {
  if (!total || used === null || used === undefined) return undefined;
  return (100 * used) / total;
}

export function time(value: string | null | undefined): string {
  return value ? dayjs(value).format('YYYY-MM-DD HH:mm:ss') : '–';
}

export function ago(value: string | null | undefined): string {
  return value ? dayjs(value).fromNow() : '–';
}

/** How long between two instants (or until now), e.g. "1m 05s". */
export function duration(start: string | null | undefined, end?: string | null): string {
  if (!start) return '–';
  const ms = (end ? dayjs(end) : dayjs()).diff(dayjs(start));
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
