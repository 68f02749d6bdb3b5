import type { PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions, TestType } from '@playwright/test';
import type { BackoffOptions } from '../../index';

export * from '@playwright/test';

/** Options of `shardwright/test`, set under `use` in playwright.config.ts. */
export interface ShardwrightTestOptions {
  /** Backoff before each retry of a test (Playwright retries at once without it). */
  backoff: BackoffOptions;
  /**
   * Retry every failure, as Playwright does. By default a retry is skipped
   * (fails at once with the first error and `shardwright: not retried,
   * permanent failure`) when the first failure is permanent by class and the
   * test has no flaky history (needs the shardwright reporter).
   * @default false
   */
  retryPermanent: boolean;
  /** Error patterns always worth a retry (strings match as substrings). @default [] */
  retryable: Array<string | RegExp>;
  /** Error patterns never worth a retry, unless the test has flaky history. @default [] */
  permanent: Array<string | RegExp>;
}

/** Playwright's `test`, waiting the backoff delay before each retry. */
export declare const test: TestType<PlaywrightTestArgs & PlaywrightTestOptions & ShardwrightTestOptions, PlaywrightWorkerArgs & PlaywrightWorkerOptions>;
export default test;
