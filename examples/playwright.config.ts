import { defineConfig } from '@playwright/test';
import { withShardwright } from 'shardwright';
import type { ShardwrightTestOptions } from 'shardwright/test';

// The end-to-end tests run several copies of this project at once (shards,
// repeated runs), so the port and the output locations can be set from the
// environment. `shardwright run` runs several Playwright processes at once,
// each starting this web server: SHARDWRIGHT_WORKER_INDEX (0, 1, … per
// process) gives each its own port.
const PORT = Number(process.env.EXAMPLES_PORT || 4173) + Number(process.env.SHARDWRIGHT_WORKER_INDEX || 0);

export default withShardwright(
  defineConfig<ShardwrightTestOptions>({
    testDir: './tests',
    outputDir: process.env.EXAMPLES_OUTPUT_DIR || 'test-results',
    timeout: 15_000,
    reporter: [['list'], ['json', { outputFile: process.env.EXAMPLES_JSON_REPORT || 'results/report.json' }]],
    use: {
      baseURL: `http://127.0.0.1:${PORT}`,
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
  }),
  {
    // shardwright fills `workers` (recommended for this machine), `retries`
    // and the backoff that shardwright/test waits before each retry.
    maxWorkers: 2,
    memoryPerWorkerMb: 512,
    maxRetries: 2,
    initialDelayMs: 1500,
    backoffMultiplier: 2,
    jitter: 'none',
  },
);
