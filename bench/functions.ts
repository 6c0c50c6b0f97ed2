/**
 * Function weight: each built Function's bundle size and its cold start (time from a fresh node
 * process's start to the handler's first response, median of --runs processes), against a baseline
 * build (--baseline <dist>) side by side. The local stand-ins serve the one Redis read.
 * `npm run bench:functions -- --help`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack } from '../dev/local-stack';
import { staticWorkspace } from '../dev/workspace-model';
import { createRedis } from '../src/cache/redis';
import { loadRefresherConfig } from '../src/config';
import { refreshOnce } from '../src/refresh';
import { benchOptions } from './cli';

const run = promisify(execFile);
const USAGE = `Usage: npm run bench:functions -- [--baseline <dist dir>] [--runs <n>] [--out <dir>]

Bundle size and cold start (fresh process to first response, median of --runs, default 7) of every
built Function in dist/, and of a baseline build's (e.g. an older commit's dist) when given.
--out writes functions.md there (default: a new temporary directory).`;

/**
 * Runs in a fresh node process: the runtime's globals, the handler called once with a request that
 * exercises the Function's normal path; prints the milliseconds from process start to the callback.
 */
const CHILD = `
const [file, contextJson, eventJson] = process.argv.slice(1);
class Response { constructor() { this.headers = {}; } setStatusCode(c) { this.statusCode = c; } setBody(b) { this.body = b; } appendHeader(k, v) { this.headers[k] = v; } }
globalThis.Twilio = { Response };
globalThis.Runtime = { getAssets: () => ({ '/workflow-config.json': { open: () => require('node:fs').readFileSync(process.env.ASSET, 'utf8') } }), getFunctions: () => ({}) };
const { handler } = require(file);
const context = { ...JSON.parse(contextJson), DOMAIN_NAME: 'example.twil.io', PATH: '/fn', getTwilioClient: () => { throw new Error('not in this benchmark'); } };
handler(context, JSON.parse(eventJson), (error, response) => {
  process.stdout.write(JSON.stringify({ ms: performance.now(), status: response && response.statusCode, error: error ? String(error) : null }));
  process.exit(0);
});
`;

async function coldStart(file: string, context: Record<string, string>, event: Record<string, unknown>, asset: string, runs: number): Promise<{ medianMs: number; status: number }> {
  const times: number[] = [];
  let status = 0;
  for (let index = 0; index < runs; index++) {
    const { stdout } = await run(process.execPath, ['-e', CHILD, file, JSON.stringify(context), JSON.stringify(event)], { env: { PATH: process.env['PATH'], ASSET: asset } });
    const result = JSON.parse(stdout) as { ms: number; status: number };
    times.push(result.ms);
    status = result.status;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, status };
}

async function main(): Promise<void> {
  const values = benchOptions({ baseline: { type: 'string' }, runs: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (!values) return;
  const runs = Number(values.runs ?? 7);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50 || (values.baseline && !existsSync(join(values.baseline, 'functions')))) {
    process.stderr.write(`bad options (is --baseline a dist directory with functions/?)\n\n${USAGE}\n`);
    process.exit(2);
  }
  const model = staticWorkspace({ queueCount: 50, seed: 61 });
  const stack = await startLocalStack({ model });
  try {
    const config = loadRefresherConfig(stack.env);
    await refreshOnce(config, { redis: createRedis(config.cache, { timeoutMs: 10_000, retries: 0 }) });
    const context = { TWILIO_WORKSPACE_SID: model.workspaceSid, UPSTASH_REDIS_REST_URL: stack.env['UPSTASH_REDIS_REST_URL']!, UPSTASH_REDIS_REST_TOKEN: stack.env['UPSTASH_REDIS_REST_TOKEN']!, QSTASH_CURRENT_SIGNING_KEY: 'a', QSTASH_NEXT_SIGNING_KEY: 'b' };
    const queue = model.queues()[0]!;
    const events: Record<string, Record<string, unknown>> = {
      'get-queue-times': { queueSid: queue.sid, request: { headers: {}, cookies: {} } },
      'hold-music': { queueSid: queue.sid, QueueTime: '120', request: { headers: {}, cookies: {} } },
      'lookup-queue-sid': { queueName: 'Support', request: { headers: {}, cookies: {} } },
      // Unsigned: answered 401 after loading everything it needs to check a signature.
      'refresh-queue-times': { request: { headers: {}, cookies: {} } },
    };
    const builds: [string, string][] = [['current', resolve(join(__dirname, '..', 'dist'))]];
    if (values.baseline) builds.unshift(['baseline', resolve(values.baseline)]);
    const rows = ['| function | build | bundle kB | cold start ms (median) | status |', '| --- | --- | --- | --- | --- |'];
    const results = new Map<string, number>();
    for (const name of Object.keys(events)) {
      for (const [label, dist] of builds) {
        const file = readdirSync(join(dist, 'functions')).find((candidate) => candidate.replace(/\.(protected|private)?\.?js$/, '') === name);
        if (!file) continue;
        const path = join(dist, 'functions', file);
        const cold = await coldStart(path, context, events[name]!, join(dist, 'assets', 'workflow-config.private.json'), runs);
        results.set(`${name} ${label}`, cold.medianMs);
        rows.push(`| ${name} | ${label} | ${(statSync(path).size / 1000).toFixed(1)} | ${cold.medianMs.toFixed(0)} | ${cold.status} |`);
        process.stderr.write(`${name} (${label}) measured\n`);
      }
    }
    const markdown = `Written by \`npm run bench:functions${values.baseline ? ' -- --baseline <dist>' : ''}\`: each built Function in a fresh node process (node ${process.version}), time from the process's start to its first response (the handler's callback), median of ${runs}; the one Redis read goes to the local stand-in on loopback.\n\n${rows.join('\n')}\n`;
    const out = values.out ?? mkdtempSync(join(tmpdir(), 'functions-'));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'functions.md'), markdown);
    process.stdout.write(`${markdown}\n`);
    const hold = results.get('hold-music current');
    const holdBefore = results.get('hold-music baseline');
    process.stdout.write(`functions: hold-music cold start ${hold?.toFixed(0)} ms${holdBefore ? ` (baseline ${holdBefore.toFixed(0)} ms)` : ''}\n`);
  } finally {
    await stack.stop();
  }
}

void main();
