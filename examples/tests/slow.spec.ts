import { expect, test } from 'shardwright/test';

// Tests of unequal length, as real suites have: sharding by count puts them
// together, sharding by duration spreads them.
for (const [name, ms] of [
  ['report export', 1200],
  ['bulk import', 900],
  ['search index rebuild', 600],
] as const) {
  test(`${name} finishes`, async ({ page }) => {
    await page.goto('/');
    await page.waitForTimeout(ms);
    await expect(page.locator('#title')).toBeVisible();
  });
}
