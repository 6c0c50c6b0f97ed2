/**
 * Refresh benchmark: the project's refresher against a faithful re-implementation of the original
 * (bench/baseline-refresher.ts), side by side, against the TaskRouter double with a fixed latency per
 * request. `npm run bench:refresh -- --help`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startLocalStack } from '../dev/local-stack';
import { staticWorkspace } from '../dev/workspace-model';
import { MAX_PAGE_SIZE } from '../src/taskrouter/reader';

const run = promisify(execFile);
const USAGE = `Usage: npm run bench:refresh -- [--latency-ms <ms>] [--sizes 50,500,5000] [--rate-limit <req/s>]

Measures requests, wall time and peak memory of one refresh, project against baseline, per size,
with the TaskRouter double adding --latency-ms (default 20) to every request; then both under a rate
limit of --rate-limit requests per second (default 25; 429 above it).`;

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

async function measure(variant: 'project' | 'baseline', queueCount: number, latencyMs: number, rateLimitPerSecond?: number): Promise<Measurement> {
  const model = staticWorkspace({ queueCount, seed: 12 });
  const stack = await startLocalStack({ model, double: { latencyMs, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) } });
  try {
    const { stdout } = await run(process.execPath, [join(__dirname, '..', 'node_modules/tsx/dist/cli.mjs'), join(__dirname, 'refresh-run.ts'), variant], { env: { ...process.env, ...stack.env }, maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<Measurement, 'requests' | 'rateLimited'>;
    return { ...result, requests: stack.taskrouter.stats.requests, rateLimited: stack.taskrouter.stats.rateLimited };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { 'latency-ms': { type: 'string' }, sizes: { type: 'string' }, 'rate-limit': { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const latencyMs = Number(values['latency-ms'] ?? 20);
  const sizes = (values.sizes ?? '50,500,5000').split(',').map(Number);
  const rateLimit = Number(values['rate-limit'] ?? 25);
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 5000) || !(rateLimit > 0)) {
    process.stderr.write(`bad options\n\n${USAGE}\n`);
    process.exit(2);
  }
  const rows: string[] = ['| queues | variant | requests | wall ms | peak RSS MB | outcome | baseline/project wall |', '| --- | --- | --- | --- | --- | --- | --- |'];
  let headline = '';
  for (const size of sizes) {
    // The project's run is short and so noisy on a shared machine: the median of three is reported.
    const projectRuns = [await measure('project', size, latencyMs), await measure('project', size, latencyMs), await measure('project', size, latencyMs)];
    const project = projectRuns.sort((a, b) => a.wallMs - b.wallMs)[1]!;
    const baseline = await measure('baseline', size, latencyMs);
    const pages = Math.ceil(size / MAX_PAGE_SIZE);
    const ratio = baseline.wallMs / project.wallMs;
    rows.push(`| ${size} | project (median of 3) | ${project.requests} | ${project.wallMs.toFixed(0)} | ${Math.max(...projectRuns.map((run) => run.maxRssMb)).toFixed(0)} | ${project.outcome} | ${ratio.toFixed(1)}× |`);
    rows.push(`| ${size} | baseline | ${baseline.requests} | ${baseline.wallMs.toFixed(0)} | ${baseline.maxRssMb.toFixed(0)} | ${baseline.outcome} | |`);
    rows.push(`| ${size} | lower bound | ${2 * pages} | ${pages * latencyMs} | | ${pages} statistics page(s) and ${pages} name page(s), listed in parallel | |`);
    process.stderr.write(`${size} queues measured\n`);
    if (size === 5000) headline = `refresh: baseline/project wall = ${ratio.toFixed(0)} at 5000 queues (${project.requests} requests vs ${baseline.requests})`;
  }
  const limited: string[] = [`| queues | variant | requests | 429s answered | retries | wall ms | outcome |`, '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const [variant, size] of [['project', 500], ['baseline', 500], ['project', 5000]] as const) {
    const result = await measure(variant, size, latencyMs, rateLimit);
    limited.push(`| ${size} | ${variant} | ${result.requests} | ${result.rateLimited} | ${variant === 'project' ? result.retries : 'twilio autoRetry'} | ${result.wallMs.toFixed(0)} | ${result.outcome} |`);
  }
  process.stdout.write(`Latency ${latencyMs} ms per request.\n\n${rows.join('\n')}\n\nUnder a rate limit of ${rateLimit} requests/s:\n\n${limited.join('\n')}\n\n`);
  process.stdout.write(`${headline || 'refresh: (5000 queues not measured)'}\n`);
}

void main();
