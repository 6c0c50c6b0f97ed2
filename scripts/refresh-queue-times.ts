/**
 * The refresher: reads every TaskQueue's statistics, estimates each wait, writes what changed.
 * `npm run refresh -- --help` (or `node dist/refresh-queue-times.js --help`) for usage.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { loadRefresherConfig, type RefresherConfig } from '../src/config';
import { describeEnvironment, readEnvironment } from '../src/env-file';
import { ConfigError, describeError } from '../src/errors';
import { createRedis } from '../src/cache/redis';
import { refreshOnce, type RefreshReport, type RefreshState } from '../src/refresh';

const USAGE = `Usage: refresh-queue-times [--every <seconds> [--for <seconds>]] [--dry-run] [--help]
  (npm run refresh -- …, or node dist/refresh-queue-times.js … after npm run build)

Reads the statistics of every TaskQueue in TWILIO_WORKSPACE_SID, estimates each queue's wait and
writes what changed to Upstash Redis.

Options:
  --every <seconds>  refresh every <seconds> (5..3600); SIGINT or SIGTERM ends the loop after the
                     current cycle
  --for <seconds>    with --every: stop after <seconds> (1..86400), finishing the current cycle
  --dry-run          read and estimate, print the queues, write nothing (Upstash not needed)
  --help             this text

Environment (see .env.example; .env in the working directory is read, exported variables win):
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET), TWILIO_WORKSPACE_SID,
  UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN; optional TASKROUTER_API_URL, TASK_CHANNELS,
  STATISTICS_WINDOW_MINUTES, ESTIMATOR, LOGGED_OUT_ACTIVITIES, SNAPSHOT_TTL_SECONDS,
  REFRESH_TIMEOUT_SECONDS, TASKROUTER_REQUEST_TIMEOUT_MS.

Each cycle prints one JSON line; the last line summarises the run (cycles, failures, last error).
With GITHUB_STEP_SUMMARY set, every cycle's outcome is appended there as a table row.
Exit status: 0 every cycle refreshed, 1 any cycle failed (the previous data is kept), 2 bad options
or environment.`;

interface Options {
  everySeconds: number | undefined;
  forSeconds: number | undefined;
  dryRun: boolean;
}

function wholeSeconds(value: string | undefined, name: string, min: number, max: number, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    problems.push(`${name} must be a whole number of seconds between ${min} and ${max}`);
    return undefined;
  }
  return Number(value);
}

function parseOptions(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { every: { type: 'string' }, for: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
  if (values.help) return 'help';
  const problems: string[] = [];
  const everySeconds = wholeSeconds(values.every, '--every', 5, 3600, problems);
  const forSeconds = wholeSeconds(values.for, '--for', 1, 86_400, problems);
  if (values.for !== undefined && values.every === undefined) problems.push('--for needs --every');
  if (problems.length > 0) throw new ConfigError(problems);
  return { everySeconds, forSeconds, dryRun: values['dry-run'] };
}

function logLine(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

function printDryRun(report: RefreshReport): void {
  for (const [channel, entries] of report.snapshot.entries) {
    for (const entry of entries) {
      const wait = entry.estimatedWaitSeconds === null ? 'unknown' : `${entry.estimatedWaitSeconds}s`;
      process.stdout.write(`${channel}\t${entry.queueSid}\t${entry.queueName}\t${wait}\t${entry.confidence}${entry.reason ? ` (${entry.reason})` : ''}\n`);
    }
  }
}

/** GitHub's job summary: one table row per cycle, failures included; never a secret. */
class StepSummary {
  private started = false;
  constructor(private readonly file: string | undefined) {}

  private append(text: string): void {
    if (this.file) appendFileSync(this.file, text);
  }

  cycle(outcome: string, fields: { queues?: number; requests?: number; retries?: number; write?: string; error?: string }): void {
    if (!this.started) {
      this.append('### Queue wait-time refresh\n\n| time (UTC) | outcome | queues | TaskRouter requests | retries | cache write | error |\n| --- | --- | --- | --- | --- | --- | --- |\n');
      this.started = true;
    }
    const cell = (value: unknown) => (value === undefined ? '' : String(value).replace(/\|/g, '\\|').replace(/\n/g, ' '));
    this.append(`| ${new Date().toISOString().slice(11, 19)} | ${outcome === 'failed' ? '**failed**' : outcome} | ${cell(fields.queues)} | ${cell(fields.requests)} | ${cell(fields.retries)} | ${cell(fields.write)} | ${cell(fields.error)} |\n`);
  }

