/**
 * The checked AST: the parse tree plus the side tables the checker fills in.
 * The reference interpreter and every SQL dialect's compiler read only this;
 * none of them re-derives a type or re-resolves a name.
 */
import type { CatalogueEntry } from './catalogue.js';
import type {
  Comprehension,
  Expr,
  Lambda,
  Let,
  Name,
  Period,
  Quantifier,
  Select,
  This,
  UpRef,
} from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import type { PqlType } from './types.js';

/**
 * A node that binds variables: `let` (one per binding, by index), `select`,
 * a quantifier range (by index), a comprehension, or a lambda parameter (by index).
 * A lambda at the top of the query binds its first parameter to the profile.
 */
export type Binder = Let | Select | Quantifier | Comprehension | Lambda;

/**
 * What a name refers to.
 * - `variable`: the value bound by `binder` (its `index`-th binding/range/parameter).
 * - `field`: the field `name` of the element of the scope `level` steps out
 *   (0 = innermost). The outermost scope is the profile. Filters, per-element
 *   method arguments, chain WHAT/WHERE clauses and `map({…})` push scopes.
 *   `^x` is level 1, `^^.x` level 2; a name in a chain step that the event does
 *   not have but the profile does resolves to the profile's level (pql.md §3.7).
 * - `element`: the element itself of scope `level` (`this`; `$1` is the profile).
 */
export type Resolution =
  | { readonly kind: 'variable'; readonly binder: Binder; readonly index: number }
  | { readonly kind: 'field'; readonly level: number; readonly name: string }
  | { readonly kind: 'element'; readonly level: number };

export interface CheckedQuery {
  readonly root: Expr;
  /** Diagnostics of parsing and checking, in source order. */
  readonly diagnostics: readonly Diagnostic[];
  /** The type of every expression node (`any` where unknown), and of every `Period` of a TimeSpec. */
  readonly types: ReadonlyMap<Expr | Period, PqlType>;
  /** Resolution of every `Name`, `UpRef`, `This` and `Param` node. */
  readonly resolutions: ReadonlyMap<Name | UpRef | This | Expr, Resolution>;
  /** The catalogue entry every `Method`, `Call`, `Binary`, `Not`, `Occurs` … node resolved to. */
  readonly entries: ReadonlyMap<Expr | Period, CatalogueEntry>;
  /** Segment ids referenced with `inSegment`, in order of appearance. */
  readonly segmentRefs: readonly string[];
}
