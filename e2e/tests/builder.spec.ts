import { expect, test } from '@playwright/test';
import { editor, editorText, loginByApi, screenshot, typePql } from './support/studio.ts';

test.beforeEach(async ({ page }) => {
  await loginByApi(page);
});

test('create a segment by typing PQL: the estimate equals the conformance count', async ({
  page,
}) => {
  await page.goto('/segments/new');
  await expect(page.getByRole('heading', { name: 'New segment' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Name' }).fill(`Women ${Date.now()}`);
  await typePql(page, 'person.gender = "female"');
  const estimate = page.getByRole('region', { name: 'Estimate' });
  // conformance case v001: 23 of the 80 profiles
  await expect(estimate.getByTestId('estimated-size')).toHaveText('23', { timeout: 30_000 });
  await expect(estimate).toContainText('exact');
  await expect(estimate).toContainText('of 80');
  await expect(estimate).not.toContainText('Stale');
  await expect(page.getByRole('region', { name: 'Problems' })).toContainText('No problems.');
  await expect(page.getByRole('region', { name: 'Preview' }).getByRole('row')).toHaveCount(11);
  await screenshot(page, 'builder');

  // another text: the old result is marked stale until the new one arrives
  await typePql(page, 'person.gender = "female" and homeAddress.stateProvince = "CA"');
  await expect(estimate.getByTestId('estimated-size')).toHaveText('5', { timeout: 30_000 });
  await expect(estimate).not.toContainText('Stale');
});

test('a diagnostic at the right place for an invalid expression, none after fixing it', async ({
  page,
}) => {
  await page.goto('/segments/new');
  // conformance case i001: the second = at line 1, column 17
  await typePql(page, 'person.gender = = "male"');
  const problems = page.getByRole('region', { name: 'Problems' });
  await expect(problems).toContainText('Line 1, column 17');
  await expect(problems).toContainText('PQL101');
  const squiggle = editor(page).locator('.squiggly-error');
  await expect(squiggle).toHaveCount(1);
  // the squiggle sits under the second "=": compare with the rendered text's geometry
  const lines = editor(page).locator('.view-lines');
  const box = (await squiggle.boundingBox())!;
  const linesBox = (await lines.boundingBox())!;
  const charWidth = await page.evaluate(() => {
    const span = document.querySelector('.monaco-editor .view-line span span');
    const r = span?.getBoundingClientRect();
    return r && span?.textContent ? r.width / span.textContent.length : 0;
  });
  expect(charWidth).toBeGreaterThan(0);
  expect(Math.round((box.x - linesBox.x) / charWidth)).toBe(16);
  // the estimate does not run on an invalid expression
  await expect(page.getByRole('region', { name: 'Estimate' })).toContainText('appears by itself');
  await screenshot(page, 'builder-diagnostic');

  await typePql(page, 'person.gender = "male"');
  await expect(problems).toContainText('No problems.');
  await expect(editor(page).locator('.squiggly-error')).toHaveCount(0);
  expect(await editorText(page)).toContain('person.gender = "male"');
});

test('completions come from the schema and the catalogue', async ({ page }) => {
  await page.goto('/segments/new');
  await typePql(page, 'person.gender.sta');
  await page.keyboard.press('Control+Space');
  const suggest = page.locator('.suggest-widget');
  await expect(suggest).toBeVisible();
  await expect(suggest.locator('.monaco-list-row', { hasText: 'startsWith' })).toBeVisible();
  // accepting the method inserts a snippet of its parameters
  await page.keyboard.press('Enter');
  await expect.poll(() => editorText(page)).toContain('person.gender.startsWith(text)');
  await page.keyboard.press('Escape');
  await typePql(page, 'xEvent[timestamp occurs < 7 ');
  await page.keyboard.press('Control+Space');
  await expect(suggest.locator('.monaco-list-row', { hasText: 'days' }).first()).toBeVisible();
});

test('page through the preview and open a profile', async ({ page }) => {
  await page.goto('/segments/new');
  await typePql(page, 'person.gender = "female"');
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toContainText('Profiles 1–10 of 23', { timeout: 30_000 });
  const first = await preview.getByRole('row').nth(1).innerText();
  await preview.getByRole('button', { name: 'Next profiles' }).click();
  await expect(preview).toContainText('Profiles 11–20 of 23');
  expect(await preview.getByRole('row').nth(1).innerText()).not.toBe(first);
  await preview.getByRole('button', { name: 'Next profiles' }).click();
  await expect(preview).toContainText('Profiles 21–23 of 23');
  await expect(preview.getByRole('button', { name: 'Next profiles' })).toBeDisabled();
  await preview.getByRole('button', { name: 'Previous profiles' }).click();
  await expect(preview).toContainText('Profiles 11–20 of 23');

  await preview
    .getByRole('button', { name: /^Open profile / })
    .first()
    .click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: /^Profile / })).toBeVisible();
  await expect(dialog.getByLabel('Profile attributes')).toContainText('"gender": "female"');
  await screenshot(page, 'builder-profile');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('the preview table stays inside its panel with many attribute columns', async ({ page }) => {
  await page.goto('/segments/new');
  await typePql(page, 'person.gender = "female"');
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toContainText('Profiles 1–10 of 23', { timeout: 30_000 });
  const attributes = [
    'person.name.firstName',
    'person.name.lastName',
    'personalEmail.address',
    'mobilePhone.number',
    'person.birthDate',
    'homeAddress.city',
    'homeAddress.stateProvince',
    'homeAddress.postalCode',
    'loyalty.tier',
    'loyalty.points',
    'loyalty.lifetimeValue',
  ];
  await preview.getByRole('textbox', { name: 'Attribute columns' }).fill(attributes.join(', '));
  const table = preview.getByRole('table', { name: 'Qualifying profiles' });
  await expect(table.getByRole('columnheader')).toHaveCount(attributes.length + 1);

  // the table scrolls in a focusable, named frame; nothing overflows the panel or the page
  const frame = preview.getByRole('region', { name: 'Qualifying profiles, scrollable' });
  const fits = async () => ({
    panel: await preview.evaluate((e) => e.scrollWidth <= e.clientWidth),
    frameInPanel: await frame.evaluate((f) => {
      const panel = f.closest('section')!.getBoundingClientRect();
      return f.getBoundingClientRect().right <= panel.right;
    }),
    page: await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
  });
  expect(await fits()).toEqual({ panel: true, frameInPanel: true, page: true });
  expect(await frame.evaluate((f) => f.scrollWidth > f.clientWidth)).toBe(true);

  // keyboard users reach the frame with Tab and scroll it with the arrow keys
  await expect(frame).toHaveAttribute('tabindex', '0');
  await frame.focus();
  await expect(frame).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => frame.evaluate((f) => f.scrollLeft)).toBeGreaterThan(0);

  // a value is cut with an ellipsis when too long, its whole text in the title
  const email = table
    .getByRole('cell')
    .getByTitle(/^[^:]+@/)
    .first();
  expect(await email.getAttribute('title')).toBe(await email.textContent());
  expect(await email.evaluate((e) => getComputedStyle(e).textOverflow)).toBe('ellipsis');
  await expect(
    table.getByRole('columnheader').nth(3).getByTitle('personalEmail.address'),
  ).toBeVisible();

  // the one-column layout of narrower windows too
  await page.setViewportSize({ width: 1024, height: 900 });
  await expect.poll(fits).toEqual({ panel: true, frameInPanel: true, page: true });
});

test('save, reload, reopen', async ({ page }) => {
  const name = `Gold members ${Date.now()}`;
  await page.goto('/segments/new');
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('textbox', { name: 'Description' }).fill('Loyalty tier gold');
  await typePql(page, 'loyalty.tier = "gold"');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/segments\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const url = page.url();

  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue(name);
  await expect(page.getByRole('textbox', { name: 'Description' })).toHaveValue('Loyalty tier gold');
  await expect(editor(page)).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => editorText(page)).toContain('loyalty.tier = "gold"');

  // edit and save with Ctrl+S from the editor
  await typePql(page, 'loyalty.tier = "gold" and loyalty.points > 1000');
  await page.keyboard.press('Control+s');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Segments' })
    .click();
  await page.getByRole('searchbox', { name: 'Filter by name' }).fill(name);
  await page.getByRole('link', { name }).click();
  await expect(page).toHaveURL(url);
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue(name);
  await expect.poll(() => editorText(page)).toContain('loyalty.points > 1000');
});
