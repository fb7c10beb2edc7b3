import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, screenshot } from './support/studio.ts';

test('log in, see the header and every section, sign out', async ({ page }) => {
  await page.goto('/segments');
  await expect(page).toHaveURL(/\/login\?next=%2Fsegments$/);
  await page.getByRole('textbox', { name: 'Username' }).fill('admin');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText(/invalid username or password/i);

  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/segments$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Segments' })).toBeVisible();
  const sandbox = page.getByRole('combobox', { name: 'Sandbox' });
  await expect(sandbox).toHaveValue('prod');
  await screenshot(page, 'segments');

  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const [label, path] of [
    ['Jobs', '/jobs'],
    ['Exports', '/exports'],
    ['Schedules', '/schedules'],
    ['Search', '/search'],
    ['Datasets', '/datasets'],
  ] as const) {
    await nav.getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.getByRole('heading', { level: 2, name: label })).toBeVisible();
    await screenshot(page, label.toLowerCase());
  }
  // deep links survive a reload (the server answers index.html for client routes)
  await page.goto('/jobs/1234');
  await expect(page.getByRole('heading', { level: 2, name: 'Job 1234' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/segments');
  await expect(page).toHaveURL(/\/login/);
});
