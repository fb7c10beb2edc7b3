/**
 * `inSegment` dependencies between definitions: which definitions a set
 * needs, and the cycles that make a set impossible to evaluate.
 */

export interface DependencyNode {
  readonly id: string;
  readonly segmentRefs: readonly string[];
}

/**
 * The cycles among the definitions, each as the list of ids around it
 * (first id repeated at the end), found by depth-first search.
 */
export function findCycles(nodes: readonly DependencyNode[]): string[][] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(id)), id]);
      return;
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const ref of byId.get(id)?.segmentRefs ?? []) if (byId.has(ref)) visit(ref);
    stack.pop();
    state.set(id, 'done');
  };
  for (const n of nodes) visit(n.id);
  return cycles;
}

/** The ids each definition reaches through inSegment, itself excluded. */
export function reachable(nodes: readonly DependencyNode[], from: string): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const walk = (id: string): void => {
    for (const ref of byId.get(id)?.segmentRefs ?? []) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      walk(ref);
    }
  };
  walk(from);
  seen.delete(from);
  return seen;
}
