import { expect, test } from '@playwright/test';
import { apiCall, createDefinition, loginByApi, screenshot } from './support/studio.ts';

test('switching the sandbox shows that sandbox’s segments only', async ({ page }) => {
  const csrf = await loginByApi(page);
  const tag = `S${Date.now()}`;
  const dev = `dev-${Date.now().toString(36)}`;
  const created = await apiCall(
    page,
    csrf,
    'POST',
    '/data/foundation/sandbox-management/sandboxes',
    {
      name: dev,
      title: `Dev ${tag}`,
      type: 'development',
    },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await createDefinition(page, csrf, `${tag} in prod`, 'person.gender = "male"', 'prod');
  await createDefinition(page, csrf, `${tag} in dev`, 'xEvent.count() > 1', dev);

  await page.goto('/segments');
  const table = page.getByRole('table', { name: 'Segments' });
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(tag);
  await expect(table.getByRole('link', { name: `${tag} in prod` })).toBeVisible();
  await expect(table.getByRole('link', { name: `${tag} in dev` })).toHaveCount(0);

  await page.getByRole('combobox', { name: 'Sandbox' }).selectOption(dev);
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(tag);
  await expect(table.getByRole('link', { name: `${tag} in dev` })).toBeVisible();
  await expect(table.getByRole('link', { name: `${tag} in prod` })).toHaveCount(0);
  await screenshot(page, 'segments-dev-sandbox');

  // the choice survives a reload, and every request carries it
  const seen = page.waitForRequest((r) => r.url().includes('/segment/definitions'));
  await page.reload();
  expect((await seen).headers()['x-sandbox-name']).toBe(dev);
  await expect(page.getByRole('combobox', { name: 'Sandbox' })).toHaveValue(dev);
  await page.getByRole('combobox', { name: 'Sandbox' }).selectOption('prod');
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(tag);
  await expect(table.getByRole('link', { name: `${tag} in prod` })).toBeVisible();
});
