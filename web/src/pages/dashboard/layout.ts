// The arrangement of a Dashboard's widgets, as saved in the user's
// `dashboard` preference: `{version: 1, widgets: [{i, type, x, y, w, h}]}`
// on a 12-column grid.
import { isWidgetType, WIDGETS, type WidgetType } from './widgets';

export const COLUMNS = 12;
export const VERSION = 1;

export interface Placement {
  /** Unique in the layout (two widgets may be of one type). */
  i: string;
  type: WidgetType;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SavedLayout {
  version: typeof VERSION;
  widgets: Placement[];
}

const at = (type: WidgetType, x: number, y: number): Placement => ({
  i: type,
  type,
  x,
  y,
  w: WIDGETS[type].w,
  h: WIDGETS[type].h,
});

export const DEFAULT_LAYOUT: Placement[] = [
  at('capacity', 0, 0),
  at('bandwidth', 4, 0),
  at('metadata', 0, 5),
  at('ost-balance', 6, 5),
  at('heatmap', 0, 10),
  at('servers', 7, 10),
];

const whole = (v: unknown, min: number, max: number): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;

/**
 * The widgets of a saved preference value; widgets of unknown types (or
 * malformed) are dropped, and undefined means "nothing usable was saved".
 */
export function parseLayout(value: unknown): Placement[] | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const saved = value as { version?: unknown; widgets?: unknown };
  if (saved.version !== VERSION || !Array.isArray(saved.widgets)) return undefined;
  const seen = new Set<string>();
  const widgets: Placement[] = [];
  for (const item of saved.widgets as Record<string, unknown>[]) {
    if (!item || typeof item !== 'object' || !isWidgetType(item.type)) continue;
    const i = typeof item.i === 'string' && item.i ? item.i : undefined;
    const w = whole(item.w, 1, COLUMNS);
    const x = whole(item.x, 0, COLUMNS - 1);
    const y = whole(item.y, 0, 10_000);
    const h = whole(item.h, 1, 100);
    if (!i || seen.has(i) || w === undefined || x === undefined || y === undefined || h === undefined) continue;
    seen.add(i);
    widgets.push({ i, type: item.type, x, y, w: Math.min(w, COLUMNS - x), h });
  }
  return widgets;
}

export const toSaved = (widgets: Placement[]): SavedLayout => ({
  version: VERSION,
  widgets: widgets.map(({ i, type, x, y, w, h }) => ({ i, type, x, y, w, h })),
});

/** A new widget of `type` under the others, with an id no other has. */
export function added(widgets: Placement[], type: WidgetType): Placement[] {
  const ids = new Set(widgets.map((w) => w.i));
  const id = (n: number) => (n === 1 ? type : `${type}-${n}`);
  let n = 1;
  while (ids.has(id(n))) n += 1;
  const i = id(n);
  const bottom = Math.max(0, ...widgets.map((w) => w.y + w.h));
  return [...widgets, { i, type, x: 0, y: bottom, w: WIDGETS[type].w, h: WIDGETS[type].h }];
}
