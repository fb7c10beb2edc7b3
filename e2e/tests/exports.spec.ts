import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { conformanceCase, tick } from './support/dashboards.ts';
import { createDefinition, loginByApi, screenshot } from './support/studio.ts';

test('export a segment to a new dataset and download a file holding exactly its members', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const csrf = await loginByApi(page);
  const c = conformanceCase('v013');
  const tag = `X${Date.now()}`;
  const segName = `${tag} export`;
  await createDefinition(page, csrf, segName, c.pql);

  await page.goto('/exports');
  await page.getByRole('button', { name: 'New export' }).click();
  const form = page.getByRole('form', { name: 'New export' });
  await tick(form, segName);
  await tick(form, /^loyalty\.points/);
  await form.getByRole('combobox', { name: 'Format' }).selectOption('ndjson');
  await form.getByRole('textbox', { name: 'New dataset name' }).fill(`${tag} dataset`);
  await form.getByRole('button', { name: 'Create dataset' }).click();
  await expect(form.getByRole('combobox', { name: 'Dataset' })).not.toHaveValue('');
  await screenshot(page, 'export-form');
  await form.getByRole('button', { name: 'Start export' }).click();

  const table = page.getByRole('table', { name: 'Export jobs' });
  const row = table.getByRole('row').nth(1);
  await expect(row).toContainText(segName);
  await expect(row).toContainText('SUCCEEDED', { timeout: 60_000 });
  await expect(row).toContainText(String(c.count));
  await screenshot(page, 'exports');

  await row.getByRole('button', { name: /Files of export/ }).click();
  const dialog = page.getByRole('dialog');
  const download = page.waitForEvent('download');
  await dialog.getByRole('button', { name: /^Download / }).first().click();
  const file = await (await download).path();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {
    primaryIdentity: { id: string };
    loyalty?: { points?: number };
  });
  expect(lines.map((l) => l.primaryIdentity.id).sort()).toEqual([...c.members].sort());
  // the chosen field only (plus the identities and the membership)
  for (const l of lines) expect(l.loyalty?.points).toBeLessThan(0);
  expect(Object.keys(lines[0]!).sort()).toEqual(['identityMap', 'loyalty', 'primaryIdentity', 'segmentMembership']);
});
