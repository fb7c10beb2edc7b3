export * from './ast.js';
export * from './types.js';
export * from './diagnostics.js';
// catalogue.ts's TypePattern extends types.ts's; it is re-exported under its own name.
export {
  CATALOGUE,
  AGGREGATE_HEADS,
  catalogueEntry,
  lookupMethod,
  lookupFunction,
  namesOf,
  type TypePattern as CatalogueTypePattern,
  type Evidence,
  type EntryKind,
  type Category,
  type ParamSpec,
  type Signature,
  type CatalogueEntry,
} from './catalogue.js';
export * from './checked.js';
export * from './tokens.js';
export * from './lexer.js';
export * from './parser.js';
export * from './formatter.js';
export * from './pqlJson.js';
export * from './checker.js';
export * from './interpreter.js';
export * from './time.js';
export * from './analyze.js';
export * from './random.js';
export * from './regex.js';
export * from './eligibility.js';
