/**
 * Read benchmark: get-queue-times at 5,000 cached queues, the project's layout (one small hash field
 * per request) against the original's (one JSON blob of every queue, read and parsed per request), both
 * through the same validation and response code. Measured (a) calling the built handlers in-process and
 * (b) over HTTP through `twilio-run start` with concurrent clients. `npm run bench:read -- --help`.
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunctions, startLocalStack, type LocalStack } from '../dev/local-stack';
import { staticWorkspace } from '../dev/workspace-model';
import { refreshOnce } from '../src/refresh';
import { createRedis } from '../src/cache/redis';
import { loadRefresherConfig } from '../src/config';
import { baselineRefresh } from './baseline-refresher';
import { benchOptions } from './cli';
import { billedCommands } from '../dev/redis-engine';

const ROOT = join(__dirname, '..');
const USAGE = `Usage: npm run bench:read -- [--requests <n>] [--concurrency <n>] [--out <dir>]
(--out writes read.md there; default: a new temporary directory)

Defaults: 4000 requests per variant in-process and over HTTP, 16 concurrent callers.`;

type Handler = (context: Record<string, unknown>, event: Record<string, unknown>, callback: (error: unknown, response: { statusCode?: number; _statusCode?: number; body?: unknown }) => void) => unknown;

interface Result {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  commandsPerRequest: number;
  /** As Upstash bills: every command of a pipeline and every command a script runs (INFO commandstats); null without redis-server. */
  billedPerRequest: number | null;
  bytesPerRequest: number;
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `call` `total` times with `concurrency` in flight; latency of each call in ms. */
async function load(total: number, concurrency: number, call: (index: number) => Promise<boolean>): Promise<{ latencies: number[]; wallMs: number; failures: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const t = performance.now();
        if (!(await call(index))) failures++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - started, failures };
}

