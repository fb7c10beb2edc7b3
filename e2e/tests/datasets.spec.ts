import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chooseSandbox, createSandbox } from './support/dashboards.ts';
import { apiCall, loginByApi, screenshot } from './support/studio.ts';

const profile = (email: string, points: number) =>
  JSON.stringify({
    identityMap: { Email: [{ id: email, primary: true }] },
    person: { name: { firstName: email.split('@')[0] } },
    loyalty: { points },
  });

/** The exact estimate of a PQL in a sandbox (POST /preview, then GET /estimate until ready). */
async function estimate(page: import('@playwright/test').Page, csrf: string, sandbox: string, pql: string) {
  const p = await apiCall(page, csrf, 'POST', '/data/core/ups/preview', {
    predicateExpression: pql,
    predicateType: 'pql/text',
    predicateModel: '_xdm.context.profile',
    graphType: 'none',
  }, sandbox);
  // an empty sandbox has no such field yet: the expression is rejected
  if (p.status === 400 && JSON.stringify(p.body).includes('no field')) return 'unknown field';
  expect(p.status, JSON.stringify(p.body)).toBeLessThan(300);
  const id = (p.body as { previewId: string }).previewId;
  let size = -1;
  await expect(async () => {
    const e = await apiCall(page, csrf, 'GET', `/data/core/ups/estimate/${id}`, undefined, sandbox);
    const body = e.body as { state: string; estimatedSize: number };
    expect(body.state).toBe('RESULT_READY');
    size = body.estimatedSize;
  }).toPass({ timeout: 30_000 });
  return size;
}

test('upload a small dataset into a new development sandbox and see its counts and estimate change', async ({
  page,
}) => {
  const csrf = await loginByApi(page);
  const sandbox = `up${Date.now().toString(36)}`;
  await createSandbox(page, csrf, sandbox);
  expect(await estimate(page, csrf, sandbox, 'loyalty.points > 100')).toBe('unknown field');

  const dir = mkdtempSync(path.join(tmpdir(), 'seg-e2e-upload-'));
  const good = path.join(dir, 'people.ndjson');
  writeFileSync(good, [profile('a@x.com', 50), profile('b@x.com', 150), profile('c@x.com', 250)].join('\n') + '\n');
  const bad = path.join(dir, 'broken.ndjson');
  writeFileSync(bad, `${profile('d@x.com', 500)}\n{"identityMap": nope}\n`);

  await page.goto('/datasets');
  await chooseSandbox(page, sandbox);
  await expect(page.getByTestId('profile-count')).toHaveText('0');
  await page.getByRole('textbox', { name: 'New dataset name' }).fill('people');
  await page.getByRole('button', { name: 'Create dataset' }).click();
  await expect(page.getByRole('combobox', { name: 'Dataset' })).not.toHaveValue('');
  await page.getByLabel('File', { exact: true }).setInputFiles(good);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'now has 3 profiles' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('value', '100');
  await expect(page.getByTestId('profile-count')).toHaveText('3');
  await expect(page.getByRole('table', { name: 'Profile fields' })).toContainText('loyalty.points');
  await screenshot(page, 'datasets');
  expect(await estimate(page, csrf, sandbox, 'loyalty.points > 100')).toBe(2);

  // a bad file: the line at fault, and nothing ingested
  await page.getByLabel('File', { exact: true }).setInputFiles(bad);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'broken.ndjson:2' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('profile-count')).toHaveText('3');
  expect(await estimate(page, csrf, sandbox, 'loyalty.points > 100')).toBe(2);
  await screenshot(page, 'datasets-bad-file');

  // a second file is added to the first
  const more = path.join(dir, 'more.ndjson');
  writeFileSync(more, `${profile('e@x.com', 300)}\n${profile('f@x.com', 400)}\n`);
  await page.getByLabel('File', { exact: true }).setInputFiles(more);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'now has 5 profiles' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('profile-count')).toHaveText('5');
  expect(await estimate(page, csrf, sandbox, 'loyalty.points > 100')).toBe(4);
});
