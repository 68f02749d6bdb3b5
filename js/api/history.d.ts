import type {
  AddRunResult,
  FlakyKeysFile,
  FlakyReportOptions,
  HistoryOptions,
  ImportResult,
  IncidentInfo,
  MergeResult,
  RecoveredInfo,
  RetryDecisionInput,
  RetryDecisionResult,
  RunInfo,
  SaveResult,
} from '../../index';

export type {
  AddRunResult,
  FlakyKeysFile,
  FlakyReportOptions,
  HistoryOptions,
  ImportResult,
  IncidentInfo,
  MergeResult,
  RecoveredInfo,
  RetryDecisionInput,
  RetryDecisionResult,
  RunInfo,
  SaveResult,
};

export type AttemptStatus = 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';
export type RunOutcome = 'passed' | 'failed' | 'flaky' | 'skipped' | 'interrupted';
export type Verdict = 'broken' | 'flaky' | 'failing' | 'fixed' | 'stable';

/** One attempt (one `TestResult`) of a test in a run. */
export interface AttemptInput {
  /** The project name ('' when the config has no named project). */
  project?: string;
  /** The test file relative to the project's testDir, with `/`. */
  file: string;
  /** Titles below the file: describe blocks, then the test's title. */
  titlePath: string[];
  line?: number;
  tags?: string[];
  durationMs: number;
  status: AttemptStatus;
  /** 0 for the first attempt. */
  retry?: number;
  /** `'failed'` for `test.fail()` tests. @default 'passed' */
  expectedStatus?: 'passed' | 'failed' | 'skipped';
  /** The error message (ANSI colours are stripped), or Playwright's `TestError`. */
  error?: string | { message?: string };
}

/** A whole run, added with one `addRun` call. */
export interface RunInput {
  /** Unique per run (per shard). @default the start time plus random hex */
  id?: string;
  /** Milliseconds since the epoch, an ISO string or a Date. @default now */
  startedAt?: number | string | Date;
  endedAt?: number | string | Date;
  /**
   * The commit tested. Omitted: `GITHUB_SHA`, `CI_COMMIT_SHA`, then
   * `git rev-parse HEAD`; `null`: none.
   */
  commit?: string | null;
  shard?: { index: number; total: number; fingerprint?: string; predictedMs?: number; actualMs?: number };
  /** Where the run came from (`reporter`, …). */
  source?: string;
  attempts: AttemptInput[];
}

export interface Estimate {
  key: string;
  ms: number;
  /** The test's own recent passes, its file's mean, the suite's median, or nothing known. */
  source: 'history' | 'file' | 'suite' | 'default';
  samples: number;
}

export interface RunRef {
  runId: string;
  commit: string | null;
  /** ISO 8601. */
  startedAt: string;
}

/** A test in the flaky report (every test that is not plainly stable). */
export interface FlakyTest {
  key: string;
  project: string;
  file: string;
  titlePath: string[];
  line: number | null;
  tags: string[];
  verdict: Verdict;
  /** 0–1: weighted share of recent runs with a flaky run or a pass↔fail flip. */
  score: number;
  /** Runs judged (the window). */
  runs: number;
  passed: number;
  failed: number;
  flaky: number;
  flips: number;
  lastOutcome: RunOutcome | null;
  /** Commits at which the test both passed and failed. */
  sameCommit: string[];
  /** broken/failing: the first failing run of the streak; fixed: the first passing run after it. */
  since: RunRef | null;
  /** broken/failing: the last pass before the streak; fixed: the first failing run of the streak. */
  before: RunRef | null;
  quarantined: boolean;
  evidence: {
    /** Oldest first: P passed, F failed, R passed on a retry, X infrastructure failures only (not judged). */
    outcomes: string;
    runs: Array<RunRef & { outcome: RunOutcome; attempts: number; error: string | null; flaky: boolean; infrastructure: string | null }>;
    errors: Array<{ message: string; class: 'retryable' | 'permanent'; rule: string; signature: string; count: number }>;
    /** Distinct runs (and commits) showing flakiness. */
    flakyRuns: number;
    flakyCommits: number;
    infrastructureRuns: number;
    cleanRuns: number;
    /** score = events / (runs + prior), runs weighted. */
    score: { events: number; runs: number; prior: number };
    why: string;
  };
}

export interface QuarantineEntry {
  key: string;
  reason: 'score' | 'listed';
  verdict: Verdict;
  score: number;
  rule: string | null;
  flakyRuns: number;
  flakyCommits: number;
  /** The run after which it entered quarantine (reason 'score'). */
  since: RunRef | null;
  /** Clean runs in a row since; it leaves quarantine at quarantineReleaseAfter. */
  cleanRuns: number;
}

/** A run (or one project of it) where many tests failed with one error signature. */
export interface Incident {
  runId: string;
  commit: string | null;
  startedAt: string;
  endedAt: string | null;
  project: string | null;
  signature: string;
  tests: number;
  files: number;
  ran: number;
  share: number;
  confirmed: boolean;
  streak: number;
  summary: string;
}

