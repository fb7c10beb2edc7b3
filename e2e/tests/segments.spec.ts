import { expect, test } from '@playwright/test';
import { apiCall, createDefinition, loginByApi, screenshot } from './support/studio.ts';

test('the segments list: filter, sort, open, duplicate, delete, and the dependents error', async ({
  page,
}) => {
  const csrf = await loginByApi(page);
  const tag = `L${Date.now()}`;
  const baseId = await createDefinition(page, csrf, `${tag} base`, 'loyalty.points > 100');
  await createDefinition(
    page,
    csrf,
    `${tag} child`,
    `inSegment("${baseId}") and person.gender = "female"`,
  );
  await createDefinition(page, csrf, `${tag} another`, 'homeAddress.countryCode = "US"');

  await page.goto('/segments');
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(tag);
  const table = page.getByRole('table', { name: 'Segments' });
  await expect(table.getByRole('row')).toHaveCount(4);

  // sort by name ascending, then descending
  await table.getByRole('button', { name: 'Name' }).click();
  await expect(table.getByRole('columnheader', { name: /Name/ })).toHaveAttribute(
    'aria-sort',
    'ascending',
  );
  await expect(table.getByRole('row').nth(1)).toContainText(`${tag} another`);
  await table.getByRole('button', { name: 'Name' }).click();
  await expect(table.getByRole('row').nth(1)).toContainText(`${tag} child`);
  await screenshot(page, 'segments-list');

  // duplicate
  await page.getByRole('button', { name: `Duplicate ${tag} another` }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Duplicated as' })).toBeVisible();
  await expect(table.getByRole('link', { name: `${tag} another (copy)` })).toBeVisible();

  // deleting a definition another one uses: 409, shown clearly
  await page.getByRole('button', { name: `Delete ${tag} base` }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog.getByRole('alert')).toContainText('other segments use it');
  await screenshot(page, 'segments-delete-409');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // a plain delete
  await page.getByRole('button', { name: `Delete ${tag} another (copy)` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted' })).toBeVisible();
  await expect(table.getByRole('link', { name: `${tag} another (copy)` })).toHaveCount(0);

  // open
  await page.getByRole('button', { name: `Open ${tag} child` }).click();
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue(`${tag} child`);
  const r = await apiCall(page, csrf, 'GET', `/data/core/ups/segment/definitions/${baseId}`);
  expect(r.status).toBe(200);
});
