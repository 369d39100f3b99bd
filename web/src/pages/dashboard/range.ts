// The Dashboard's time range, kept in the URL: `range=5m|1h|6h|24h|7d`
// (a window sliding with now), or `begin`/`end` (RFC 3339) for a fixed one.

export const RANGES = {
  '5m': { label: 'Last 5 minutes', ms: 5 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '6h': { label: 'Last 6 hours', ms: 6 * 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * 3_600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
} as const;

export type RangeKey = keyof typeof RANGES;
export const DEFAULT_RANGE: RangeKey = '1h';

export type TimeRange = { kind: 'live'; key: RangeKey } | { kind: 'fixed'; begin: string; end: string };

const isRangeKey = (text: string | null): text is RangeKey => !!text && text in RANGES;

export function rangeFromParams(params: URLSearchParams): TimeRange {
  const begin = params.get('begin');
  const end = params.get('end');
  if (begin && end && !Number.isNaN(Date.parse(begin)) && Date.parse(begin) < Date.parse(end)) {
    return { kind: 'fixed', begin, end };
  }
  const key = params.get('range');
  return { kind: 'live', key: isRangeKey(key) ? key : DEFAULT_RANGE };
}

/** The instants a read covers: a live range ends now, when it is read. */
export function windowOf(range: TimeRange, now = Date.now()): { begin: string; end: string } {
  if (range.kind === 'fixed') {
    return { begin: new Date(range.begin).toISOString(), end: new Date(range.end).toISOString() };
  }
  return { begin: new Date(now - RANGES[range.key].ms).toISOString(), end: new Date(now).toISOString() };
}

/** A stable key for effect dependencies. */
export const rangeKey = (range: TimeRange) => (range.kind === 'live' ? range.key : `${range.begin}/${range.end}`);
