/**
 * Refresh benchmark, two halves:
 * - Speed: the project's refresher against a faithful re-implementation of the original
 *   (bench/baseline-refresher.ts), side by side, each refresh in its own process, against the
 *   TaskRouter double with a latency per request plus per queue on list pages, under two settings.
 * - Cache cost: what one refresh sends to Redis (real redis-server behind the Upstash-compatible
 *   server) for a first refresh and for one with 5% of queues changed, what a read costs, the longest
 *   single Redis command (SLOWLOG), and from those an Upstash cost table.
 * `npm run bench:refresh -- --help`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../dev/local-stack';
import { changingWorkspace, staticWorkspace } from '../dev/workspace-model';
import { createRedis } from '../src/cache/redis';
import { readQueue } from '../src/cache/read';
import { loadRefresherConfig } from '../src/config';
import { refreshOnce, type RefreshState } from '../src/refresh';
import { READ_DEADLINE_SECONDS, scheduledRefresh, WRITE_TIMEOUT_MS } from '../src/endpoints/scheduled-refresh';
import { clientFromCredentials } from '../src/taskrouter/client';
import { benchOptions } from './cli';

const run = promisify(execFile);
const USAGE = `Usage: npm run bench:refresh -- [--sizes 50,500,5000] [--latency 20+0.02,50+0.1] [--rate-limit 25] [--out <dir>]

Speed: requests, wall time and peak memory of one refresh, project against baseline, per size, with
the TaskRouter double charging each latency setting "<ms per request>+<ms per queue on a list page>".
Then both under a rate limit of --rate-limit requests per second (429 above it).
Cache cost: bytes and commands sent to Redis per refresh (first, and with 5% of queues changed), per
read, the longest Redis command at 5,000 queues × 4 channels, and the monthly Upstash cost table.
--out writes refresh.md there (default: a new temporary directory; bench/results updates the committed one).`;

/** Upstash's published limits (https://upstash.com/pricing/redis, read 2026-11): free and pay-as-you-go. */
const FREE_COMMANDS = 500_000;
const FREE_BANDWIDTH_GB = 10;
const PAYG_DOLLARS_PER_100K_COMMANDS = 0.2;
const PAYG_FREE_BANDWIDTH_GB = 200;
const PAYG_DOLLARS_PER_GB = 0.03;
const REFRESHES_PER_MONTH = (30 * 86_400) / 30;
const FULL_WRITES_PER_MONTH = 30 * 24;

interface Latency {
  label: string;
  perRequestMs: number;
  perItemMs: number;
}

interface Measurement {
  variant: string;
  outcome: string;
  queues: number;
  retries: number;
  wallMs: number;
  maxRssMb: number;
  requests: number;
  rateLimited: number;
}

async function measure(variant: 'project' | 'baseline', queueCount: number, latency: Latency, rateLimitPerSecond?: number): Promise<Measurement> {
  const model = staticWorkspace({ queueCount, seed: 12 });
  const stack = await startLocalStack({ model, double: { latencyMs: latency.perRequestMs, latencyPerItemMs: latency.perItemMs, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) } });
  try {
    const { stdout } = await run(process.execPath, [join(__dirname, '..', 'node_modules/tsx/dist/cli.mjs'), join(__dirname, 'refresh-run.ts'), variant], { env: { ...process.env, ...stack.env }, maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<Measurement, 'requests' | 'rateLimited'>;
    return { ...result, requests: stack.taskrouter.stats.requests, rateLimited: stack.taskrouter.stats.rateLimited };
  } finally {
    await stack.stop();
  }
}

interface Traffic {
  requests: number;
  commands: number;
  sentBytes: number;
  receivedBytes: number;
}

/** What the Upstash-compatible server saw while `action` ran. */
async function traffic(stack: LocalStack, action: () => Promise<unknown>): Promise<Traffic> {
  const before = { ...stack.upstash.stats };
  await action();
  const after = stack.upstash.stats;
  return { requests: after.requests - before.requests, commands: after.commands - before.commands, sentBytes: after.requestBytes - before.requestBytes, receivedBytes: after.responseBytes - before.responseBytes };
}

interface CacheCost {
  queues: number;
  channels: number;
  first: Traffic;
  changed: Traffic;
  coldChanged: Traffic;
  read: Traffic;
}

/** Bytes and commands of a first refresh, of one with 5% changed (looping, and a fresh process), and of one read. */
async function cacheCost(queueCount: number, channels: string[]): Promise<CacheCost> {
  const model = changingWorkspace({ queueCount, seed: 31 });
  const stack = await startLocalStack({ model });
  try {
    const config = loadRefresherConfig({ ...stack.env, TASK_CHANNELS: channels.join(',') });
    const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
    const state: RefreshState = { base: null };
    const five = () => model.bump(model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid));
    const first = await traffic(stack, () => refreshOnce(config, { redis, state }));
    five();
    const changed = await traffic(stack, () => refreshOnce(config, { redis, state }));
    five();
    const coldChanged = await traffic(stack, () => refreshOnce(config, { redis }));
    const read = await traffic(stack, () => readQueue(redis, model.workspaceSid, channels[0]!, { queueSid: model.queues()[1]!.sid }));
    return { queues: queueCount, channels: channels.length, first, changed, coldChanged, read };
  } finally {
    await stack.stop();
  }
}

