// The one way the console talks to Chroma: the public REST API, with the
// session cookie set by `POST /api/session`. Every answer is the envelope
// `{success, errors, response}`; a failure becomes an `ApiError` carrying
// the API's own messages, which the pages show as they are.
//
// The shapes of what the API answers and accepts come from its OpenAPI
// document: `./schema.ts` is generated from `GET /api/openapi.json` by
// `scripts/web-types.sh` (never edit it by hand), and the console names
// them through `Schemas`, e.g. `Schemas['TargetView']`.

import type { components } from './schema';

/** Every shape the OpenAPI document names, by its name there. */
export type Schemas = components['schemas'];

/**
 * `T` with the fields of `U` typed as `U` says: for fields the document
 * types loosely (any JSON, any string) whose shape the console relies on.
 */
export type Narrow<T, U> = Omit<T, keyof U> & U;

export type ErrorItem = Schemas['ErrorBody'];

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

/** A page of a list (`Page_*` in the document): its objects and where it is. */
export interface Page<T> {
  objects: T[];
  meta: Schemas['PageMeta'];
}

export type Role = Schemas['RoleName'];

/**
 * A user. The document types `role` as any string; it is always one of
 * the role names, which decide what the console shows.
 */
export type User = Narrow<Schemas['User'], { role: Role }>;

/**
 * What a change answers (`PATCH`, failover, creation, parameters): the
 * jobs it runs, or with `?dry_run=true` would run, and its command (null
 * for a dry run, or when nothing needs doing).
 */
export type Plan = Schemas['Planned'];

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Whether a command, job or step can no longer change. */
export const isFinal = (state: string) => FINAL.has(state);

export type Command = Schemas['CommandView'];
