// What `GET /api/command[/{id}]` and `GET /api/job/{id}` show, as the
// OpenAPI document names them.

import type { Schemas } from '../../api';

/**
 * A step: pending → queued → running → succeeded | failed | cancelled; a
 * running step being cancelled is `cancelling` until its command on the
 * server has stopped (its job keeps its locks until then).
 */
export type StepView = Schemas['StepView'];

/**
 * A job: pending → waiting → running ⇄ paused → succeeded | failed |
 * cancelled. Its steps, locks and `wait_for` are only in a command's or a
 * job's detail.
 */
export type JobView = Schemas['JobView'];

/** A command: pending, running, succeeded, failed, cancelled. */
export type CommandView = Schemas['CommandView'];

export const COMMAND_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

export { isFinal } from '../../api';

