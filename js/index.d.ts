import type {
  AttemptRecord,
  BackoffOptions,
  ClassifyOptions,
  ConfigEntry,
  EffectiveConfig,
  MachineInputs,
  ProcessUsage,
  ResourceSnapshot,
  RetryEvent,
  RetryReport,
  WorkerExplanation,
} from '../index';

export { BackoffPolicy } from '../index';
export type {
  AttemptRecord,
  BackoffOptions,
  ClassifyOptions,
  ConfigEntry,
  EffectiveConfig,
  MachineInputs,
  ProcessUsage,
  ResourceSnapshot,
  RetryEvent,
  RetryReport,
  WorkerExplanation,
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
export declare function retry<T>(fn: (attempt: number, signal?: AbortSignal) => T | Promise<T>, options?: RetryOptions): Promise<T>;

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
  /** Also write the HTML run report (one self-contained file) here after each run. @default none */
  html?: string;
  /** @default 20 */
  historyRuns?: number;
  /** @default false */
  resetHistory?: boolean;
  /** @default 20 */
  flakyWindow?: number;
  /** @default 0.1 */
  flakyThreshold?: number;
  /** @default 0.3 */
  quarantineThreshold?: number;
  /** @default 3 */
  brokenAfter?: number;
  /** @default 'run' */
  quarantineMode?: 'run' | 'skip' | 'off';
  /** Test keys, key prefixes or `/regex/flags` strings. @default [] */
  quarantine?: string[];
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

// ── Sharding ────────────────────────────────────────────────────────────────

import type { ShardCoverage, ShardOptions, ShardRunRecord } from '../index';

export type { ShardCoverage, ShardOptions, ShardRunRecord };

/** A group of tests that stays on one shard (formed as Playwright's createTestGroups forms them). */
export interface ShardGroup {
  /** Stable id: `project › file`, `project › file › describe`, or a test key. */
  id: string;
  project?: string;
  /** Test file, relative to the project's testDir. */
  file?: string;
  /** Stable test keys; left out: one test whose key is `id`. */
  tests?: string[];
  /** Tags with their `@`. */
  tags?: string[];
  /** Expected duration of the group; undefined when unknown. */
  durationMs?: number;
  failedLastRun?: boolean;
  /** How many of `tests` are expected to be skipped. */
  skipped?: number;
}

export type ShardStrategy = 'duration' | 'round-robin' | 'file' | 'tag' | 'fail-first' | 'playwright';

export interface PlannedShard {
  /** 1-based, as in `--shard=i/n`. */
  index: number;
  /** Group ids, in run order. */
  groups: string[];
  /** Positions in the planned groups array, in run order (not enumerable). */
  readonly groupIndexes: Uint32Array;
  testCount: number;
  /** Sum of the groups' loads: milliseconds, or tests when `balancedBy` is 'count'. */
  load: number;
  weight: number;
  /** `load ÷ weight`, in the plan's unit. */
  expected: number;
  /** `expected` when balanced by duration, else null. */
  expectedMs: number | null;
}

export interface ShardPlan {
  shards: PlannedShard[];
  strategy: ShardStrategy;
  tagMode: 'group' | 'spread';
  /** 'duration': loads are expected ms; 'count': no group had a duration, loads are test counts. */
  balancedBy: 'duration' | 'count';
  groupCount: number;
  testCount: number;
  total: number;
  /** `max(total ÷ Σ weights, longest group ÷ largest weight)`. */
  lowerBound: number;
  /** The latest shard's `expected`. */
  makespan: number;
  /** `makespan ÷ lowerBound` (1 is perfect). */
  imbalance: number;
  estimatedGroups: number;
  perTestEstimateMs: number | null;
  /** XXH3-128 (hex) of every input; see docs/sharding.md. */
  fingerprint: string;
}

export declare const SHARD_STRATEGIES: readonly ShardStrategy[];

/** Plans the groups over `options.shards` shards (ERR_SHARDWRIGHT_CONFIG / ERR_SHARDWRIGHT_PLAN on bad input). */
export declare function planShards(groups: ShardGroup[] | string, options: ShardOptions): ShardPlan;

/** Plans, then returns shard `options.index`'s test keys in run order, with the plan. */
export declare function selectShard(
  groups: ShardGroup[] | string,
  options: ShardOptions & { index: number },
): { index: number; tests: string[]; groups: string[]; plan: ShardPlan };

/** The plan as a readable table. */
export declare function formatShardPlan(plan: ShardPlan): string;

/** Did every expected test run exactly once across the shards, all planning alike? */
export declare function checkShardCoverage(expected: string[], records: ShardRunRecord[], shards?: number): ShardCoverage;

/** Groups from a live Suite in `Reporter.preprocess({ config, suite, testRun })` (Playwright ≥ 1.65). */
export declare function suiteGroups(
  suite: import('@playwright/test/reporter').Suite,
  testRun: import('@playwright/test/reporter').TestRun,
  options?: { config?: import('@playwright/test/reporter').FullConfig },
): { groups: ShardGroup[]; testsByKey: Map<string, import('@playwright/test/reporter').TestCase> };

export interface ListedTest {
  project: string;
  /** Relative to the project's testDir. */
  file: string;
  /** Relative to the config's rootDir. */
  rootFile: string;
  titlePath: string[];
  /** The test's line in a `--test-list` file. */
  listLine: string;
}

/** Groups from a `playwright test --list --reporter=json` report. */
export declare function listReportGroups(
  report: unknown,
  options?: { groupBy?: 'auto' | 'file' | 'test' },
): { groups: ShardGroup[]; tests: Map<string, ListedTest>; rootDir: string };

/** Folds per-test history (key → ms or { durationMs, failedLastRun }) into group durations; returns how many groups got one. */
export declare function applyHistory(
  groups: ShardGroup[],
  history: Map<string, number | { durationMs?: number; failedLastRun?: boolean }> | Record<string, number | { durationMs?: number; failedLastRun?: boolean }>,
): number;

/** One line of a Playwright `--test-list` file: `[project] › file › titles` (file relative to rootDir). */
export declare function testListLine(project: string, rootFile: string, titlePath: string[]): string;
// ── HTML run report ─────────────────────────────────────────────────────────

export interface HtmlReportOptions {
  /** The reporter's options (SHARDWRIGHT_* apply on top), as `shardwright report` judges with them. */
  options?: ShardwrightOptions;
  /** A command's own settings, above SHARDWRIGHT_*. */
  flags?: ShardwrightOptions;
  /** The folder of the shard records (`shard-i-of-n.json`) for the shard timeline; none: no timeline. */
  reportDir?: string;
}

/** The HTML run report of a history as one self-contained HTML text (no network requests). */
export declare function htmlReport(history: import('./api/history').History, options?: HtmlReportOptions): string;
/** Writes the HTML run report to `file` atomically; `history` a History or the path of a history file. */
export declare function writeHtmlReport(
  file: string,
  history: import('./api/history').History | string,
  options?: HtmlReportOptions,
): { path: string; bytes: number; size: string };

export type * from './api/history';
export {
  defaultHistoryPath,
  events,
  flakyMarkdown,
  flakyReport,
  flakySummary,
  History,
  loadHistory,
  testKey,
} from './api/history';
export type {
  AttemptInfo,
  FunctionTask,
  Outcome,
  Priority,
  ProcessTask,
  Progress,
  RetryPolicyOptions,
  ShutdownReport,
  Task,
  TaskContext,
  TaskResult,
  WorkerManagerEvents,
  WorkerManagerOptions,
  WorkerManagerStats,
  WorkerStats,
} from './api/pool';
export { WorkerManager } from './api/pool';
