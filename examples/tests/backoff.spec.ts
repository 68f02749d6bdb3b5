import { createServer } from 'node:net';
import { expect, test } from 'shardwright/test';

// A loopback port that nothing listens on: bind an ephemeral port, then close it.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The first attempt hits a closed port: a real, transient
// net::ERR_CONNECTION_REFUSED. Playwright retries it; shardwright/test waits
// the configured backoff first (see `use.backoff` in playwright.config.ts).
test('recovers after a refused connection', async ({ page }, testInfo) => {
  testInfo.annotations.push({ type: 'body-start', description: String(Date.now()) });
  const url = testInfo.retry === 0 ? `http://127.0.0.1:${await closedPort()}/` : '/';
  await page.goto(url);
  await expect(page.locator('#title')).toHaveText('Shardwright demo shop');
});
