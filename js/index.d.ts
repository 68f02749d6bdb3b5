import type {
  BackoffOptions,
  ClassifyOptions,
  RetryEvent,
  AttemptRecord,
  RetryReport,
} from '../index';

export { BackoffPolicy } from '../index';
export type { BackoffOptions, ClassifyOptions, RetryEvent, AttemptRecord, RetryReport };

export interface RetryOptions extends BackoffOptions, ClassifyOptions {
  /** Stops waiting and rejects with an `AbortError` (`code: 'ERR_SHARDWRIGHT_ABORTED'`). */
  signal?: AbortSignal;
  /** Called after each failed attempt that will be retried, before the wait. */
  onRetry?: (event: RetryEvent) => void;
}

/** The error `retry()` rejects with: the function's last error, with the attempt history. */
export type RetryError<E = unknown> = E & {
  attempts: AttemptRecord[];
  retryOutcome: 'exhausted' | 'permanent';
};

/**
 * Calls `fn(attempt, signal)` (attempt 1, 2, …) until it resolves, the retries
 * are spent, or it fails with a permanent error, waiting the backoff delay
 * between attempts (in Rust, off the JS thread).
 */
export declare function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => T | Promise<T>,
  options?: RetryOptions,
): Promise<T>;

export {
  History,
  loadHistory,
  flakyReport,
  flakyMarkdown,
  flakySummary,
  events,
  defaultHistoryPath,
  testKey,
} from './history';
export type * from './history';
