import { expect, test } from 'shardwright/test';

test('cart lists the items', async ({ page }) => {
  await page.goto('/cart.html');
  await expect(page.locator('#items li')).toHaveCount(2);
  await expect(page.locator('#total')).toHaveText('Total: 2 items');
});

test('cart links back home', { tag: '@smoke' }, async ({ page }) => {
  await page.goto('/cart.html');
  await page.click('#home');
  await expect(page).toHaveURL(/\/$/);
});
