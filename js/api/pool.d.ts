import type { EventEmitter } from 'node:events';
import type { BackoffOptions, ClassifyOptions, WorkerManagerOptions as CoreOptions } from '../../index';

export type Priority = 'critical' | 'high' | 'normal' | 'low';
export type Outcome = 'passed' | 'failed' | 'timed-out' | 'memory-killed' | 'cancelled' | 'skipped';

/** Retry options: the backoff of `retry()` plus which errors are retried. */
export interface RetryPolicyOptions extends Omit<BackoffOptions, 'seed'> {
  /** Patterns (substrings or RegExps) of errors to retry, checked before the built-in rules. */
  retryable?: Array<string | RegExp>;
  /** Patterns of errors never to retry; checked before `retryable`. */
  permanent?: Array<string | RegExp>;
  /** Whether an error no rule recognises is retried. @default true */
  retryUnknown?: ClassifyOptions['retryUnknown'];
}

export interface WorkerManagerOptions extends Omit<CoreOptions, 'retry'> {
  /** Retries (`maxRetries` is the default of a task's `retries`, 0 unless set) and backoff. */
  retry?: RetryPolicyOptions;
  /**
   * Aborting it cancels every task that has not ended; once aborted, tasks
   * submitted later end cancelled without starting.
   */
  signal?: AbortSignal;
}

/** What a JS task function receives. */
export interface TaskContext {
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The logical worker (0-based) running this attempt. */
  worker: number;
  /** Aborted when the attempt times out or the task is cancelled. */
  readonly signal: AbortSignal;
}

interface TaskCommon {
  /** Unique id; dependencies name it. @default `task-<n>` (n = submission number) */
  id?: string;
  /** @default 'normal' */
  priority?: Priority;
  /** Ids of tasks (submitted before, or in the same batch) that must pass first. */
  dependsOn?: string[];
  /** Tasks of one serial group never run at the same time. */
  group?: string;
  /** Per-attempt timeout in milliseconds. @default the manager's `timeoutMs` */
  timeoutMs?: number;
  /** Retries after the first attempt. @default the manager's `retry.maxRetries` (0) */
  retries?: number;
  /** Your own data, returned on the result as `meta`. */
  meta?: unknown;
}

export interface FunctionTask<T = unknown> extends TaskCommon {
  fn: (ctx: TaskContext) => T | Promise<T>;
}

export interface ProcessTask extends TaskCommon {
  command: string;
  args?: string[];
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string | number | boolean>;
  cwd?: string;
  /** Kill the task when its process tree's resident memory goes over this. @default the manager's `memoryLimitMb` */
  memoryLimitMb?: number;
}

export type Task<T = unknown> = FunctionTask<T> | ProcessTask | ((ctx: TaskContext) => T | Promise<T>);

export interface AttemptInfo {
  attempt: number;
  worker: number;
  /** Milliseconds since the Unix epoch. */
  startedAt: number;
  durationMs: number;
  outcome: Outcome;
  error?: { name?: string; message: string; code?: string };
  /** The classification rule behind the retry decision (`network`, `timeout`, `worker-crash`, …). */
  rule?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** The wait before the next attempt. */
  delayMs?: number;
}

export interface TaskResult<T = unknown> {
  id: string;
  outcome: Outcome;
  /** A JS task's value (when it passed). */
  value?: T;
  /**
   * Why it failed: the Error a JS task threw (as thrown); for a thrown value
   * that is not an Error (`null`, a string, a Proxy…), an Error with code
   * `ERR_SHARDWRIGHT_TASK` whose `cause` is that value; an `Error` with
   * `code` for process tasks and timeouts.
   */
  error?: Error & { code?: string };
  /** Why it was skipped, cancelled or killed. */
  reason?: string;
  /** Attempts started (0 when it never ran). */
  attempts: number;
  /** From the first attempt's start to the end. */
  durationMs: number;
  /** From ready (dependencies passed) to the first start. */
  queueWaitMs: number;
  worker: number | null;
  startedAt: number | null;
  history: AttemptInfo[];
  meta?: unknown;
  /** Process tasks: */
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  outputTruncated?: boolean;
}

