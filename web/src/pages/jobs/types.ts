// What `GET /api/command[/{id}]` and `GET /api/job/{id}` show (api/src/views.rs).

export interface StepView {
  id: string;
  index: number;
  action: string;
  args: unknown;
  /** pending → queued → running → succeeded | failed | cancelled */
  state: string;
  attempts: number;
  worker: string | null;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  output: unknown;
  error: string | null;
}

export interface JobView {
  id: string;
  command: string;
  key: string;
  description: string;
  /** pending → waiting → running ⇄ paused → succeeded | failed | cancelled */
  state: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Only in a command's or a job's detail. */
  steps?: StepView[];
  locks?: { item: string; write: boolean }[];
  wait_for?: string[];
}

export interface CommandView {
  id: string;
  message: string;
  /** pending, running, succeeded, failed, cancelled */
  state: string;
  created_at: string;
  finished_at: string | null;
  jobs: JobView[];
}

export const COMMAND_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

export { isFinal } from '../../api';

