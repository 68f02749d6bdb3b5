import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult, TestRun } from '@playwright/test/reporter';
import type { FlakyCallbacks } from '../api/history';
import type { ShardwrightOptions } from '../index';

/** Options of `['shardwright/reporter', options]`: shardwright's settings plus report callbacks. */
export type ShardwrightReporterOptions = ShardwrightOptions & FlakyCallbacks;

/**
 * The shardwright reporter: duration-balanced `--shard` (Playwright 1.65's
 * preprocess API), the test history, flaky detection, quarantine, and the
 * flaky report (`<reportDir>/flaky-report.json` and `.md`).
 */
declare class ShardwrightReporter implements Reporter {
  constructor(options?: ShardwrightReporterOptions);
  printsToStdio(): boolean;
  preprocess(params: { config: FullConfig; suite: Suite; testRun: TestRun }): Promise<void>;
  onBegin(config: FullConfig, suite: Suite): void;
  onError(error: TestError): void;
  onTestEnd(test: TestCase, result: TestResult): void;
  onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined>;
}
export default ShardwrightReporter;
