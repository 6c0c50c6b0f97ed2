/**
 * The refresher: reads every TaskQueue's statistics, estimates each wait, writes the snapshot.
 * `npm run refresh -- --help` for usage.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadRefresherConfig, type RefresherConfig } from '../src/config';
import { ConfigError, describeError } from '../src/errors';
import { createRedis } from '../src/cache/redis';
import { refreshOnce, type RefreshReport } from '../src/refresh';

const USAGE = `Usage: npm run refresh -- [--every <seconds>] [--dry-run] [--help]

Reads the statistics of every TaskQueue in TWILIO_WORKSPACE_SID, estimates each queue's wait and
writes the snapshot to Upstash Redis in one atomic request.

Options:
  --every <seconds>  keep refreshing every <seconds> (5..3600) until SIGINT/SIGTERM, which end the
                     loop after the current cycle
  --dry-run          read and estimate, print the queues, write nothing (Upstash not needed)
  --help             this text

Environment (see .env.example):
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET), TWILIO_WORKSPACE_SID,
  UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN; optional TASKROUTER_API_URL, TASK_CHANNELS,
  STATISTICS_WINDOW_MINUTES, ESTIMATOR, SNAPSHOT_TTL_SECONDS, REFRESH_TIMEOUT_SECONDS,
  TASKROUTER_REQUEST_TIMEOUT_MS.

Each run prints one JSON line. Exit status: 0 refreshed, 1 a refresh failed (the previous snapshot
is kept), 2 bad options or environment.`;

interface Options {
  everySeconds: number | undefined;
  dryRun: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: { every: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  let everySeconds: number | undefined;
  if (values.every !== undefined) {
    everySeconds = Number(values.every);
    if (!/^\d+$/.test(values.every) || everySeconds < 5 || everySeconds > 3600) throw new ConfigError(['--every must be a whole number of seconds between 5 and 3600']);
  }
  return { everySeconds, dryRun: values['dry-run'] };
}

function logLine(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'refresh', ...fields })}\n`);
}

function printDryRun(report: RefreshReport): void {
  for (const [channel, entries] of report.snapshot.entries) {
    for (const entry of entries) {
      const wait = entry.estimatedWaitSeconds === null ? 'unknown' : `${entry.estimatedWaitSeconds}s`;
      process.stdout.write(`${channel}\t${entry.queueSid}\t${entry.queueName}\t${wait}\t${entry.confidence}${entry.reason ? ` (${entry.reason})` : ''}\n`);
    }
  }
}

/** A Markdown table for GitHub's job summary: counts and the longest waits, never a secret. */
function writeStepSummary(report: RefreshReport): void {
  const file = process.env['GITHUB_STEP_SUMMARY'];
  if (!file) return;
  const rows = [...report.snapshot.entries.values()]
    .flat()
    .sort((a, b) => (b.estimatedWaitSeconds ?? -1) - (a.estimatedWaitSeconds ?? -1))
    .slice(0, 20)
    .map((entry) => `| ${entry.queueName.replace(/\|/g, '\\|')} | ${entry.channel} | ${entry.estimatedWaitSeconds ?? 'unknown'} | ${entry.confidence} | ${entry.inputs.tasksWaiting ?? '-'} |`);
  const text = [
    `### Queue wait times refreshed ${report.snapshot.meta.refreshedAt}`,
    '',
    `| queues | channels | requests | retries | duration | outcome |`,
    `| --- | --- | --- | --- | --- | --- |`,
    `| ${report.queues} | ${report.channels.join(', ')} | ${report.requests} | ${report.retries} | ${report.durationMs} ms | ${report.outcome} |`,
    '',
    '| queue (longest 20) | channel | wait (s) | confidence | waiting |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  // Replaced each cycle: in loop mode the summary shows the latest refresh, not a pile of them.
  writeFileSync(file, text);
}

async function runOnce(config: RefresherConfig, options: Options, redis: ReturnType<typeof createRedis>): Promise<boolean> {
  let retries = 0;
  try {
    const report = await refreshOnce(config, {
      redis,
      dryRun: options.dryRun,
      onRetry: ({ path, status, attempt, delayMs }) => {
        retries++;
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'retry', path, status: status ?? 'network', attempt, delayMs })}\n`);
      },
    });
    if (options.dryRun) printDryRun(report);
    logLine({ outcome: report.outcome, queues: report.queues, channels: report.channels, requests: report.requests, retries: report.retries, skippedQueues: report.skippedQueues, durationMs: report.durationMs });
    writeStepSummary(report);
    return true;
  } catch (error) {
    logLine({ outcome: 'failed', error: describeError(error), retries, kept: 'previous snapshot' });
    return false;
  }
}

async function main(): Promise<number> {
  let options: Options | 'help';
  let config: RefresherConfig;
  try {
    options = parseOptions(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    config = loadRefresherConfig(process.env, { requireCache: !options.dryRun });
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : describeError(error);
    process.stderr.write(`${message}\n\n${USAGE}\n`);
    return 2;
  }
  const redis = createRedis(config.cache, { timeoutMs: 30_000, retries: 3 });
  if (options.everySeconds === undefined) return (await runOnce(config, options, redis)) ? 0 : 1;

  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let ok = true;
  while (!stopping) {
    const cycleStart = Date.now();
    ok = await runOnce(config, options, redis);
    const waitMs = Math.max(0, options.everySeconds * 1000 - (Date.now() - cycleStart));
    if (!stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
  logLine({ outcome: 'stopped' });
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  },
);
