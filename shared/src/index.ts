export * from './pql/index.js';
export * from './schema/index.js';
export * from './api/index.js';