async function measure(label: string, stack: LocalStack, total: number, concurrency: number, call: (index: number) => Promise<boolean>): Promise<Result> {
  await load(Math.min(200, total), concurrency, call); // warm-up: connections, JIT, script cache
  const before = { ...stack.upstash.stats };
  let loaded: Awaited<ReturnType<typeof load>> | undefined;
  const billed = await billedCommands(stack.engine, async () => (loaded = await load(total, concurrency, call)));
  const { latencies, wallMs, failures } = loaded!;
  const after = stack.upstash.stats;
  return {
    label,
    rps: (total / wallMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    commandsPerRequest: (after.commands - before.commands) / total,
    billedPerRequest: billed === null ? null : billed.total / total,
    bytesPerRequest: (after.requestBytes - before.requestBytes + after.responseBytes - before.responseBytes) / total,
    failures,
  };
}

async function main(): Promise<void> {
  const values = benchOptions({ requests: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (!values) return;
  const total = Number(values.requests ?? 4000);
  const concurrency = Number(values.concurrency ?? 16);
  if (!Number.isInteger(total) || total < 100 || !Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`bad options\n\n${USAGE}\n`);
    process.exit(2);
  }
  const model = staticWorkspace({ queueCount: 5000, seed: 13 });
  const stack = await startLocalStack({ model });
  const work = mkdtempSync(join(tmpdir(), 'qwt-read-'));
  try {
    const config = loadRefresherConfig(stack.env);
    const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
    await refreshOnce(config, { redis });
    await baselineRefresh({ accountSid: config.twilio!.accountSid, authToken: config.twilio!.password, workspaceSid: model.workspaceSid, baseUrl: config.taskRouterApiUrl, redis });

    // Both handlers built the way npm run build builds functions, side by side in one functions folder.
    mkdirSync(join(work, 'functions'));
    mkdirSync(join(work, 'assets'));
    await build({ entryPoints: { 'get-queue-times': join(ROOT, 'functions/get-queue-times.ts'), 'baseline-get-queue-times': join(__dirname, 'baseline-get-queue-times.ts') }, outdir: join(work, 'functions'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['twilio', '@upstash/redis', '@twilio-labs/serverless-runtime-types'], logLevel: 'warning' });
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'read-bench', private: true }));
    writeFileSync(join(work, '.twilioserverlessrc'), JSON.stringify({ functionsFolder: 'functions', assetsFolder: 'assets' }));

    const sids = model.queues().map((queue) => queue.sid);
    const pick = (index: number) => sids[(index * 7919) % sids.length]!;
    const results: Result[] = [];

    // (a) In-process: the built handlers called directly, with twilio-run's Response class as the global.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    // By file path: the package's exports map does not expose it.
    const { Response } = require(join(ROOT, 'node_modules/@twilio/runtime-handler/dist/dev-runtime/internal/response.js'));
    (globalThis as Record<string, unknown>)['Twilio'] = { Response };
    const handlerOf = (name: string) => (require(join(work, 'functions', `${name}.js`)) as { handler: Handler }).handler;
    // Real call traffic concentrates on a few queues: the "hot" rows spread calls over 20 of them.
    const pickHot = (index: number) => sids[index % 20]!;
    const invoke = (handler: Handler, context: Record<string, unknown>, choose = pick) => (index: number) =>
      new Promise<boolean>((resolve) => {
        void handler(context, { queueSid: choose(index), request: { headers: {}, cookies: {} } }, (_error, response) => resolve(((response as { statusCode?: number }).statusCode ?? 200) === 200));
      });
    const context = { ...stack.env };
    results.push(await measure('in-process project', stack, total, concurrency, invoke(handlerOf('get-queue-times'), context)));
    results.push(await measure('in-process project, LOCAL_CACHE_SECONDS=5', stack, total, concurrency, invoke(handlerOf('get-queue-times'), { ...context, LOCAL_CACHE_SECONDS: '5' })));
    results.push(await measure('in-process project, 20 hot queues', stack, total, concurrency, invoke(handlerOf('get-queue-times'), context, pickHot)));
    results.push(await measure('in-process project, 20 hot queues, LOCAL_CACHE_SECONDS=5', stack, total, concurrency, invoke(handlerOf('get-queue-times'), { ...context, LOCAL_CACHE_SECONDS: '5' }, pickHot)));
    results.push(await measure('in-process baseline', stack, total, concurrency, invoke(handlerOf('baseline-get-queue-times'), context)));

    // (b) Over HTTP through twilio-run start, modules kept warm between requests as in a warm container.
    const functions = await startFunctions(stack.env, { warm: true, root: work });
    try {
      const get = (path: string) => async (index: number) => (await fetch(`${functions.url}/${path}?queueSid=${pick(index)}`).then(async (response) => (await response.arrayBuffer(), response.status))) === 200;
      results.push(await measure('HTTP project', stack, total, concurrency, get('get-queue-times')));
      results.push(await measure('HTTP baseline', stack, total, concurrency, get('baseline-get-queue-times')));
    } finally {
      await functions.stop();
    }

    const rows = ['| path | requests/s | p50 ms | p99 ms | commands sent / request | Redis bytes / request | billed commands / request (INFO commandstats) | Upstash commands billed per 1,000 calls | failures |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
    const billed = (r: Result) => r.billedPerRequest ?? r.commandsPerRequest;
    for (const r of results) rows.push(`| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.commandsPerRequest.toFixed(2)} | ${r.bytesPerRequest.toFixed(0)} | ${r.billedPerRequest === null ? 'not measured (needs redis-server)' : r.billedPerRequest.toFixed(2)} | ${(billed(r) * 1000).toFixed(0)} | ${r.failures} |`);
    const find = (label: string) => results.find((r) => r.label === label)!;
    const inProcess = find('in-process project').rps / find('in-process baseline').rps;
    const http = find('HTTP project').rps / find('HTTP baseline').rps;
    const markdown = `Written by \`npm run bench:read\`. 5,000 queues cached; ${total} requests per row, ${concurrency} concurrent callers (node ${process.version}).\n\n${rows.join('\n')}\n\nin-process project/baseline throughput = ${inProcess.toFixed(1)}; over HTTP = ${http.toFixed(1)}; bytes per read: project ${find('in-process project').bytesPerRequest.toFixed(0)} vs baseline ${find('in-process baseline').bytesPerRequest.toFixed(0)}\n`;
    const out = values.out ?? mkdtempSync(join(tmpdir(), 'read-'));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'read.md'), markdown);
    process.stdout.write(`${markdown}\n`);
    process.stdout.write(`read: project/baseline throughput = ${inProcess.toFixed(1)} at 5000 queues\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}

void main();