/** The longest single command Redis ran (SLOWLOG, every command logged) over a full write and a 5% diff. */
async function longestCommand(queueCount: number, channels: string[]): Promise<{ longestMicros: number; commands: number; engine: string }> {
  const model = changingWorkspace({ queueCount, seed: 33 });
  const stack = await startLocalStack({ model });
  try {
    if (stack.engine.kind !== 'redis-server') return { longestMicros: NaN, commands: 0, engine: stack.engine.kind };
    const config = loadRefresherConfig({ ...stack.env, TASK_CHANNELS: channels.join(',') });
    const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
    const client = stack.engine.client;
    await client.config('SET', 'slowlog-log-slower-than', '0');
    await client.config('SET', 'slowlog-max-len', '1000000');
    await client.slowlog('RESET');
    const state: RefreshState = { base: null };
    await refreshOnce(config, { redis, state });
    model.bump(model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid));
    await refreshOnce(config, { redis, state });
    const log = (await client.slowlog('GET', 1_000_000)) as [number, number, number, unknown][];
    return { longestMicros: Math.max(...log.map((item) => item[2])), commands: log.length, engine: stack.engine.kind };
  } finally {
    await stack.stop();
  }
}

/**
 * The QStash Function's budget: its own code path (scheduledRefresh: reads within READ_DEADLINE_SECONDS,
 * writes within WRITE_TIMEOUT_MS) against the double at `latency`, first write then a warm diff.
 */
async function qstashBudget(queueCount: number, latency: Latency): Promise<{ queues: number; first: string; warm: string; fits: boolean }> {
  const model = changingWorkspace({ queueCount, seed: 35 });
  const stack = await startLocalStack({ model, double: { latencyMs: latency.perRequestMs, latencyPerItemMs: latency.perItemMs } });
  try {
    const config = loadRefresherConfig(stack.env);
    const attempt = async () => {
      const started = performance.now();
      try {
        const result = await scheduledRefresh(config, clientFromCredentials(config.twilio!));
        return { ok: true, text: `${(performance.now() - started).toFixed(0)} ms (${result.write})` };
      } catch {
        return { ok: false, text: `failed after ${(performance.now() - started).toFixed(0)} ms` };
      }
    };
    const first = await attempt();
    model.bump(model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid));
    const warm = await attempt();
    return { queues: queueCount, first: first.text, warm: warm.text, fits: first.ok && warm.ok };
  } finally {
    await stack.stop();
  }
}

const kb = (bytes: number) => (bytes / 1000).toFixed(1);
const gb = (bytes: number) => bytes / 1e9;

