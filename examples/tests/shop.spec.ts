import { expect, test } from 'shardwright/test';

test('home page shows the shop', { tag: '@smoke' }, async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle('Shardwright Demo');
  await expect(page.locator('#title')).toHaveText('Shardwright demo shop');
});

test('adding to the cart counts items', async ({ page }) => {
  await page.goto('/');
  await page.click('#add');
  await page.click('#add');
  await expect(page.locator('#count')).toHaveText('2');
});

test.describe('search', () => {
  test('shows results for the query', async ({ page }) => {
    await page.goto('/');
    await page.fill('#q', 'socks');
    await page.click('#search button');
    await expect(page.locator('#results')).toHaveText('Results for socks');
  });
});
