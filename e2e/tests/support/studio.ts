/** Helpers shared by the studio specs: login, API calls with the session, Monaco typing, screenshots. */
import { expect, type Page } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADMIN_PASSWORD = 'e2e-admin-password';
const here = path.dirname(fileURLToPath(import.meta.url));
/** Screenshots of every page, kept as test artifacts (test-results/ is git-ignored). */
export const SCREENSHOTS = path.resolve(here, '..', '..', 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Logs in through the API (the context then holds the session cookie); returns the CSRF token. */
export async function loginByApi(page: Page): Promise<string> {
  const res = await page.request.post('/api/session', {
    data: { username: 'admin', password: ADMIN_PASSWORD },
  });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

/** A call of the API with the page's session (cookie + CSRF + sandbox headers). */
export async function apiCall(
  page: Page,
  csrf: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  data?: unknown,
  sandbox = 'prod',
): Promise<{ status: number; body: unknown }> {
  const res = await page.request.fetch(url, {
    method,
    headers: {
      'x-csrf-token': csrf,
      'x-sandbox-name': sandbox,
      ...(data !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(data !== undefined ? { data: JSON.stringify(data) } : {}),
  });
  const text = await res.text();
  return { status: res.status(), body: text ? JSON.parse(text) : undefined };
}

export async function createDefinition(
  page: Page,
  csrf: string,
  name: string,
  pql: string,
  sandbox = 'prod',
): Promise<string> {
  const r = await apiCall(
    page,
    csrf,
    'POST',
    '/data/core/ups/segment/definitions',
    {
      name,
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL', format: 'pql/text', value: pql },
    },
    sandbox,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body as { id: string }).id;
}

/** The Monaco editor of the builder (visible once its chunk loaded). */
export function editor(page: Page) {
  return page.locator('.monaco-editor').first();
}

/** Replaces the editor's text by typing (insertText avoids auto-closing quotes and brackets). */
export async function typePql(page: Page, text: string): Promise<void> {
  await expect(editor(page)).toBeVisible({ timeout: 30_000 });
  await editor(page).locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** The text of the editor as Monaco renders it (non-breaking spaces normalised). */
export async function editorText(page: Page): Promise<string> {
  const t = await editor(page).locator('.view-lines').innerText();
  return t.replace(/\u00a0/g, ' ');
}