function costTable(costs: CacheCost[]): string {
  const lines = [
    '| queues | calls a month | commands a month | bandwidth a month | free plan (500K commands, 10 GB) | pay-as-you-go |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const cost of costs) {
    for (const calls of [100_000, 1_000_000]) {
      // Every refresh a diff with 5% changed; once an hour (the default SNAPSHOT_TTL_SECONDS) a full write instead.
      const refreshCommands = REFRESHES_PER_MONTH * cost.changed.commands + FULL_WRITES_PER_MONTH * (cost.first.commands - cost.changed.commands);
      const refreshBytes = REFRESHES_PER_MONTH * (cost.changed.sentBytes + cost.changed.receivedBytes) + FULL_WRITES_PER_MONTH * (cost.first.sentBytes + cost.first.receivedBytes - cost.changed.sentBytes - cost.changed.receivedBytes);
      const commands = refreshCommands + calls * cost.read.commands;
      const bytes = refreshBytes + calls * (cost.read.sentBytes + cost.read.receivedBytes);
      const fits = commands <= FREE_COMMANDS && gb(bytes) <= FREE_BANDWIDTH_GB;
      const dollars = (commands / 100_000) * PAYG_DOLLARS_PER_100K_COMMANDS + Math.max(0, gb(bytes) - PAYG_FREE_BANDWIDTH_GB) * PAYG_DOLLARS_PER_GB;
      lines.push(`| ${cost.queues} | ${calls.toLocaleString('en-US')} | ${Math.round(commands).toLocaleString('en-US')} | ${gb(bytes).toFixed(2)} GB | ${fits ? 'fits' : `over (${commands > FREE_COMMANDS ? 'commands' : 'bandwidth'})`} | about $${dollars.toFixed(2)} a month |`);
    }
  }
  return lines.join('\n');
}

function parseLatencies(text: string): Latency[] | null {
  const settings = text.split(',').map((item) => {
    const match = /^(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)$/.exec(item.trim());
    return match ? { label: `${match[1]} ms/request + ${match[2]} ms/queue`, perRequestMs: Number(match[1]), perItemMs: Number(match[2]) } : null;
  });
  return settings.every((setting) => setting !== null) && settings.length > 0 ? (settings as Latency[]) : null;
}

