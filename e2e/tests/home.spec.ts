import { expect, test } from '@playwright/test';

test('home page shows the studio shell', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Segmentation Studio' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
});
