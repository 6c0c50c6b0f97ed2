/**
 * Refresh benchmark, two halves:
 * - Speed and memory: the project's built refresher (`node dist/refresh-queue-times.js`, as users run
 *   it) against a faithful re-implementation of the original (bench/baseline-refresher.ts, bundled and
 *   run with node the same way), side by side, each refresh in its own process, against the TaskRouter
 *   double with a latency per request plus per queue on list pages, under two settings.
 * - Cache cost: what one refresh sends to Redis (real redis-server behind the Upstash-compatible
 *   server) for a first refresh and for one with 5% of queues changed, what a read costs, counted as
 *   Upstash bills (every command of a pipeline and every command a script runs: INFO commandstats),
 *   the longest single Redis command (SLOWLOG), and from those an Upstash cost table.
 * `npm run bench:refresh -- --help`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startLocalStack, type LocalStack } from '../dev/local-stack';
import { billedCommands, commandsRun } from '../dev/redis-engine';
import { changingWorkspace, staticWorkspace } from '../dev/workspace-model';
import { createRedis } from '../src/cache/redis';
import { readQueue } from '../src/cache/read';
import { loadRefresherConfig } from '../src/config';
import { refreshOnce, type RefreshState } from '../src/refresh';
import { READ_DEADLINE_SECONDS, scheduledRefresh, WRITE_TIMEOUT_MS } from '../src/endpoints/scheduled-refresh';
import { clientFromCredentials } from '../src/taskrouter/client';
import { benchOptions } from './cli';

const USAGE = `Usage: npm run bench:refresh -- [--sizes 50,500,5000] [--latency 20+0.02,50+0.1] [--rate-limit 25] [--out <dir>]

Every workspace has two workers per queue (10,000 at 5,000 queues), each serving a pair of queues, so
the refresher reads the Workers list and learns pools of two queues.
Speed: requests, wall time and peak memory of one refresh, project against baseline, per size, with
the TaskRouter double charging each latency setting "<ms per request>+<ms per queue on a list page>".
Then both under a rate limit of --rate-limit requests per second (429 above it).
Cache cost: bytes and commands sent to Redis per refresh (first, and with 5% of queues changed), per
read, the longest Redis command at 5,000 queues × 4 channels, and the monthly Upstash cost table.
--out writes refresh.md there (default: a new temporary directory; bench/results updates the committed one).`;

/** Workers per queue in the benchmark's workspaces. */
const WORKERS_PER_QUEUE = 2;

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

const ROOT = join(__dirname, '..');
/** The programs measured: the project's built refresher, and the baseline bundled the same way. */
const PROGRAMS = { project: join(ROOT, 'dist', 'refresh-queue-times.js'), baseline: join(ROOT, '.bench-build', 'baseline-refresh.js') };

/** Builds what is measured: `npm run build:refresher`'s output, and the baseline bundled alike (dependencies from node_modules). */
async function buildPrograms(): Promise<void> {
  if (!existsSync(PROGRAMS.project)) throw new Error('dist/refresh-queue-times.js is missing: run npm run build:refresher first');
  await build({ entryPoints: [join(__dirname, 'baseline-run.ts')], outfile: PROGRAMS.baseline, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['twilio', '@upstash/redis'], logLevel: 'warning' });
}

