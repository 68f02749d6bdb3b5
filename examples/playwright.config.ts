import { defineConfig } from '@playwright/test';
import type { ShardwrightTestOptions } from 'shardwright/test';

// The end-to-end tests run several copies of this project at once (shards,
// repeated runs), so the port and the output locations can be set from the
// environment.
const PORT = Number(process.env.EXAMPLES_PORT || 4173);

export default defineConfig<ShardwrightTestOptions>({
  testDir: './tests',
  outputDir: process.env.EXAMPLES_OUTPUT_DIR || 'test-results',
  workers: 2,
  retries: 2,
  timeout: 15_000,
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.EXAMPLES_JSON_REPORT || 'results/report.json' }],
  ],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    // shardwright/test waits this backoff before each retry.
    backoff: { initialDelayMs: 1500, multiplier: 2, jitter: 'none' },
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download is not needed.
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: 'node server.js',
    url: `http://127.0.0.1:${PORT}/`,
    env: { PORT: String(PORT) },
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
