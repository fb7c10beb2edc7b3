export * from './model.js';
export * from './infer.js';
