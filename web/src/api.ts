// The one way the console talks to Chroma: the public REST API, with the
// session cookie set by `POST /api/session`. Every answer is the envelope
// `{success, errors, response}`; a failure becomes an `ApiError` carrying
// the API's own messages, which the pages show as they are.

export interface ErrorItem {
  code: string;
  message: string;
  field: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly errors: ErrorItem[];

  constructor(status: number, errors: ErrorItem[]) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }

  /** The message about `field`, if the API named one. */
  about(field: string): string | undefined {
    return this.errors.find((e) => e.field === field || e.field?.startsWith(`${field}.`))?.message;
  }
}

/** Called when the API says the session is gone (401), to show the login. */
let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void) {
  onUnauthenticated = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const response = await fetch(withQuery(`/api${path}`, query), {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let envelope: { success?: boolean; errors?: ErrorItem[]; response?: T } = {};
  try {
    envelope = await response.json();
  } catch {
    throw new ApiError(response.status, [
      { code: 'bad_response', message: `the API answered ${response.status} without a body`, field: null },
    ]);
  }
  if (!response.ok || !envelope.success) {
    if (response.status === 401 && path !== '/session') onUnauthenticated();
    throw new ApiError(response.status, envelope.errors ?? []);
  }
  return envelope.response as T;
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query);
export const post = <T>(path: string, body: unknown = {}, query?: Query) => request<T>('POST', path, body, query);
export const patch = <T>(path: string, body: unknown, query?: Query) => request<T>('PATCH', path, body, query);
export const put = <T>(path: string, body: unknown, query?: Query) => request<T>('PUT', path, body, query);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** The most objects one list request may ask for (`limit`). */
export const MAX_PAGE = 1000;

/** A page size read from a URL: an integer from 1 to MAX_PAGE, else `fallback`. */
export function pageSize(text: string | null, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE ? n : fallback;
}

export interface Page<T> {
  objects: T[];
  meta: { total_count: number; limit: number; offset: number };
}

export type Role = 'readonly' | 'fsadmin' | 'superuser';

export interface User {
  id: string;
  username: string;
  role: Role;
}

/**
 * What a change answers (`PATCH`, failover, creation, parameters): the
 * jobs it runs, or with `?dry_run=true` would run, and its command.
 */
export interface Plan {
  /** Null for a dry run, or when nothing needs doing. */
  command: string | null;
  dry_run: boolean;
  jobs: {
    description: string;
    object?: string;
    from?: string | null;
    to?: string | null;
    wait_for?: number[];
    confirmation?: string | null;
  }[];
  requires_confirmation: boolean;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Whether a command, job or step can no longer change. */
export const isFinal = (state: string) => FINAL.has(state);

export interface Command {
  id: string;
  message: string;
  state: string;
  created_at: string;
  finished_at?: string | null;
  [key: string]: unknown;
}
