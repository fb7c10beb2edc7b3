import { expect, test } from '@playwright/test';
import { loginByApi } from './support/studio.ts';

test('Monaco loads only on the builder route, from this server only', async ({ page }) => {
  await loginByApi(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/segments');
  await expect(page.getByRole('heading', { level: 2, name: 'Segments' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(requests.filter((u) => /PqlEditor|BuilderPage|editor\.worker|codicon/.test(u))).toEqual(
    [],
  );

  await page.getByRole('link', { name: 'Create segment' }).click();
  await expect(page.locator('.monaco-editor').first()).toBeVisible({ timeout: 30_000 });
  expect(requests.some((u) => /PqlEditor-.*\.js$/.test(u))).toBe(true);
  expect(requests.some((u) => /BuilderPage-.*\.js$/.test(u))).toBe(true);
  // no CDN: every request goes to the studio's own origin
  expect(
    requests.filter((u) => !u.startsWith('http://127.0.0.1:8181/') && !u.startsWith('data:')),
  ).toEqual([]);
});
