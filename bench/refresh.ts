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
import { benchOptions } from './cli';

const USAGE = `Usage: npm run bench:refresh -- [--sizes 50,500,5000] [--latency 20+0.02,50+0.1] [--rate-limit 25] [--out <dir>]

Every workspace has two workers per queue (10,000 at 5,000 queues), each serving a pair of queues, so
the refresher reads the Workers list and learns pools of two queues.
Speed: requests, wall time and peak memory of one refresh, project against baseline, per size, with
the TaskRouter double charging each latency setting "<ms per request>+<ms per queue on a list page>".
Then both under a rate limit of --rate-limit requests per second (429 above it).
Speed is measured as users run the refresher, one process per refresh: a first refresh into an empty
Redis, then three fresh processes on the Redis the last one left with 5% of queues changed (median).
Cache cost: bytes and commands sent to Redis per refresh (first, and with 5% of queues changed), per
read, the longest Redis command at 5,000 queues × 4 channels, and the Upstash cost per way to schedule.
--out writes refresh.md there (default: a new temporary directory; bench/results updates the committed one).`;

/** Workers per queue in the benchmark's workspaces. */
const WORKERS_PER_QUEUE = 2;

/** Upstash's published limits (https://upstash.com/pricing/redis, read 2026-11): the free plan, and pay-as-you-go's price of commands. */
const FREE_COMMANDS = 500_000;
const FREE_BANDWIDTH_GB = 10;
const PAYG_DOLLARS_PER_100K_COMMANDS = 0.2;
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

/** One refresh by the built program, in a process of its own, against `stack`: wall time from spawn to exit, peak RSS from inside. */
async function runProgram(variant: 'project' | 'baseline', stack: LocalStack, queueCount: number): Promise<Measurement> {
  const requestsBefore = stack.taskrouter.stats.requests;
  const limitedBefore = stack.taskrouter.stats.rateLimited;
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
  const outcome = code === 0 ? String(report?.['write'] ? `written (${String(report['write'])})` : 'written') : `failed: ${String(report?.['error'] ?? report?.['outcome'] ?? `exit ${code}`).slice(0, 80)}`;
  return { variant, outcome, queues: queueCount, retries: Number(report?.['retries'] ?? 0), wallMs, maxRssMb: Number(peak?.['peakRssMb'] ?? NaN), requests: stack.taskrouter.stats.requests - requestsBefore, rateLimited: stack.taskrouter.stats.rateLimited - limitedBefore };
}

/** One refresh of a program on a workspace of its own, into an empty Redis. */
async function measureOnce(variant: 'project' | 'baseline', queueCount: number, latency: Latency, rateLimitPerSecond?: number): Promise<Measurement> {
  const model = staticWorkspace({ queueCount, seed: 12, workerCount: WORKERS_PER_QUEUE * queueCount });
  const stack = await startLocalStack({ model, double: { latencyMs: latency.perRequestMs, latencyPerItemMs: latency.perItemMs, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) } });
  try {
    return await runProgram(variant, stack, queueCount);
  } finally {
    await stack.stop();
  }
}

const median = (runs: Measurement[]) => [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)]!;

/**
 * The project as users run it, one process per refresh: a first refresh into an empty Redis (a full
 * write), then three fresh processes, each on the Redis the last one left, with 5% of queues changed since.
 */
