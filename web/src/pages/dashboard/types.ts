// The API's answers the Dashboard reads (see api/src/routes/{filesystems,
// targets,hosts,metrics}).

export type { Filesystem, Host, Target } from '../configure/types';

/** `[bucket start (RFC 3339), bucket average]`. */
export type Point = [string, number];

export interface Series {
  /** Absent when the objects were combined (`reduce`) or one object was asked for. */
  object_id?: string;
  name: string;
  unit: string;
  points: Point[];
}

/** `GET /api/{kind}/metric` and `GET /api/{kind}/{id}/metric`. */
export interface MetricsView {
  begin: string;
  end: string;
  interval_seconds: number;
  resolution: string;
  series: Series[];
}

export interface JobUsage {
  job: string;
  read_bytes: number;
  write_bytes: number;
  bytes: number;
  ops: number;
}

/** `GET /api/target/{id}/job_stats`. */
export interface JobStats {
  begin: string;
  end: string;
  jobs: JobUsage[];
}
