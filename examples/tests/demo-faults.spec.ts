import { expect, test } from 'shardwright/test';

// Faults on demand, for the end-to-end tests of flaky detection. With no
// SHARDWRIGHT_DEMO_* variable set (a normal run) both tests pass.

// Flaky: its outcome depends on something outside the code under test. Here
// the run number decides: it fails on runs listed in SHARDWRIGHT_DEMO_FLAKY_FAILS.
test('checkout total is shown', async ({ page }) => {
  await page.goto('/cart.html');
  const failingRuns = (process.env.SHARDWRIGHT_DEMO_FLAKY_FAILS || '').split(',').filter(Boolean);
  const run = process.env.SHARDWRIGHT_DEMO_RUN || '0';
  const expected = failingRuns.includes(run) ? 'Total: 3 items' : 'Total: 2 items';
  await expect(page.locator('#total')).toHaveText(expected, { timeout: 1000 });
});

// Broken: a change to the code breaks it for good (SHARDWRIGHT_DEMO_BROKEN=1
// stands for "the commit that broke the search").
test('search keeps the query', async ({ page }) => {
  await page.goto('/');
  await page.fill('#q', 'shoes');
  await page.click('#search button');
  const query = process.env.SHARDWRIGHT_DEMO_BROKEN === '1' ? 'boots' : 'shoes';
  await expect(page.locator('#results')).toHaveText(`Results for ${query}`, { timeout: 1000 });
});
