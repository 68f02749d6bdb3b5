// Compiled (not run) by __tests__/types.test.js: the public types as a user
// writes against them.
import { defineConfig } from '@playwright/test';
import {
  retry,
  BackoffPolicy,
  withShardwright,
  printConfig,
  recommendWorkers,
  explainWorkers,
  resourceSnapshot,
  planShards,
  selectShard,
  checkShardCoverage,
  WorkerManager,
  History,
  loadHistory,
  flakyReport,
  events,
  testKey,
  writeHtmlReport,
  htmlReport,
  type ShardwrightOptions,
  type RetryError,
  type FlakyReport,
} from 'shardwright';
import { test, expect, type ShardwrightTestOptions } from 'shardwright/test';
import ShardwrightReporter from 'shardwright/reporter';

const options: ShardwrightOptions = { maxWorkers: 4, jitter: 'full', quarantineMode: 'skip', quarantine: ['a › b'], html: 'report.html' };
export const config = withShardwright(defineConfig<ShardwrightTestOptions>({ use: { backoff: { initialDelayMs: 100 } } }), options);

async function main(): Promise<void> {
  const value: number = await retry(async (attempt) => attempt * 2, { maxRetries: 3, onRetry: (e) => console.log(e.delayMs, e.rule) });
  try {
    await retry(async () => { throw new Error('x'); });
  } catch (err) {
    const e = err as RetryError<Error>;
    console.log(e.attempts.length, e.retryOutcome, value);
  }
  const policy = new BackoffPolicy({ initialDelayMs: 10, jitter: 'none' });
  const delays: number[] = policy.schedule();
  console.log(delays, policy.worstCaseTotalMs, recommendWorkers(), explainWorkers().limitedBy, printConfig().ci);
  const snapshot = await resourceSnapshot({ intervalMs: 200 });
  console.log(snapshot.treeRssMb);

  const plan = planShards([{ id: 'g', tests: ['a', 'b'], durationMs: 10 }], { shards: 2 });
  console.log(plan.makespan, plan.shards[0].expectedMs, selectShard([{ id: 'g' }], { shards: 1, index: 1 }).tests);
  console.log(checkShardCoverage(['a'], [{ index: 1, fingerprint: 'f', tests: ['a'] }]).ok);

  const pool = new WorkerManager({ maxWorkers: 2 });
  const result = await pool.submit({ id: 't', fn: async () => 1 });
  console.log(result.outcome);

  const history = History.load('.shardwright/history.json');
  history.addRun({ attempts: [{ file: 'a.spec.ts', titlePath: ['t'], durationMs: 5, status: 'passed' }] });
  const report: FlakyReport = history.analyze({ flakyThreshold: 0.2 });
  console.log(report.summary.flaky, testKey({ project: 'p', file: 'f', titlePath: ['t'] }));
  await loadHistory();
  await flakyReport(history, { onFlaky: (t) => console.log(t.key) });
  events.on('flaky', (t) => console.log(t.score));
  const page: string = htmlReport(history, { reportDir: '.shardwright/reports' });
  console.log(page.length, writeHtmlReport('report.html', '.shardwright/history.json', { options }).size);
  console.log(new ShardwrightReporter({ strategy: 'duration' }).printsToStdio());
}

test('typed fixture option', async ({ page, backoff }) => {
  console.log(backoff.initialDelayMs);
  await expect(page).toHaveTitle('x');
});

void main;