export interface Progress {
  total: number;
  pending: number;
  running: number;
  passed: number;
  /** Includes timed-out and memory-killed tasks. */
  failed: number;
  timedOut: number;
  memoryKilled: number;
  skipped: number;
  cancelled: number;
  /** Ended over total, 0–100. */
  percent: number;
}

export interface WorkerStats {
  index: number;
  active: boolean;
  busy: boolean;
  tasks: number;
  busyMs: number;
  activeMs: number;
  utilisation: number;
}

export interface WorkerManagerStats {
  elapsedMs: number;
  activeWorkers: number;
  busyWorkers: number;
  workers: WorkerStats[];
  utilisation: number;
  queueWaitMs: { count: number; mean: number; p50: number; p95: number; p99: number; max: number };
  progress: Progress;
  retries: number;
}

export interface WorkerManagerEvents {
  taskStart: [{ id: string; attempt: number; worker: number }];
  taskEnd: [TaskResult];
  retry: [{ id: string; attempt: number; delayMs: number; error: { name?: string; message: string; code?: string }; rule: string }];
  progress: [Progress];
  workerScaled: [{ from: number; to: number; reason: 'queue' | 'idle' }];
  output: [{ id: string; attempt: number; stream: 'stdout' | 'stderr'; chunk: string }];
  memoryPressure: [{ availableMb: number; thresholdMb: number; paused: boolean }];
  stopped: [{ reason: string }];
  /**
   * A listener that threw or returned a promise that rejected
   * (`ERR_SHARDWRIGHT_CALLBACK`, `cause`: what it threw), or a failure of
   * the manager itself on a path no promise reports (`ERR_SHARDWRIGHT_INTERNAL`).
   * Without an `error` listener these are process warnings: the manager
   * and its tasks go on.
   */
  error: [Error & { code: string; cause?: unknown }];
}

export interface ShutdownReport {
  drained: boolean;
  killed: number;
  cancelled: number;
}

/**
 * Runs JS functions and child processes in parallel with priorities,
 * dependencies, serial groups, timeouts, retries and memory limits; the
 * scheduling happens in Rust.
 */
export declare class WorkerManager extends EventEmitter {
  constructor(options?: WorkerManagerOptions);
  /**
   * Submits one task; resolves with its result (never rejects for a task
   * failure). With an aborted `signal` the task ends cancelled, never started.
   */
  submit<T = unknown>(task: Task<T>, options?: { signal?: AbortSignal }): Promise<TaskResult<T>>;
  /**
   * Submits `tasks` all or nothing (a bad task, an unknown dependency or a
   * cycle rejects before anything runs) and resolves, when every task has
   * ended, with the results of every task submitted since the last run().
   */
  run(tasks?: Task[], options?: { signal?: AbortSignal }): Promise<TaskResult[]>;
  /** Resolves when every task submitted so far has ended. */
  onIdle(): Promise<void>;
  /** Cancels every task that has not ended. */
  cancel(reason?: string): void;
  /** Refuses new tasks, cancels those not started, waits up to `deadlineMs` (default 30000) for the rest, then kills them. */
  shutdown(options?: { deadlineMs?: number }): Promise<ShutdownReport>;
  stats(): WorkerManagerStats;
  progress(): Progress;
  on<K extends keyof WorkerManagerEvents>(event: K, listener: (...args: WorkerManagerEvents[K]) => void): this;
  once<K extends keyof WorkerManagerEvents>(event: K, listener: (...args: WorkerManagerEvents[K]) => void): this;
  off<K extends keyof WorkerManagerEvents>(event: K, listener: (...args: WorkerManagerEvents[K]) => void): this;
}
