import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chooseSandbox,
  conformanceCase,
  createDataset,
  createSandbox,
  ingestFile,
  tick,
} from './support/dashboards.ts';
import { createDefinition, loginByApi, screenshot } from './support/studio.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

test('run a job from the Jobs page and watch it reach SUCCEEDED with the conformance counts', async ({
  page,
}) => {
  const csrf = await loginByApi(page);
  const tag = `J${Date.now()}`;
  const cases = [conformanceCase('v001'), conformanceCase('v013'), conformanceCase('v014')];
  const names = cases.map((c) => `${tag} ${c.id}`);
  for (const [i, c] of cases.entries()) await createDefinition(page, csrf, names[i]!, c.pql);

  await page.goto('/jobs');
  await page.getByRole('button', { name: 'Run job' }).click();
  const dialog = page.getByRole('dialog');
  for (const n of names) await tick(dialog, n);
  await dialog.getByRole('button', { name: 'Start job' }).click();

  // the job's page follows it live until it is final
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByTestId('job-status')).toHaveText('SUCCEEDED', { timeout: 60_000 });
  const counts = page.getByRole('table', { name: 'Per-segment counts' });
  for (const [i, c] of cases.entries()) {
    const row = counts.getByRole('row').filter({ hasText: names[i]! });
    // a first run: every qualified profile is realized
    await expect(row.getByRole('cell')).toHaveText([names[i]!, String(c.count), String(c.count), '0', '0']);
  }
  await expect(page.getByRole('figure', { name: 'Per-segment counts chart' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Timings' })).toContainText('Total');
  await screenshot(page, 'job');

  // the list: newest first, with the status word, source and a duration
  await page.getByRole('link', { name: /All jobs/ }).click();
  const table = page.getByRole('table', { name: 'Segment jobs' });
  const first = table.getByRole('row').nth(1);
  await expect(first).toContainText('SUCCEEDED');
  await expect(first).toContainText('api');
  await page.getByRole('combobox', { name: 'Status' }).selectOption('SUCCEEDED');
  await expect(table.getByRole('row').nth(1)).toContainText('SUCCEEDED');
  await screenshot(page, 'jobs');

  // the segment's history: this run on its page
  await page.goto('/segments');
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(names[0]!);
  await page.getByRole('link', { name: names[0]! }).click();
  const history = page.getByRole('region', { name: 'History' });
  await expect(history.getByRole('table', { name: 'Runs of this segment' }).getByRole('row')).toHaveCount(2);
  await expect(
    history.getByRole('table', { name: 'Runs of this segment' }).getByRole('row').nth(1).getByRole('cell'),
  ).toHaveText([/.+/, String(cases[0]!.count), String(cases[0]!.count), '0']);
  await expect(history.getByRole('figure', { name: 'Qualified profiles across jobs' })).toBeVisible();
  await screenshot(page, 'segment-history');
});

test('cancel a long job: PROCESSING with a progress bar, then CANCELLED', async ({ page }) => {
  test.setTimeout(300_000);
  const csrf = await loginByApi(page);
  const sandbox = `big${Date.now().toString(36)}`;
  await createSandbox(page, csrf, sandbox);
  // a generated dataset, big enough for a job to take seconds, ingested through the batch API
  const dir = mkdtempSync(path.join(tmpdir(), 'seg-e2e-big-'));
  try {
    execFileSync(
      path.resolve(here, '..', 'node_modules', '.bin', 'tsx'),
      [path.resolve(here, '..', '..', 'bff', 'src', 'cli', 'seg.ts'), 'generate', '--profiles', '20000', '--events-per-profile', '20', '--seed', '7', '--out', dir],
      { stdio: 'ignore' },
    );
    const people = await createDataset(page, csrf, 'people', sandbox);
    const events = await createDataset(page, csrf, 'events', sandbox, true);
    await ingestFile(page, csrf, sandbox, people, path.join(dir, 'profiles.ndjson'));
    await ingestFile(page, csrf, sandbox, events, path.join(dir, 'events.ndjson'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const PQLS = [
    'xEvent[eventType = "commerce.purchases"].count() >= 3',
    'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal) > 500',
    'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), P: WHAT(eventType = "commerce.purchases")])',
    'xEvent.productListItems.SKU.distinct().count() >= 5',
  ];
  for (let i = 0; i < 80; i++)
    await createDefinition(page, csrf, `long ${i}`, `(${PQLS[i % PQLS.length]!}) and not (loyalty.points = ${-1 - i})`, sandbox);

  await page.goto('/jobs');
  await chooseSandbox(page, sandbox);
  await page.getByRole('button', { name: 'Run job' }).click();
  const dialog = page.getByRole('dialog');
  await tick(dialog, 'All segments of the sandbox');
  await dialog.getByRole('button', { name: 'Start job' }).click();
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByTestId('job-status')).toHaveText('PROCESSING', { timeout: 60_000 });
  await expect(page.getByRole('progressbar', { name: /Progress of job/ })).toBeVisible();
  await screenshot(page, 'job-processing');
  await page.getByRole('button', { name: 'Cancel job' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('CANCELLED', { timeout: 60_000 });
  await page.getByRole('link', { name: /All jobs/ }).click();
  await expect(page.getByRole('table', { name: 'Segment jobs' }).getByRole('row').nth(1)).toContainText('CANCELLED');
});
