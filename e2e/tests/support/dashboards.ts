/** Helpers of the dashboard specs: conformance cases, sandboxes, datasets and batch ingestion via the API. */
import { expect, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCall } from './studio.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CONFORMANCE_DIR =
  process.env.SEG_E2E_DATA_DIR ?? path.resolve(here, '..', '..', '..', '..', 'shared', 'conformance');

export interface Case {
  id: string;
  pql: string;
  members: string[];
  count: number;
}

export function conformanceCase(id: string): Case {
  const all = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'cases.json'), 'utf8')) as {
    valid: Case[];
  };
  const c = all.valid.find((x) => x.id === id);
  if (!c) throw new Error(`no conformance case ${id}`);
  return c;
}

export async function createSandbox(page: Page, csrf: string, name: string): Promise<void> {
  const r = await apiCall(page, csrf, 'POST', '/data/foundation/sandbox-management/sandboxes', {
    name,
    title: `E2E ${name}`,
    type: 'development',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

export async function createDataset(
  page: Page,
  csrf: string,
  name: string,
  sandbox: string,
  events = false,
): Promise<string> {
  const r = await apiCall(
    page,
    csrf,
    'POST',
    '/data/foundation/catalog/dataSets',
    { name, ...(events ? { schemaRef: { id: 'https://ns.adobe.com/xdm/context/experienceevent' } } : {}) },
    sandbox,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return String((r.body as string[])[0]).replace('@/dataSets/', '');
}

/** Ingests one NDJSON file into a dataset through the batch API (create, PUT, COMPLETE). */
export async function ingestFile(
  page: Page,
  csrf: string,
  sandbox: string,
  datasetId: string,
  file: string,
): Promise<void> {
  const headers = { 'x-csrf-token': csrf, 'x-sandbox-name': sandbox };
  const b = await page.request.post('/data/foundation/import/batches', {
    headers: { ...headers, 'content-type': 'application/json' },
    data: JSON.stringify({ datasetId, inputFormat: { format: 'json' } }),
  });
  expect(b.status(), await b.text()).toBe(201);
  const id = ((await b.json()) as { id: string }).id;
  const put = await page.request.put(
    `/data/foundation/import/batches/${id}/datasets/${datasetId}/files/${path.basename(file)}`,
    {
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      data: readFileSync(file),
      timeout: 120_000,
    },
  );
  expect(put.status(), await put.text()).toBe(200);
  const done = await page.request.post(`/data/foundation/import/batches/${id}?action=COMPLETE`, {
    headers,
    timeout: 120_000,
  });
  expect(done.status(), await done.text()).toBe(200);
}

/** Chooses a sandbox in the header (after a reload, so a sandbox created meanwhile is listed). */
export async function chooseSandbox(page: Page, name: string): Promise<void> {
  await page.reload();
  await page.getByRole('combobox', { name: 'Sandbox' }).selectOption(name);
}

/** Ticks a React Aria checkbox or radio (its input is visually hidden: click its label). */
export async function tick(scope: Locator, name: string | RegExp): Promise<void> {
  const label = scope.locator('label').filter({ hasText: name }).first();
  await label.click();
  await expect(label.getByRole('checkbox').or(label.getByRole('radio'))).toBeChecked();
}
