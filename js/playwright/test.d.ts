import type { PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions, TestType } from '@playwright/test';
import type { BackoffOptions } from '../../index';

export * from '@playwright/test';

/** Options of `shardwright/test`, set under `use` in playwright.config.ts. */
export interface ShardwrightTestOptions {
  /** Backoff before each retry of a test (Playwright retries at once without it). */
  backoff: BackoffOptions;
}

/** Playwright's `test`, waiting the backoff delay before each retry. */
export declare const test: TestType<PlaywrightTestArgs & PlaywrightTestOptions & ShardwrightTestOptions, PlaywrightWorkerArgs & PlaywrightWorkerOptions>;
export default test;
