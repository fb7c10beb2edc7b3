/**
 * Evaluation-method eligibility of a checked query (pql.md §5.3–5.6, segmentation-api.md §2.3):
 * which of batch, streaming (`continuous`) and edge (`synchronous`) a definition can use, with
 * human-readable reasons the studio shows.
 *
 * Features (pql.md §5.6): event leaves (each chain step, each `xEvent[...]` filter, each
 * `select`/quantifier/comprehension over `xEvent`, each other use of `xEvent`), their time windows
 * (a chain step's `WHEN`, a filter's `timestamp occurs …` conjunct; unbounded when absent or
 * absolute), negated leaves (under `not`, in `forall`, or counted `= 0` / `<` / `<=`), the
 * `inSegment` targets, and "ignore year" (month/day functions applied inside an event condition).
 *
 *   profile-only: no events and no inSegment.
 *   streaming:    every window ≤ 24 h, at least one event leaf required (not negated), no ignore
 *                 year, and every inSegment target profile-only ([decision] §11.28).
 *   edge:         the streaming conditions with at most one event leaf, or inSegment only
 *                 (segment of segments) without events.
 *   batch:        always possible.
 */
import type { Binary, Expr, Filter, TimeSpec, TimeUnit } from './ast.js';
import { childrenOf, timeSpecChildren } from './ast.js';
import type { CheckedQuery } from './checked.js';

export type EvaluationMethod = 'batch' | 'streaming' | 'edge';

export interface Eligibility {
  /** The most immediate method the query qualifies for (edge, then streaming, then batch). */
  readonly method: EvaluationMethod;
  readonly batch: true;
  readonly streaming: boolean;
  readonly edge: boolean;
  /** No events and no inSegment: only profile attributes. */
  readonly profileOnly: boolean;
  readonly usesEvents: boolean;
  /** Number of distinct event conditions (chain steps count one each). */
  readonly eventLeaves: number;
  readonly segmentRefs: readonly string[];
  /** Why the query qualifies or not, one sentence each. */
  readonly reasons: readonly string[];
}

export interface ClassifyOptions {
  /** What is known about a referenced definition; undefined when unknown. */
  readonly segmentInfo?: (id: string) => { readonly profileOnly: boolean; readonly name?: string } | undefined;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<TimeUnit, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 28 * DAY_MS,
  year: 365 * DAY_MS,
  decade: 3650 * DAY_MS,
  century: 36500 * DAY_MS,
  millennium: 365000 * DAY_MS,
};

interface EventLeaf {
  readonly description: string;
  /** Look-back window in ms; Infinity when unbounded or absolute. */
  readonly windowMs: number;
  readonly negated: boolean;
}

/** The look-back a time specification allows, in ms (Infinity when unbounded or absolute). */
export function timeSpecWindow(spec: TimeSpec): number {
  switch (spec.form) {
    case 'relative': {
      if (spec.direction !== 'before') return Infinity;
      if (spec.op !== '<' && spec.op !== '<=') return Infinity;
      const ref = spec.ref;
      const base = spec.amount * UNIT_MS[spec.unit];
      if (ref.kind === 'TimeWord' && ref.word === 'now') return base;
      if (ref.kind === 'TimeWord' && ref.word === 'today') return base + DAY_MS;
      return Infinity;
    }
    case 'on': {
      const ref = spec.ref;
      if (ref.kind === 'TimeWord') return ref.word === 'today' || ref.word === 'now' ? DAY_MS : Infinity;
      if (ref.kind === 'Period') {
        const unit = UNIT_MS[ref.unit];
        if (ref.which === 'this') return unit <= DAY_MS ? unit : Infinity;
        if (ref.which === 'last') return 2 * unit <= DAY_MS ? 2 * unit : Infinity;
      }
      return Infinity;
    }
    default:
      return Infinity;
  }
}

