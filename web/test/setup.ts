import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// vitest runs with globals: false, so Testing Library cannot register its own cleanup.
afterEach(() => {
  cleanup();
});

// jsdom has no CSS.escape (React Aria's modal reads a CSP meta tag with it)
const g = globalThis as unknown as { CSS?: { escape?: (s: string) => string } };
g.CSS ??= {};
g.CSS.escape ??= (s: string) => s.replace(/([^\w-])/g, '\\$1');
