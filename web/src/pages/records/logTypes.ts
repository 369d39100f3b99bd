import type { Schemas } from '../../api';

/** One server log line, as `GET /api/log` answers; `id` grows in the order lines are stored. */
export type LogLine = Schemas['LogView'];

/**
 * A page of `GET /api/log`: its `meta.total_count` is counted only so far
 * past the page (`meta.total_capped` when more lines match).
 */
export type LogPage = Schemas['LogPage'];

/** Syslog severities, most severe first (the API's order). */
export const LOG_SEVERITIES = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

/** The filters of `GET /api/log` a view sets (besides paging). */
export interface LogFilters {
  host_id?: string | null;
  severity?: string | null;
  source?: string | null;
  q?: string | null;
}