/** One refresh by the built program, in a process of its own: wall time from spawn to exit, peak RSS from inside. */
async function measure(variant: 'project' | 'baseline', queueCount: number, latency: Latency, rateLimitPerSecond?: number): Promise<Measurement> {
  const model = staticWorkspace({ queueCount, seed: 12, workerCount: WORKERS_PER_QUEUE * queueCount });
  const stack = await startLocalStack({ model, double: { latencyMs: latency.perRequestMs, latencyPerItemMs: latency.perItemMs, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) } });
  try {
    const started = performance.now();
    const child = spawn(process.execPath, ['-r', join(__dirname, 'peak-rss.cjs'), PROGRAMS[variant]], { cwd: ROOT, env: { PATH: process.env['PATH'], ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const wallMs = performance.now() - started;
    const lines = (text: string) => text.trim().split('\n').flatMap((line) => { try { return [JSON.parse(line) as Record<string, unknown>]; } catch { return []; } });
    const peak = lines(stderr).find((line) => typeof line['peakRssMb'] === 'number');
    const report = lines(stdout).find((line) => 'outcome' in line);
    const outcome = code === 0 ? 'written' : `failed: ${String(report?.['error'] ?? report?.['outcome'] ?? `exit ${code}`).slice(0, 80)}`;
    return { variant, outcome, queues: queueCount, retries: Number(report?.['retries'] ?? 0), wallMs, maxRssMb: Number(peak?.['peakRssMb'] ?? NaN), requests: stack.taskrouter.stats.requests, rateLimited: stack.taskrouter.stats.rateLimited };
  } finally {
    await stack.stop();
  }
}

interface Traffic {
  requests: number;
  /** Commands as sent: one per script call or pipeline entry. */
  commands: number;
  /** As Upstash bills them: every command Redis ran, those inside scripts included (INFO commandstats). */
  billed: number;
  sentBytes: number;
  receivedBytes: number;
}

/** What the Upstash-compatible server saw while `action` ran, and what Redis ran for it. */
async function traffic(stack: LocalStack, action: () => Promise<unknown>): Promise<Traffic> {
  const before = { ...stack.upstash.stats };
  const billed = await billedCommands(stack.engine, action);
  if (!billed) throw new Error('bench:refresh counts billed commands with redis-server (INFO commandstats); install redis-server');
  const after = stack.upstash.stats;
  return { requests: after.requests - before.requests, commands: after.commands - before.commands, billed: billed.total, sentBytes: after.requestBytes - before.requestBytes, receivedBytes: after.responseBytes - before.responseBytes };
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
  const model = changingWorkspace({ queueCount, seed: 31, workerCount: WORKERS_PER_QUEUE * queueCount });
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
  const model = changingWorkspace({ queueCount, seed: 33, workerCount: WORKERS_PER_QUEUE * queueCount });
  const stack = await startLocalStack({ model });
  try {
    if (stack.engine.kind !== 'redis-server') return { longestMicros: NaN, commands: 0, engine: stack.engine.kind };
    const config = loadRefresherConfig({ ...stack.env, TASK_CHANNELS: channels.join(',') });
    const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
    const state: RefreshState = { base: null };
    const log = (await commandsRun(stack.engine, async () => {
      await refreshOnce(config, { redis, state });
      model.bump(model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid));
      await refreshOnce(config, { redis, state });
    }))!;
    return { longestMicros: Math.max(...log.map((command) => command.micros)), commands: log.length, engine: stack.engine.kind };
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

/** Billed commands and bytes a month of refreshing every `cadenceSeconds` (5% changed each time, a full write once an hour). */
function refreshMonth(cost: CacheCost, cadenceSeconds: number): { commands: number; bytes: number } {
  const refreshes = (30 * 86_400) / cadenceSeconds;
  const full = Math.min(refreshes, FULL_WRITES_PER_MONTH);
  const commands = refreshes * cost.changed.billed + full * (cost.first.billed - cost.changed.billed);
  const bytes = refreshes * (cost.changed.sentBytes + cost.changed.receivedBytes) + full * (cost.first.sentBytes + cost.first.receivedBytes - cost.changed.sentBytes - cost.changed.receivedBytes);
  return { commands, bytes };
}

function costTable(costs: CacheCost[]): string {
  const lines = [
    '| queues | calls a month | billed commands a month | with one read region (writes × 2) | bandwidth a month | free plan (500K commands, 10 GB) | pay-as-you-go |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const cost of costs) {
    for (const calls of [100_000, 1_000_000]) {
      const refresh = refreshMonth(cost, 30);
      const commands = refresh.commands + calls * cost.read.billed;
      const withRegion = 2 * refresh.commands + calls * cost.read.billed;
      const bytes = refresh.bytes + calls * (cost.read.sentBytes + cost.read.receivedBytes);
      const fits = commands <= FREE_COMMANDS && gb(bytes) <= FREE_BANDWIDTH_GB;
      const dollars = (commands / 100_000) * PAYG_DOLLARS_PER_100K_COMMANDS + Math.max(0, gb(bytes) - PAYG_FREE_BANDWIDTH_GB) * PAYG_DOLLARS_PER_GB;
      lines.push(`| ${cost.queues} | ${calls.toLocaleString('en-US')} | ${Math.round(commands).toLocaleString('en-US')} | ${Math.round(withRegion).toLocaleString('en-US')} | ${gb(bytes).toFixed(2)} GB | ${fits ? 'fits' : `over (${commands > FREE_COMMANDS ? 'commands' : 'bandwidth'})`} | about $${dollars.toFixed(2)} a month |`);
    }
  }
  return lines.join('\n');
}

/** The shortest refresh cadence (whole seconds, at least 30) whose month fits the free plan beside `calls` reads; null when none up to a day does. */
function freeCadence(cost: CacheCost, calls: number): number | null {
  for (let seconds = 30; seconds <= 86_400; seconds += seconds < 600 ? 5 : 60) {
    const refresh = refreshMonth(cost, seconds);
    if (refresh.commands + calls * cost.read.billed <= FREE_COMMANDS && gb(refresh.bytes + calls * (cost.read.sentBytes + cost.read.receivedBytes)) <= FREE_BANDWIDTH_GB) return seconds;
  }
  return null;
}

function cadenceTable(costs: CacheCost[]): string {
  const lines = ['| queues | reads a month | shortest refresh cadence inside the free plan |', '| --- | --- | --- |'];
  const say = (seconds: number | null) => (seconds === null ? 'none (over with reads alone)' : seconds < 120 ? `every ${seconds} s` : `every ${(seconds / 60).toFixed(seconds % 60 === 0 ? 0 : 1)} min`);
  for (const cost of costs) for (const calls of [0, 10_000, 100_000]) lines.push(`| ${cost.queues} | ${calls.toLocaleString('en-US')} | ${say(freeCadence(cost, calls))} |`);
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
  await buildPrograms();
  const sections: string[] = ['Both refreshers run as built JavaScript with node (the project: `npm run build:refresher`, `node dist/refresh-queue-times.js`; the baseline bundled the same way), each refresh in a process of its own; peak RSS is the process\'s own (`process.resourceUsage().maxRSS` at exit). Each workspace has two workers per queue, each serving a pair of queues (10,000 workers at 5,000 queues): the project reads the Workers list too and learns pools of two queues.'];
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
  const cacheRows = ['| queues × channels | refresh | requests | commands sent | billed commands | kB sent to Redis | kB received |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const cost of [...costs, fourChannels]) {
    for (const [label, t] of [['first (full write)', cost.first], ['5% changed, looping refresher', cost.changed], ['5% changed, fresh process (reads its base back)', cost.coldChanged], ['one get-queue-times read by SID', cost.read]] as const) {
      cacheRows.push(`| ${cost.queues} × ${cost.channels} | ${label} | ${t.requests} | ${t.commands} | ${t.billed} | ${kb(t.sentBytes)} | ${kb(t.receivedBytes)} |`);
    }
  }
  sections.push(['Sent to Redis (request bodies as the Upstash server received them; the run number is included). "Billed commands" counts as Upstash bills: every command of a pipeline and every command a script runs, the script call included, measured with redis-server\'s INFO commandstats:', '', ...cacheRows].join('\n'));
  sections.push(`Longest single Redis command over a full write and a 5% diff at 5,000 queues × 4 channels (SLOWLOG, every command logged, ${longest.engine}): ${Number.isFinite(longest.longestMicros) ? `${(longest.longestMicros / 1000).toFixed(1)} ms of ${longest.commands} commands` : 'not measured (needs redis-server)'}.`);
  sections.push([`Upstash at a 30 s cadence (${REFRESHES_PER_MONTH.toLocaleString('en-US')} refreshes a month, each with 5% of queues changed, a full write once an hour), one channel, reads by SID as measured above, billed commands; bandwidth counts both directions. With read regions Upstash bills each write once more per region. Limits from Upstash's pricing page (https://upstash.com/pricing/redis): free 500K commands and 10 GB a month; pay-as-you-go $0.2 per 100K commands, bandwidth free to 200 GB then $0.03/GB.`, '', costTable(costs)].join('\n'));
  sections.push(['The shortest refresh cadence whose month fits the free plan (billed commands and bandwidth as above):', '', cadenceTable(costs)].join('\n'));

  // Twilio's network to TaskRouter and Upstash is unknown here: a pessimistic 100 ms a request.
  const budget: Latency = { label: '100 ms/request + 0.1 ms/queue', perRequestMs: 100, perItemMs: 0.1 };
  const budgetRows = [`The QStash Function's own code path (TaskRouter reads within ${READ_DEADLINE_SECONDS} s, each Redis request within ${WRITE_TIMEOUT_MS / 1000} s; Functions stop at 10 s), ${budget.label}, one channel, first refresh then a warm one with 5% changed:`, '', '| queues | first refresh (full write) | warm refresh (diff) | fits |', '| --- | --- | --- | --- |'];
  let largest = 0;
  for (const size of [500, 1000, 2500, 5000]) {
    const result = await qstashBudget(size, budget);
    budgetRows.push(`| ${size} | ${result.first} | ${result.warm} | ${result.fits ? 'yes' : 'no'} |`);
    if (result.fits) largest = size;
  }
  budgetRows.push('', `Largest measured workspace that fits: ${largest > 0 ? `${largest} queues` : 'none of those measured'}.`);
  sections.push(budgetRows.join('\n'));

  rmSync(join(ROOT, '.bench-build'), { recursive: true, force: true });
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