async function main(): Promise<void> {
  const values = benchOptions({ latency: { type: 'string' }, sizes: { type: 'string' }, 'rate-limit': { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (!values) return;
  const latencies = parseLatencies(values.latency ?? '20+0.02,50+0.1');
  const sizes = (values.sizes ?? '50,500,5000').split(',').map(Number);
  const rateLimit = Number(values['rate-limit'] ?? 25);
  if (!latencies || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 5000) || !(rateLimit > 0)) {
    process.stderr.write(`bad options\n\n${USAGE}\n`);
    process.exit(2);
  }
  const sections: string[] = [];
  let ratioAt5000 = '';
  for (const [index, latency] of latencies.entries()) {
    const rows: string[] = [`Latency ${latency.label}.`, '', '| queues | variant | TaskRouter requests | wall ms | peak RSS MB | outcome | baseline/project wall |', '| --- | --- | --- | --- | --- | --- | --- |'];
    for (const size of sizes) {
      // The project's run is short and so noisy on a shared machine: the median of three is reported.
      const projectRuns = [await measure('project', size, latency), await measure('project', size, latency), await measure('project', size, latency)];
      const project = [...projectRuns].sort((a, b) => a.wallMs - b.wallMs)[1]!;
      const baseline = await measure('baseline', size, latency);
      const ratio = baseline.wallMs / project.wallMs;
      rows.push(`| ${size} | project (median of 3) | ${project.requests} | ${project.wallMs.toFixed(0)} | ${Math.max(...projectRuns.map((item) => item.maxRssMb)).toFixed(0)} | ${project.outcome} | ${ratio.toFixed(1)}× |`);
      rows.push(`| ${size} | baseline | ${baseline.requests} | ${baseline.wallMs.toFixed(0)} | ${baseline.maxRssMb.toFixed(0)} | ${baseline.outcome} | |`);
      process.stderr.write(`${latency.label}: ${size} queues measured\n`);
      if (size === 5000 && index === 0) ratioAt5000 = `baseline/project wall = ${ratio.toFixed(0)} at 5000 queues (${project.requests} requests vs ${baseline.requests})`;
    }
    sections.push(rows.join('\n'));
  }
  const limited: string[] = [`Under a rate limit of ${rateLimit} requests/s (${latencies[0]!.label}):`, '', '| queues | variant | requests | 429s answered | retries | wall ms | outcome |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const [variant, size] of [['project', 500], ['baseline', 500], ['project', 5000]] as const) {
    const result = await measure(variant, size, latencies[0]!, rateLimit);
    limited.push(`| ${size} | ${variant} | ${result.requests} | ${result.rateLimited} | ${variant === 'project' ? result.retries : 'twilio autoRetry'} | ${result.wallMs.toFixed(0)} | ${result.outcome} |`);
  }
  sections.push(limited.join('\n'));

  const costs: CacheCost[] = [];
  for (const size of sizes) costs.push(await cacheCost(size, ['voice']));
  const fourChannels = await cacheCost(5000, ['voice', 'chat', 'sms', 'email']);
  const longest = await longestCommand(5000, ['voice', 'chat', 'sms', 'email']);
  const cacheRows = ['| queues × channels | refresh | requests | commands | kB sent to Redis | kB received |', '| --- | --- | --- | --- | --- | --- |'];
  for (const cost of [...costs, fourChannels]) {
    for (const [label, t] of [['first (full write)', cost.first], ['5% changed, looping refresher', cost.changed], ['5% changed, fresh process (reads its base back)', cost.coldChanged], ['one get-queue-times read', cost.read]] as const) {
      cacheRows.push(`| ${cost.queues} × ${cost.channels} | ${label} | ${t.requests} | ${t.commands} | ${kb(t.sentBytes)} | ${kb(t.receivedBytes)} |`);
    }
  }
  sections.push(['Sent to Redis (request bodies as the Upstash server received them; the run number is included):', '', ...cacheRows].join('\n'));
  sections.push(`Longest single Redis command over a full write and a 5% diff at 5,000 queues × 4 channels (SLOWLOG, every command logged, ${longest.engine}): ${Number.isFinite(longest.longestMicros) ? `${(longest.longestMicros / 1000).toFixed(1)} ms of ${longest.commands} commands` : 'not measured (needs redis-server)'}.`);
  sections.push([`Upstash at a 30 s cadence (${REFRESHES_PER_MONTH.toLocaleString('en-US')} refreshes a month, each with 5% of queues changed, a full write once an hour), one channel, reads as measured above; bandwidth counts both directions. Limits from Upstash's pricing page (https://upstash.com/pricing/redis): free 500K commands and 10 GB a month; pay-as-you-go $0.2 per 100K commands, bandwidth free to 200 GB then $0.03/GB.`, '', costTable(costs)].join('\n'));

  const budget = latencies[latencies.length - 1]!;
  const budgetRows = [`The QStash Function's own code path (TaskRouter reads within ${READ_DEADLINE_SECONDS} s, each Redis request within ${WRITE_TIMEOUT_MS / 1000} s; Functions stop at 10 s), ${budget.label}, one channel, first refresh then a warm one with 5% changed:`, '', '| queues | first refresh (full write) | warm refresh (diff) | fits |', '| --- | --- | --- | --- |'];
  let largest = 0;
  for (const size of [500, 1000, 2500, 5000]) {
    const result = await qstashBudget(size, budget);
    budgetRows.push(`| ${size} | ${result.first} | ${result.warm} | ${result.fits ? 'yes' : 'no'} |`);
    if (result.fits) largest = size;
  }
  budgetRows.push('', `Largest measured workspace that fits: ${largest > 0 ? `${largest} queues` : 'none of those measured'}.`);
  sections.push(budgetRows.join('\n'));

  const markdown = `Written by \`npm run bench:refresh\`.\n\n${sections.join('\n\n')}\n`;
  const out = values.out ?? mkdtempSync(join(tmpdir(), 'refresh-'));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'refresh.md'), markdown);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(`wrote ${join(out, 'refresh.md')}\n`);
  const at5000 = costs.find((cost) => cost.queues === 5000);
  process.stdout.write(`refresh: ${ratioAt5000 || '(5000 queues not measured)'}, ${at5000 ? kb(at5000.changed.sentBytes) : '–'} kB to Redis per refresh with 5% changed\n`);
}

void main();
