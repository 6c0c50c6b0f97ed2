/**
 * Exports a workspace's TaskRouter Events (with its Activities, TaskQueues and Workers) for the
 * backtest: `npm run export:events -- --days 7 --out FILE`, then `npm run backtest -- --events FILE`.
 */
import { parseArgs } from 'node:util';
import { loadRefresherConfig } from '../src/config';
import { describeEnvironment, readEnvironment } from '../src/env-file';
import { ConfigError, describeError } from '../src/errors';
import { clientFromCredentials, createTaskRouterClient } from '../src/taskrouter/client';
import { EVENT_DATA_READ, exportEvents } from '../src/taskrouter/events-export';

/** TaskRouter keeps Events this long. */
const RETENTION_DAYS = 30;
const DEFAULT_RATE = 5;

const USAGE = `Usage: npm run export:events -- (--days <1-${RETENTION_DAYS}> | --since <ISO 8601>) --out <file> [options]

Saves the workspace's TaskRouter Events of the last days (TaskRouter keeps ${RETENTION_DAYS}), and first its
Activities, TaskQueues (with target_workers) and Workers (attributes, Activity, channels), as JSON lines
ending with a trailer line. Then: npm run backtest -- --events <file>.

Options:
  --days <n>                   the last n days, up to now
  --since <date-time>          from this moment (ISO 8601 with a zone) up to now, instead of --days
  --out <file>                 where to write (written as <file>.partial, renamed when complete)
  --include-task-attributes    keep task attributes (personal data) in event_data; dropped by default
  --rate <n>                   at most n requests a second (default ${DEFAULT_RATE}): the export shares the
                               account's limit with the live refresher
  --help                       this text

Environment: the refresher's credentials (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY
and TWILIO_API_SECRET), TWILIO_WORKSPACE_SID; optional TASKROUTER_API_URL.
The backtest reads these event_data fields: ${EVENT_DATA_READ.join(', ')}.
Exit status: 0 written, 1 TaskRouter or the file failed, 2 bad options or environment.`;

interface Plan {
  startMs: number;
  endMs: number;
  out: string;
  keepTaskAttributes: boolean;
  rate: number;
}

function plan(args: string[], now: number): Plan {
  const { values } = parseArgs({ args, strict: true, options: { days: { type: 'string' }, since: { type: 'string' }, out: { type: 'string' }, 'include-task-attributes': { type: 'boolean', default: false }, rate: { type: 'string' }, help: { type: 'boolean', default: false } } });
  const problems: string[] = [];
  const endMs = Math.floor(now / 1000) * 1000;
  let startMs = NaN;
  if ((values.days === undefined) === (values.since === undefined)) problems.push('give one of --days or --since');
  else if (values.days !== undefined) {
    const days = Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > RETENTION_DAYS) problems.push(`--days must be a whole number from 1 to ${RETENTION_DAYS} (TaskRouter keeps Events ${RETENTION_DAYS} days)`);
    else startMs = endMs - days * 86_400_000;
  } else {
    startMs = /(Z|[+-]\d{2}:\d{2})$/.test(values.since!) ? Date.parse(values.since!) : NaN;
    if (!(startMs < endMs)) problems.push('--since must be an ISO 8601 date-time with a zone, in the past');
  }
  if (!values.out) problems.push('--out is required');
  const rate = Number(values.rate ?? DEFAULT_RATE);
  if (!(rate > 0 && rate <= 100)) problems.push('--rate must be a number of requests a second, above 0 and at most 100');
  if (problems.length > 0) throw new ConfigError(problems);
  return { startMs, endMs, out: values.out!, keepTaskAttributes: values['include-task-attributes'] === true, rate };
}

async function main(): Promise<number> {
  let options: Plan;
  let config;
  try {
    if (process.argv.includes('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = plan(process.argv.slice(2), Date.now());
    const environment = readEnvironment();
    process.stderr.write(`${describeEnvironment(environment)}\n`);
    config = loadRefresherConfig(environment.values, { requireCache: false });
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { client, http } = createTaskRouterClient(clientFromCredentials(config.twilio!), {
    baseUrl: config.taskRouterApiUrl,
    requestTimeoutMs: config.requestTimeoutMs,
    // A long export is bounded by its own size, not by the refresh timeout: a day allows 30 days' Events at the default rate.
    deadline: Date.now() + 86_400_000,
    minIntervalMs: 1000 / options.rate,
    onRetry: ({ path, status, attempt, delayMs }) => process.stderr.write(`${JSON.stringify({ event: 'retry', path, status: status ?? null, attempt, delayMs })}\n`),
  });
  try {
    const written = await exportEvents(client, options.out, { workspaceSid: config.cache.workspaceSid, startMs: options.startMs, endMs: options.endMs, keepTaskAttributes: options.keepTaskAttributes, requests: () => http.counters.requests });
    process.stdout.write(`${JSON.stringify({ event: 'export-events', outcome: 'written', file: options.out, from: new Date(options.startMs).toISOString(), to: new Date(options.endMs).toISOString(), ...written, retries: http.counters.retries })}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ event: 'export-events', outcome: 'failed', error: describeError(error) })}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
