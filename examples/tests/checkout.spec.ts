import type { Page } from '@playwright/test';
import { expect, test } from 'shardwright/test';

// A serial suite: its tests share a page and must run in order on one worker,
// so a sharded run keeps the suite whole.
test.describe.configure({ mode: 'serial' });

test.describe('checkout flow', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page.close();
  });

  test('adds two items', async () => {
    await page.goto('/');
    await page.click('#add');
    await page.click('#add');
    await expect(page.locator('#count')).toHaveText('2');
  });

  test('opens the cart', async () => {
    await page.click('#to-cart');
    await expect(page.locator('#title')).toHaveText('Your cart');
  });

  test('goes back home', async () => {
    await page.click('#home');
    await expect(page.locator('#title')).toHaveText('Shardwright demo shop');
  });
});