function describeWindow(ms: number): string {
  if (!Number.isFinite(ms)) return 'no bounded time window';
  if (ms % 3_600_000 === 0) return `a ${ms / 3_600_000}-hour window`;
  if (ms % 60_000 === 0) return `a ${ms / 60_000}-minute window`;
  return `a ${ms / 1000}-second window`;
}

function isXEvent(e: Expr): boolean {
  return e.kind === 'XEvent';
}

/** The last path segment a subject reads (`timestamp`, `e.timestamp`). */
function lastName(e: Expr): string | undefined {
  if (e.kind === 'Name') return e.name;
  if (e.kind === 'Member') return e.name;
  return undefined;
}

/** The tightest window among `timestamp occurs …` conjuncts of a condition. */
function conjunctWindow(cond: Expr | undefined): number {
  if (!cond) return Infinity;
  if (cond.kind === 'Binary' && cond.op === 'and') return Math.min(conjunctWindow(cond.left), conjunctWindow(cond.right));
  if (cond.kind === 'Occurs' && lastName(cond.subject) === 'timestamp') return timeSpecWindow(cond.spec);
  return Infinity;
}

const IGNORE_YEAR_NAMES = new Set(['getmonth', 'getdayofmonth', 'currentmonth', 'currentdayofmonth']);

/** Is `e` an event count, compared so that zero events satisfy it (a negation in disguise)? */
function isZeroCountComparison(b: Binary): Expr | undefined {
  const counted = (x: Expr): Expr | undefined =>
    x.kind === 'Method' && x.name.toLowerCase() === 'count' && x.args.length === 0 ? x.receiver : undefined;
  const left = counted(b.left);
  if (!left) return undefined;
  const r = b.right;
  const n = r.kind === 'Integer' ? r.value : undefined;
  if (n === undefined) return undefined;
  if ((b.op === '=' && n === 0) || b.op === '<' || (b.op === '<=' && n >= 0)) return left;
  return undefined;
}