async function measureProject(queueCount: number, latency: Latency): Promise<{ full: Measurement; fresh: Measurement[] }> {
  const model = changingWorkspace({ queueCount, seed: 12, workerCount: WORKERS_PER_QUEUE * queueCount });
  const stack = await startLocalStack({ model, double: { latencyMs: latency.perRequestMs, latencyPerItemMs: latency.perItemMs } });
  try {
    const full = await runProgram('project', stack, queueCount);
    const fresh: Measurement[] = [];
    for (let run = 0; run < 3; run++) {
      model.bump(model.queues().filter((_, index) => index % 20 === run).map((queue) => queue.sid));
      fresh.push(await runProgram('project', stack, queueCount));
    }
    return { full, fresh };
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

/**
 * The longest single command Redis ran (SLOWLOG, every command logged) over a full write and a 5% diff
 * of a looping refresher, and over the next 5% diff of a fresh process alone.
 */
async function longestCommand(queueCount: number, channels: string[]): Promise<{ longestMicros: number; commands: number; freshLongestMicros: number; freshCommands: number; engine: string }> {
  const model = changingWorkspace({ queueCount, seed: 33, workerCount: WORKERS_PER_QUEUE * queueCount });
  const stack = await startLocalStack({ model });
  try {
    if (stack.engine.kind !== 'redis-server') return { longestMicros: NaN, commands: 0, freshLongestMicros: NaN, freshCommands: 0, engine: stack.engine.kind };
    const config = loadRefresherConfig({ ...stack.env, TASK_CHANNELS: channels.join(',') });
    const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
    const state: RefreshState = { base: null };
    const log = (await commandsRun(stack.engine, async () => {
      await refreshOnce(config, { redis, state });
      model.bump(model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid));
      await refreshOnce(config, { redis, state });
    }))!;
    model.bump(model.queues().filter((_, index) => index % 20 === 1).map((queue) => queue.sid));
    const fresh = (await commandsRun(stack.engine, () => refreshOnce(config, { redis })))!;
    return { longestMicros: Math.max(...log.map((command) => command.micros)), commands: log.length, freshLongestMicros: Math.max(...fresh.map((command) => command.micros)), freshCommands: fresh.length, engine: stack.engine.kind };
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
        const result = await scheduledRefresh(config, config.twilio!);
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

/** How users schedule the refresher, and which cost of a refresh each pays. */
const SCHEDULES = [
  { name: 'GitHub Action, `single` (cron `*/5`)', cadenceSeconds: 300, fresh: true },
  { name: 'cron job every 5 minutes', cadenceSeconds: 300, fresh: true },
  { name: 'QStash Function every 2 minutes', cadenceSeconds: 120, fresh: true },
  { name: 'looping refresher every 30 s', cadenceSeconds: 30, fresh: false },
] as const;

/** Billed commands and bytes (both directions) a month of one schedule: 5% changed each refresh, a full write once per TTL. */
function scheduleMonth(cost: CacheCost, cadenceSeconds: number, fresh: boolean): { refreshes: number; commands: number; bytes: number } {
  const refreshes = (30 * 86_400) / cadenceSeconds;
  const full = Math.min(refreshes, FULL_WRITES_PER_MONTH);
  const diff = fresh ? cost.coldChanged : cost.changed;
  const commands = refreshes * diff.billed + full * (cost.first.billed - diff.billed);
  const bytes = refreshes * (diff.sentBytes + diff.receivedBytes) + full * (cost.first.sentBytes + cost.first.receivedBytes - diff.sentBytes - diff.receivedBytes);
  return { refreshes, commands, bytes };
}

const fitsFree = (commands: number, bytes: number) => commands <= FREE_COMMANDS && gb(bytes) <= FREE_BANDWIDTH_GB;

function scheduleTable(costs: CacheCost[]): string {
  const lines = [
    '| schedule | process | refreshes a month | queues | billed commands a month | bandwidth a month | free plan, refresh alone | free plan with 10,000 reads |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const largest: string[] = [];
  for (const schedule of SCHEDULES) {
    let fitting = 0;
    for (const cost of costs) {
      const month = scheduleMonth(cost, schedule.cadenceSeconds, schedule.fresh);
      const withReads = { commands: month.commands + 10_000 * cost.read.billed, bytes: month.bytes + 10_000 * (cost.read.sentBytes + cost.read.receivedBytes) };
      const say = (commands: number, bytes: number) => (fitsFree(commands, bytes) ? 'fits' : `over (${commands > FREE_COMMANDS ? 'commands' : 'bandwidth'})`);
      if (fitsFree(month.commands, month.bytes)) fitting = Math.max(fitting, cost.queues);
      lines.push(`| ${schedule.name} | ${schedule.fresh ? 'fresh' : 'looping'} | ${Math.round(month.refreshes).toLocaleString('en-US')} | ${cost.queues.toLocaleString('en-US')} | ${Math.round(month.commands).toLocaleString('en-US')} | ${gb(month.bytes).toFixed(2)} GB | ${say(month.commands, month.bytes)} | ${say(withReads.commands, withReads.bytes)} |`);
    }
    largest.push(`- ${schedule.name}: ${fitting > 0 ? `${fitting.toLocaleString('en-US')} queues${fitting === Math.max(...costs.map((cost) => cost.queues)) ? ' (the largest measured)' : ''}` : 'none of those measured'}`);
  }
  return [...lines, '', 'Largest measured workspace whose refreshes alone fit the free plan:', ...largest].join('\n');
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
  const sections: string[] = ['Both refreshers run as built JavaScript with node (the project: `npm run build:refresher`, `node dist/refresh-queue-times.js`; the baseline bundled the same way), each refresh in a process of its own, with no child process; peak RSS is the process\'s own (`process.resourceUsage().maxRSS` at exit). Each workspace has two workers per queue, each serving a pair of queues (10,000 workers at 5,000 queues): the project reads the Workers list and learns pools of two queues on its first refresh, and reuses them from its state for ten minutes after (src/refresh.ts POOLS_MAX_AGE_MS). The project is timed as a fresh process on the Redis its last refresh left, 5% of queues changed since (median of 3), and on its first refresh into an empty Redis; its peak RSS is the worse of those four runs in the headline.'];
  let headline = '';
  for (const [index, latency] of latencies.entries()) {
    const rows: string[] = [`Latency ${latency.label}.`, '', '| queues | variant | TaskRouter requests | wall ms | peak RSS MB | outcome | baseline/project wall |', '| --- | --- | --- | --- | --- | --- | --- |'];
    for (const size of sizes) {
      const project = await measureProject(size, latency);
      const fresh = median(project.fresh);
      // The headline baseline is the median of three too; elsewhere one run (each takes up to minutes).
      const headlineRun = size === 5000 && index === 0;
      const baselines = [];
      for (let run = 0; run < (headlineRun ? 3 : 1); run++) baselines.push(await measureOnce('baseline', size, latency));
      const baseline = median(baselines);
      const ratio = baseline.wallMs / fresh.wallMs;
      const peak = Math.max(project.full.maxRssMb, ...project.fresh.map((run) => run.maxRssMb));
      rows.push(`| ${size} | project, fresh process on the last refresh, 5% changed (median of 3) | ${fresh.requests} | ${fresh.wallMs.toFixed(0)} | ${Math.max(...project.fresh.map((run) => run.maxRssMb)).toFixed(0)} | ${fresh.outcome} | ${ratio.toFixed(1)}× |`);
      rows.push(`| ${size} | project, first refresh into an empty Redis | ${project.full.requests} | ${project.full.wallMs.toFixed(0)} | ${project.full.maxRssMb.toFixed(0)} | ${project.full.outcome} | ${(baseline.wallMs / project.full.wallMs).toFixed(1)}× |`);
      rows.push(`| ${size} | baseline${baselines.length > 1 ? ' (median of 3)' : ''} | ${baseline.requests} | ${baseline.wallMs.toFixed(0)} | ${Math.max(...baselines.map((run) => run.maxRssMb)).toFixed(0)} | ${baseline.outcome} | |`);
      process.stderr.write(`${latency.label}: ${size} queues measured\n`);
      if (headlineRun) headline = `baseline/project wall = ${ratio.toFixed(0)} at 5000 queues (${fresh.requests} requests vs ${baseline.requests})|${peak.toFixed(0)}|${Math.max(...baselines.map((run) => run.maxRssMb)).toFixed(0)}`;
    }
    sections.push(rows.join('\n'));
  }
  const limited: string[] = [`Under a rate limit of ${rateLimit} requests/s (${latencies[0]!.label}):`, '', '| queues | variant | requests | 429s answered | retries | wall ms | outcome |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const [variant, size] of [['project', 500], ['baseline', 500], ['project', 5000]] as const) {
    const result = await measureOnce(variant, size, latencies[0]!, rateLimit);
    limited.push(`| ${size} | ${variant} | ${result.requests} | ${result.rateLimited} | ${variant === 'project' ? result.retries : 'twilio autoRetry'} | ${result.wallMs.toFixed(0)} | ${result.outcome} |`);
  }
  sections.push(limited.join('\n'));

  const costs: CacheCost[] = [];
  for (const size of sizes) costs.push(await cacheCost(size, ['voice']));
  const fourChannels = await cacheCost(5000, ['voice', 'chat', 'sms', 'email']);
  const longest = await longestCommand(5000, ['voice', 'chat', 'sms', 'email']);
  const longestOne = await longestCommand(5000, ['voice']);
  const cacheRows = ['| queues × channels | refresh | requests | commands sent | billed commands | kB sent to Redis | kB received |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const cost of [...costs, fourChannels]) {
    for (const [label, t] of [['first (full write)', cost.first], ['5% changed, looping refresher', cost.changed], ['5% changed, fresh process (reads the packed state back)', cost.coldChanged], ['one get-queue-times read by SID', cost.read]] as const) {
      cacheRows.push(`| ${cost.queues} × ${cost.channels} | ${label} | ${t.requests} | ${t.commands} | ${t.billed} | ${kb(t.sentBytes)} | ${kb(t.receivedBytes)} |`);
    }
  }
  sections.push(['Sent to Redis (request bodies as the Upstash server received them; the run number is included). "Billed commands" counts as Upstash bills: every command of a pipeline and every command a script runs, the script call included, measured with redis-server\'s INFO commandstats:', '', ...cacheRows].join('\n'));
  const ms = (micros: number, commands: number) => (Number.isFinite(micros) ? `${(micros / 1000).toFixed(1)} ms of ${commands} commands` : 'not measured (needs redis-server)');
  sections.push(`Longest single Redis command (SLOWLOG, every command logged, ${longest.engine}): over a full write and a 5% diff at 5,000 queues × 4 channels, ${ms(longest.longestMicros, longest.commands)}; over a fresh process's 5% diff at 5,000 queues × 1 channel, ${ms(longestOne.freshLongestMicros, longestOne.freshCommands)}.`);
  sections.push([`Upstash per way to schedule the refresher, one channel, each refresh with 5% of queues changed and a full write once an hour (the TTL): a fresh process (the Action's \`single\`, cron, QStash) pays the read-back of the packed state, a looping refresher does not. A warm QStash Function keeps its base between calls (module state, src/endpoints/scheduled-refresh.ts) and then costs what a looping refresher does; the table counts every call as cold. Billed commands as above; bandwidth counts both directions. Limits from Upstash's pricing page (https://upstash.com/pricing/redis, read 2026-11): free ${FREE_COMMANDS.toLocaleString('en-US')} commands and ${FREE_BANDWIDTH_GB} GB a month; pay-as-you-go $${PAYG_DOLLARS_PER_100K_COMMANDS} per 100K commands. A read by SID is ${costs[0]?.read.billed ?? 2} billed commands.`, '', scheduleTable(costs)].join('\n'));

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
  const [ratioText, peak, baselinePeak] = headline.split('|');
  process.stdout.write(`refresh: ${ratioText || '(5000 queues not measured)'}, ${at5000 ? kb(at5000.changed.sentBytes) : '–'} kB to Redis per refresh with 5% changed, ${at5000 ? kb(at5000.coldChanged.receivedBytes) : '–'} kB read back by a fresh process, peak RSS ${peak ?? '–'} MB (baseline ${baselinePeak ?? '–'} MB)\n`);
}

void main();
