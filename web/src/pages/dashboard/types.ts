// The API's answers the Dashboard reads, as the OpenAPI document names them.

import type { Schemas } from '../../api';

export type { Filesystem, Host, Target } from '../configure/types';

/** `[bucket start (RFC 3339), bucket average]`. */
export type Point = Schemas['SeriesView']['points'][number];

/** One metric's points; `object_id` is absent when the objects were combined (`reduce`) or one object was asked for. */
export type Series = Schemas['SeriesView'];

/** `GET /api/{kind}/metric` and `GET /api/{kind}/{id}/metric`. */
export type MetricsView = Schemas['MetricsView'];

export type JobUsage = Schemas['JobUsageView'];

/** `GET /api/target/{id}/job_stats`. */
export type JobStats = Schemas['JobStatsView'];
