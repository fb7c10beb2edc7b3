export * from './expression.js';
export * from './foundation.js';
export * from './definitions.js';
export * from './search.js';
export * from './previews.js';
