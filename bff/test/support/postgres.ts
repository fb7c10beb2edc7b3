/**
 * A throwaway PostgreSQL server per test file. When PostgreSQL cannot be
 * started the tests fail with the reason: they never skip silently.
 */
import { afterAll, beforeAll } from 'vitest';
import {
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../src/engine/postgres/server.js';

export interface PostgresHandle {
  /** The server's URL; throws the start-up failure when it did not start. */
  url(): string;
}

export function usePostgres(): PostgresHandle {
  let server: ThrowawayPostgres | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      server = await startThrowawayPostgres();
    } catch (e) {
      failure = e;
      throw e;
    }
  }, 600_000);
  afterAll(() => server?.stop());
  return {
    url() {
      if (!server)
        throw new Error(
          `PostgreSQL tests need a PostgreSQL server: ${failure instanceof Error ? failure.message : 'it did not start'}`,
        );
      return server.url;
    },
  };
}
