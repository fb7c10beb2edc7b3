/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const BFF = process.env.BFF_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/data': BFF,
      '/ims': BFF,
      '/healthz': BFF,
      '/api': BFF,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // the budget check (scripts/check-budget.mjs) reads the chunk graph from the manifest
    manifest: true,
    chunkSizeWarningLimit: 4000,
  },
  worker: { format: 'es' },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['./test/setup.ts'],
  },
});