export function classify(checked: CheckedQuery, options: ClassifyOptions = {}): Eligibility {
  const leaves: EventLeaf[] = [];
  let ignoreYear = false;

  const visit = (e: Expr, negated: boolean, inEvent: boolean): void => {
    switch (e.kind) {
      case 'Not':
        visit(e.operand, !negated, inEvent);
        return;
      case 'Chain': {
        e.steps.forEach((s, i) => {
          const w = s.when ? timeSpecWindow(s.when) : Infinity;
          const label = s.label || `step ${i + 1}`;
          leaves.push({
            description: `chain step ${label}${s.count !== undefined ? ` (COUNT(${s.count}))` : ''}`,
            windowMs: w,
            negated,
          });
          visit(s.what, negated, true);
          if (s.where) visit(s.where, negated, true);
          if (s.when) for (const c of timeSpecChildren(s.when)) visit(c, negated, true);
        });
        if (!isXEvent(e.events)) visit(e.events, negated, inEvent);
        return;
      }
      case 'Filter': {
        if (isXEvent(e.object)) {
          leaves.push({ description: describeFilter(e), windowMs: conjunctWindow(e.condition), negated });
          visit(e.condition, negated, true);
          return;
        }
        break;
      }
      case 'XEvent':
        leaves.push({ description: 'a use of xEvent without a time window', windowMs: Infinity, negated });
        return;
      case 'Select':
      case 'Comprehension':
        if (isXEvent(e.source)) {
          leaves.push({ description: `a ${e.kind === 'Select' ? 'select' : e.aggregate} over xEvent`, windowMs: conjunctWindow(e.where), negated });
          if (e.kind === 'Comprehension') visit(e.value, negated, true);
          if (e.where) visit(e.where, negated, true);
          return;
        }
        break;
      case 'Quantifier': {
        const first = e.ranges[0];
        if (first && isXEvent(first.source)) {
          const isForall = e.quantifier === 'forall';
          leaves.push({
            description: `${e.quantifier} over xEvent`,
            windowMs: conjunctWindow(first.where),
            negated: isForall ? !negated : negated,
          });
          for (const r of e.ranges) {
            if (!isXEvent(r.source)) visit(r.source, negated, true);
            if (r.where) visit(r.where, negated, true);
            if (r.assertion) visit(r.assertion, negated, true);
          }
          return;
        }
        break;
      }
      case 'Binary': {
        const zero = isZeroCountComparison(e);
        if (zero && (isXEvent(zero) || (zero.kind === 'Filter' && isXEvent(zero.object)))) {
          visit(zero, !negated, inEvent);
          visit(e.right, negated, inEvent);
          return;
        }
        break;
      }
      case 'Method':
      case 'Call':
        if (inEvent && IGNORE_YEAR_NAMES.has(e.name.toLowerCase())) ignoreYear = true;
        break;
      default:
        break;
    }
    for (const c of childrenOf(e)) visit(c, negated, inEvent);
  };
  visit(checked.root, false, false);

  const segmentRefs = [...new Set(checked.segmentRefs)];
  const usesEvents = leaves.length > 0;
  const profileOnly = !usesEvents && segmentRefs.length === 0;
  const reasons: string[] = [];

  if (profileOnly) {
    reasons.push('Uses profile attributes only: eligible for batch, streaming and edge.');
    return { method: 'edge', batch: true, streaming: true, edge: true, profileOnly, usesEvents, eventLeaves: 0, segmentRefs, reasons };
  }

  let streaming = true;
  const wide = leaves.filter((l) => !(l.windowMs <= DAY_MS));
  for (const l of wide) {
    reasons.push(`The event condition (${l.description}) has ${describeWindow(l.windowMs)}; streaming and edge need a relative window of 24 hours or less.`);
    streaming = false;
  }
  if (usesEvents && leaves.every((l) => l.negated)) {
    reasons.push('Every event condition is negated; streaming and edge need at least one required event.');
    streaming = false;
  }
  if (ignoreYear) {
    reasons.push('An event condition compares month or day without the year ("ignore year"), which only batch evaluates.');
    streaming = false;
  }
  const nonProfileRefs: string[] = [];
  for (const id of segmentRefs) {
    const info = options.segmentInfo?.(id);
    if (!info) {
      nonProfileRefs.push(id);
      reasons.push(`The referenced segment ${id} is unknown, so it cannot be checked for streaming.`);
    } else if (!info.profileOnly) {
      nonProfileRefs.push(id);
      reasons.push(
        `The referenced segment ${info.name ? `"${info.name}" (${id})` : id} is not profile-only; streaming needs every inSegment target to use profile attributes only.`,
      );
    }
  }
  if (nonProfileRefs.length) streaming = false;

  let edge: boolean;
  if (!usesEvents) {
    // a segment of segments: edge-eligible (disqualification every 24 h)
    edge = true;
    reasons.push('Combines other segments only (segment of segments): eligible for edge, re-evaluated every 24 hours.');
  } else {
    edge = streaming && leaves.length <= 1;
    if (streaming && leaves.length > 1)
      reasons.push(`Uses ${leaves.length} event conditions; edge supports a single event (streaming supports several within 24 hours).`);
  }
  if (streaming) {
    reasons.push(
      leaves.length === 1
        ? 'A single event within 24 hours' + (segmentRefs.length ? ' combined with profile-only segments' : '') + ': eligible for streaming.'
        : 'Events within 24 hours: eligible for streaming.',
    );
  }
  const method: EvaluationMethod = edge ? 'edge' : streaming ? 'streaming' : 'batch';
  if (method === 'batch') reasons.push('Evaluated in batch only.');
  return { method, batch: true, streaming, edge, profileOnly, usesEvents, eventLeaves: leaves.length, segmentRefs, reasons };
}

function describeFilter(f: Filter): string {
  return conjunctWindow(f.condition) === Infinity ? 'an xEvent filter' : 'an xEvent filter with a time window';
}
