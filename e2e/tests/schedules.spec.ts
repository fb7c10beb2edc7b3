import { expect, test } from '@playwright/test';
import { createDefinition, loginByApi, screenshot } from './support/studio.ts';

test('create, edit, toggle, run and delete a schedule, with the next firing times', async ({
  page,
}) => {
  const csrf = await loginByApi(page);
  const name = `Nightly ${Date.now()}`;
  // something for the schedule's jobs to evaluate
  await createDefinition(page, csrf, `${name} gold`, 'loyalty.tier = "gold"');
  await page.goto('/schedules');
  await page.getByRole('button', { name: 'New schedule' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  const cron = dialog.getByRole('textbox', { name: 'Cron expression' });

  // more often than the server allows: the server's message at the field
  await cron.fill('0 * * * * ?');
  await expect(dialog).toContainText('Every minute');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(cron).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toContainText('minimum interval');

  // Quartz: 02:00 UTC every day; in words, and the next five firings (UTC and local)
  await cron.fill('0 0 2 * * ?');
  await expect(dialog).toContainText('At 02:00');
  const next = dialog.getByRole('table', { name: 'Next firing times' });
  await expect(next.getByRole('row')).toHaveCount(6);
  await expect(next.getByRole('row').nth(1).getByRole('cell').first()).toContainText('02:00:00 UTC');
  await screenshot(page, 'schedule-new');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const table = page.getByRole('table', { name: 'Schedules' });
  const row = table.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('0 0 2 * * ?');
  await expect(row).toContainText('inactive');

  // edit the cron
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  await dialog.getByRole('textbox', { name: 'Cron expression' }).fill('0 30 6 ? * MON-FRI');
  await expect(dialog).toContainText('Monday through Friday');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('0 30 6 ? * MON-FRI');

  // toggle active and back
  await page.getByRole('button', { name: `Activate ${name}` }).click();
  await expect(row).toContainText('active');
  await expect(page.getByRole('button', { name: `Deactivate ${name}` })).toBeVisible();
  await screenshot(page, 'schedules');
  await page.getByRole('button', { name: `Deactivate ${name}` }).click();
  await expect(page.getByRole('button', { name: `Activate ${name}` })).toBeVisible();

  // run now (§7.8): a job with source scheduler
  await page.getByRole('button', { name: `Run ${name} now` }).click();
  await expect(page.getByRole('status')).toContainText('was triggered');
  await expect(row).toContainText('manual');
  await expect(row.getByRole('link', { name: 'job' })).toBeVisible();
  await page.goto('/jobs');
  await expect(page.getByRole('table', { name: 'Segment jobs' }).getByRole('row').nth(1)).toContainText('scheduler');
  await page.goto('/schedules');

  // delete, with a confirmation
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const confirm = page.getByRole('alertdialog');
  await expect(confirm).toContainText(name);
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('table', { name: 'Schedules' }).getByRole('row').filter({ hasText: name })).toHaveCount(0);
});
