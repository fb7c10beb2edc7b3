import { expect, test } from '@playwright/test';
import { apiCall, loginByApi, screenshot } from './support/studio.ts';

test('search a segment by a word of its description, from the header shortcut, and open it', async ({
  page,
}) => {
  const csrf = await loginByApi(page);
  const word = `zebra${Date.now()}`;
  const created = await apiCall(page, csrf, 'POST', '/data/core/ups/segment/definitions', {
    name: `Search target ${word.slice(-5)}`,
    description: `Profiles with the ${word} marker`,
    schema: { name: '_xdm.context.profile' },
    expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.tier = "gold"' },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const name = (created.body as { name: string }).name;

  await page.goto('/segments');
  await expect(page.getByRole('table', { name: 'Segments' })).toBeVisible();
  // the keyboard shortcut from the header
  await page.keyboard.press('/');
  await expect(page).toHaveURL(/\/search$/);
  const box = page.getByRole('searchbox', { name: 'Search segments' });
  await expect(box).toBeFocused();
  await box.fill(word);
  const results = page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('link')).toHaveCount(1);
  await expect(results.getByRole('link', { name })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Namespaces' })).toContainText('1');
  await screenshot(page, 'search');

  // the API's s syntax: field:term and NOT
  await box.fill(`segmentDescription:${word} AND NOT gold`);
  await expect(results.getByRole('link', { name })).toBeVisible();
  await box.fill(`${word} AND segmentName:nomatch`);
  await expect(results.getByRole('link')).toHaveCount(0);
  await box.fill(word);
  await results.getByRole('link', { name }).click();
  await expect(page).toHaveURL(new RegExp(`/segments/${(created.body as { id: string }).id}$`));
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue(name);

  // Ctrl+K works too (outside the editor)
  await page.goto('/jobs');
  await expect(page.getByRole('button', { name: 'Run job' })).toBeVisible();
  await page.keyboard.press('Control+K');
  await expect(page).toHaveURL(/\/search$/);
});
