// Places a target's storage path in layers for the graph: the resources
// that are the volume on top, what they stand on below them, down to the
// disks and the enclosures holding them.

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export interface Layered {
  nodes: Placed[];
  /** The edges drawn: one per `same_as` pair, none to unknown resources. */
  edges: [string, string, string][];
  layers: number;
  widest: number;
}

/** Distinct edges between known resources; a `same_as` pair (sent both ways) once. */
export function distinctEdges(ids: Set<string>, edges: [string, string, string][]): [string, string, string][] {
  const seen = new Set<string>();
  const kept: [string, string, string][] = [];
  for (const [from, to, kind] of edges) {
    if (from === to || !ids.has(from) || !ids.has(to)) continue;
    const key = kind === 'same_as' ? `${[from, to].sort().join('|')}|same_as` : `${from}|${to}|${kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push([from, to, kind]);
  }
  return kept;
}

/**
 * Each resource one layer below the deepest resource standing on it
 * (longest path; a cycle, which plugins must not report, only stops the
 * passes early), ordered in its layer near what stands on it.
 */
export function layered(ids: string[], allEdges: [string, string, string][], order: (a: string, b: string) => number): Layered {
  const edges = distinctEdges(new Set(ids), allEdges);
  const depth = new Map(ids.map((id) => [id, 0]));
  for (let pass = 0; pass < ids.length; pass++) {
    let changed = false;
    for (const [from, to] of edges) {
      const wanted = (depth.get(from) ?? 0) + 1;
      if ((depth.get(to) ?? 0) < wanted) {
        depth.set(to, wanted);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: string[][] = [];
  for (const id of ids) (layers[depth.get(id) ?? 0] ??= []).push(id);
  const upper = new Map<string, string[]>();
  for (const [from, to] of edges) upper.set(to, [...(upper.get(to) ?? []), from]);

  // Top layer by name; each next one by where what stands on it sits.
  const position = new Map<string, number>();
  const nodes: Placed[] = [];
  layers.forEach((layer = [], d) => {
    const centre = (id: string) => {
      const xs = (upper.get(id) ?? []).map((u) => position.get(u)).filter((x): x is number => x !== undefined);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.POSITIVE_INFINITY;
    };
    const sorted = d === 0 ? [...layer].sort(order) : [...layer].sort((a, b) => centre(a) - centre(b) || order(a, b));
    sorted.forEach((id, i) => {
      // Spread each layer over the same width, from 0 to 1.
      const x = (i + 0.5) / sorted.length;
      position.set(id, x);
      nodes.push({ id, x, y: d });
    });
  });
  return { nodes, edges, layers: layers.length, widest: Math.max(0, ...layers.map((l) => l?.length ?? 0)) };
}