/** The flaky report; its JSON Schema is schema/flaky-report.schema.json. */
export interface FlakyReport {
  kind: 'shardwright-flaky-report';
  schemaVersion: 2;
  generatedAt: string;
  options: {
    window: number;
    flakyThreshold: number;
    quarantineThreshold: number;
    brokenAfter: number;
    halfLife: number;
    quarantine: string[];
    quarantineMinRuns: number;
    quarantineReleaseAfter: number;
    incidentMinTests: number;
    incidentMinShare: number;
    incidentMinFiles: number;
  };
  history: { runs: number; tests: number; attempts: number; commits: number; firstRunAt: string | null; lastRunAt: string | null };
  summary: {
    tests: number;
    stable: number;
    flaky: number;
    broken: number;
    failing: number;
    fixed: number;
    skipped: number;
    quarantined: number;
    incidents: number;
  };
  incidents: Incident[];
  quarantine: QuarantineEntry[];
  /** Broken, then flaky, failing, fixed (then listed stable ones); by score, then key. */
  tests: FlakyTest[];
  /** One run (`runId` option, default the newest). */
  run: null | {
    runId: string;
    commit: string | null;
    startedAt: string;
    tests: number;
    passed: number;
    failed: number;
    flaky: number;
    skipped: number;
    failedTests: string[];
    flakyTests: string[];
    failedQuarantined: string[];
    failedNotQuarantined: string[];
    /** Failed tests whose failures in this run were all infrastructure. */
    failedInfrastructure: string[];
    /** What the run's failures were judged against: the quarantine as of its start, or startQuarantine. */
    quarantineAsOf: 'run-start' | 'given';
  };
}

/**
 * The stable key of a test, as the history stores it:
 * `project › file › describe › title` (no project part when `project` is '').
 */
export declare function testKey(test: { project?: string; file: string; titlePath: string[] }): string;

export declare class History {
  /** Same as `testKey()`. */
  static testKey(test: { project?: string; file: string; titlePath: string[] }): string;
  /** Reads a history file synchronously; a missing file is an empty history. Throws `ERR_SHARDWRIGHT_HISTORY` for an unusable file unless `reset`. */
  static load(path?: string, options?: HistoryOptions): History;
  static empty(options?: HistoryOptions): History;
  readonly path: string | null;
  readonly runCount: number;
  readonly testCount: number;
  readonly attemptCount: number;
  readonly maxRuns: number;
  readonly existed: boolean;
  readonly recovered: RecoveredInfo | null;
  /** Adds a whole run in one call; a run id already present adds nothing twice. */
  addRun(run: RunInput, options?: FlakyReportOptions): AddRunResult;
  incidents(): IncidentInfo[];
  flakyKeys(options?: FlakyReportOptions): string[];
  writeFlakyKeys(path: string, options?: FlakyReportOptions): FlakyKeysFile;
  decideRetry(key: string, error: string | { name?: string; message?: string }, options?: FlakyReportOptions): RetryDecisionResult;
  static decideRetry(input: RetryDecisionInput): RetryDecisionResult;
  importReport(path: string): ImportResult;
  /** Atomic, locked; merges what another writer saved meanwhile. */
  save(path?: string): SaveResult;
  merge(other: History | string): MergeResult;
  estimates(keys: string[]): Estimate[];
  lastOutcomes(keys: string[]): Array<RunOutcome | null>;
  analyze(options?: FlakyReportOptions): FlakyReport;
  runs(): RunInfo[];
  testKeys(): string[];
}

/**
 * Called once per matching test; a promise returned is awaited before
 * `flakyReport()` resolves. One that throws or rejects does not stop the
 * others; `flakyReport()` then rejects with `ERR_SHARDWRIGHT_CALLBACK`
 * (`cause`: the first failure).
 */
export interface FlakyCallbacks {
  onReport?: (report: FlakyReport) => void | Promise<void>;
  onFlaky?: (test: FlakyTest) => void | Promise<void>;
  onBroken?: (test: FlakyTest) => void | Promise<void>;
  onFailing?: (test: FlakyTest) => void | Promise<void>;
  onFixed?: (test: FlakyTest) => void | Promise<void>;
  onQuarantined?: (entry: QuarantineEntry, test: FlakyTest | undefined) => void | Promise<void>;
}

/** `SHARDWRIGHT_HISTORY`, else `.shardwright/history.json`. */
export declare function defaultHistoryPath(): string;
export declare function loadHistory(path?: string, options?: HistoryOptions): Promise<History>;
export declare function flakyReport(
  history?: History | string,
  options?: FlakyReportOptions & FlakyCallbacks & Pick<HistoryOptions, 'maxRuns' | 'maxAgeDays'>,
): Promise<FlakyReport>;
export declare function flakyMarkdown(report: FlakyReport, options?: { maxTests?: number; title?: string }): string;
export declare function flakySummary(report: FlakyReport, options?: { maxTests?: number; color?: boolean }): string;

type FlakyListener<E extends string> = E extends 'report'
  ? (report: FlakyReport) => void
  : E extends 'quarantined'
    ? (entry: QuarantineEntry, test: FlakyTest | undefined) => void
    : (test: FlakyTest) => void;
export type FlakyEventName = 'flaky' | 'broken' | 'failing' | 'fixed' | 'quarantined' | 'report';

/** A Node.js EventEmitter (typed here without requiring @types/node). */
export interface FlakyEvents {
  on<E extends FlakyEventName>(event: E, listener: FlakyListener<E>): this;
  once<E extends FlakyEventName>(event: E, listener: FlakyListener<E>): this;
  off<E extends FlakyEventName>(event: E, listener: FlakyListener<E>): this;
  /** The last report published in this process. */
  readonly lastReport: FlakyReport | null;
  publish(report: FlakyReport): void;
  nextReport(): Promise<FlakyReport>;
  /** The last report published, or the next one. */
  report(): Promise<FlakyReport>;
}
/** Process-wide: shardwright's reporter publishes each run's report here. */
export declare const events: FlakyEvents;