  end(cycles: number, failures: number): void {
    this.append(`\n${failures === 0 ? `All ${cycles} cycle(s) refreshed.` : `**${failures} of ${cycles} cycle(s) failed**; the previous data was kept each time.`}\n`);
  }
}

/** One cycle; returns the error's description when it failed. */
async function runOnce(config: RefresherConfig, options: Options, redis: ReturnType<typeof createRedis> | undefined, state: RefreshState, summary: StepSummary): Promise<string | null> {
  let retries = 0;
  try {
    const report = await refreshOnce(config, {
      ...(redis ? { redis } : {}),
      dryRun: options.dryRun,
      state,
      onRetry: ({ path, status, attempt, delayMs }) => {
        retries++;
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'retry', path, status: status ?? 'network', attempt, delayMs })}\n`);
      },
    });
    if (options.dryRun) printDryRun(report);
    const write = report.cache ? `${report.cache.mode}: ${report.cache.entriesWritten} written, ${report.cache.entriesDeleted} deleted, ${report.cache.bytesSent} bytes` : undefined;
    logLine('refresh', { outcome: report.outcome, ...(options.dryRun ? { wrote: 'nothing (dry run)' } : {}), queues: report.queues, channels: report.channels, requests: report.requests, retries: report.retries, skippedQueues: report.skippedQueues, pooledQueues: report.pooledQueues, poolsResolved: Math.round(report.poolsResolved * 1000) / 1000, poolsReused: report.poolsReused, durationMs: report.durationMs, ...(report.cache ? { write: report.cache.mode, entriesWritten: report.cache.entriesWritten, entriesDeleted: report.cache.entriesDeleted, bytesToRedis: report.cache.bytesSent } : {}) });
    summary.cycle(report.outcome, { queues: report.queues, requests: report.requests, retries: report.retries, ...(write ? { write } : {}) });
    return null;
  } catch (error) {
    const description = describeError(error);
    logLine('refresh', { outcome: 'failed', error: description, retries, ...(options.dryRun ? { wrote: 'nothing (dry run)' } : { kept: 'previous data' }) });
    summary.cycle('failed', { retries, error: description });
    return description;
  }
}

async function main(): Promise<number> {
  // A refresh streams some 20 MB of TaskRouter pages through short-lived objects. Left to grow, V8's
  // young generation takes 25-30 MB more than the data ever needs (bench:refresh, docs/performance.md);
  // kept at its first size, it is collected more often, at no measurable cost in time.
  setFlagsFromString('--semi-space-growth-factor=1');
  let options: Options | 'help';
  let config: RefresherConfig;
  try {
    options = parseOptions(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const environment = readEnvironment();
    process.stderr.write(`${describeEnvironment(environment)}\n`);
    config = loadRefresherConfig(environment.values, { requireCache: !options.dryRun });
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : describeError(error);
    process.stderr.write(`${message}\n\n${USAGE}\n`);
    return 2;
  }
  // A dry run writes nothing and reads no diff base: no client, so no Upstash warnings about a missing URL.
  const redis = options.dryRun ? undefined : createRedis(config.cache, { timeoutMs: 30_000, retries: 3 });
  // The diff base lives as long as the process: each cycle sends only what changed since the last.
  const state: RefreshState = { base: null };
  const summary = new StepSummary(process.env['GITHUB_STEP_SUMMARY'] || undefined);
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const startedAt = Date.now();
  const endAt = options.forSeconds === undefined ? Infinity : startedAt + options.forSeconds * 1000;
  let cycles = 0;
  let failures = 0;
  let lastError: string | null = null;
  for (;;) {
    const cycleStart = Date.now();
    const error = await runOnce(config, options, redis, state, summary);
    cycles++;
    if (error) {
      failures++;
      lastError = error;
    }
    if (options.everySeconds === undefined || stopping || Date.now() >= endAt) break;
    const waitMs = Math.min(Math.max(0, options.everySeconds * 1000 - (Date.now() - cycleStart)), endAt - Date.now());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (stopping || Date.now() >= endAt) break;
  }
  summary.end(cycles, failures);
  logLine('summary', { cycles, failures, lastError, stoppedBy: stopping ? 'signal' : options.everySeconds === undefined ? 'single run' : '--for' });
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  },
);
