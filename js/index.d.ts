import type {
  BackoffOptions,
  ClassifyOptions,
  RetryEvent,
  AttemptRecord,
  RetryReport,
  EffectiveConfig,
  ConfigEntry,
  WorkerExplanation,
  ResourceSnapshot,
  ProcessUsage,
  MachineInputs,
} from '../index';

export { BackoffPolicy } from '../index';
export type {
  BackoffOptions,
  ClassifyOptions,
  RetryEvent,
  AttemptRecord,
  RetryReport,
  EffectiveConfig,
  ConfigEntry,
  WorkerExplanation,
  ResourceSnapshot,
  ProcessUsage,
  MachineInputs,
};

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

/**
 * shardwright's settings. Each can be overridden by its environment variable
 * (`SHARDWRIGHT_<NAME>`, see `npx shardwright config`), which wins over the
 * value given here. Defaults are listed in the README's configuration table.
 */
export interface ShardwrightOptions {
  /** `'auto'` (recommended for this machine) or a fixed count. @default 'auto' */
  workers?: 'auto' | number;
  /** @default 1 */
  minWorkers?: number;
  /** @default no cap */
  maxWorkers?: number;
  /** @default 1 */
  cpusPerWorker?: number;
  /** @default 1024 */
  memoryPerWorkerMb?: number;
  /** @default true */
  considerLoad?: boolean;
  /** @default 2 */
  maxRetries?: number;
  /** @default 1000 */
  initialDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** @default 2 */
  backoffMultiplier?: number;
  /** @default 'equal' */
  jitter?: 'none' | 'full' | 'equal' | 'decorrelated';
  /** @default 1 */
  jitterFactor?: number;
  /** @default '.shardwright/history.json' */
  history?: string;
  /** @default 'duration' */
  strategy?: 'duration' | 'round-robin' | 'file' | 'tag' | 'fail-first';
  /** @default '.shardwright' */
  reportDir?: string;
}

/** Fills `workers`, `retries` and `use.backoff` of a Playwright config. */
export declare function withShardwright<T extends object>(config: T, options?: ShardwrightOptions): T;
/** Prints the effective configuration, the source of each value, and the worker count. */
export declare function printConfig(options?: ShardwrightOptions): EffectiveConfig & { workers: WorkerExplanation };
export declare function resolveConfig(options?: ShardwrightOptions): EffectiveConfig;
/** Playwright workers for this machine (cgroup-aware CPU, memory, load). */
export declare function recommendWorkers(options?: ShardwrightOptions): number;
export declare function explainWorkers(options?: ShardwrightOptions): WorkerExplanation;
export declare function resourceSnapshot(options?: { intervalMs?: number }): Promise<ResourceSnapshot>;
