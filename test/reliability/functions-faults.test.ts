/**
 * The Functions when Upstash misbehaves: down, slower than the timeout, refusing the token, failing.
 * Studio must get the documented 503 or the fallback well inside its 10 s (here: inside 3 s).
 */
import { startFunctions, type FunctionsServer } from '../../dev/local-stack';
import { staticWorkspace } from '../../dev/workspace-model';
import type { UpstashFault } from '../../dev/upstash-server';
import { refreshOnce } from '../../src/refresh';
import { logLine, startTestStack, type TestStack } from '../helpers';
import { record } from './report';

const model = staticWorkspace({ queueCount: 30, seed: 61 });
const queueSid = model.queues()[3]!.sid;
let stack: TestStack;
let plain: FunctionsServer;
let withFallback: FunctionsServer;
let dead: FunctionsServer;

beforeAll(async () => {
  stack = await startTestStack({ model });
  await refreshOnce(stack.config, { redis: stack.redis });
  const env = { ...stack.env, CACHE_TIMEOUT_MS: '1000' };
  [plain, withFallback, dead] = await Promise.all([
    startFunctions(env, { warm: true }),
    startFunctions({ ...env, DEFAULT_WAIT_TIME: '240' }, { warm: true }),
    startFunctions({ ...env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' }, { warm: true }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([plain?.stop(), withFallback?.stop(), dead?.stop()]);
  await stack?.stop();
});
afterEach(() => {
  stack.upstash.options.fault = undefined;
});

async function timed(url: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(url);
  const body = await response.text();
  return { status: response.status, body, ms: Date.now() - started };
}

/**
 * One check of a fault (one condition of Upstash's) on one Function: the summary counts the condition once.
 * Every answer that is not the cache's leaves one log line naming the Function, the host and the cause.
 */
async function check(label: string, server: FunctionsServer, path: string, expectStatus: number, expectBody: RegExp, expectCause: RegExp) {
  const from = server.output().length;
  const result = await timed(`${server.url}/${path}`);
  const fn = path.split('?')[0]!;
  const line = await logLine(server, from, new RegExp(`${fn}: .*failed at 127\\.0\\.0\\.1:\\d+: `));
  const prefix = fn === 'get-queue-times' ? (expectStatus === 200 ? 'answered DEFAULT_WAIT_TIME \\(fallback\\)' : '503 cache_unavailable') : 'no announcement from the cache';
  expect([label, line]).toEqual([label, expect.stringMatching(new RegExp(`${fn}: ${prefix}: Reading the queue failed at 127\\.0\\.0\\.1:\\d+: ${expectCause.source}`))]);
  expect(line).not.toContain(stack.env['UPSTASH_REDIS_REST_TOKEN']);
  const survived = result.status === expectStatus && expectBody.test(result.body) && result.ms < 3000;
  const [fault, endpoint] = label.split(': ');
  record({ kind: 'fault', area: 'Upstash (Functions)', fault: fault!, survived, dataLost: null, detail: `${endpoint}: answered ${result.status} in ${result.ms} ms` });
  expect(result.status).toBe(expectStatus);
  expect(result.body).toMatch(expectBody);
  expect(result.ms).toBeLessThan(3000);
}

/** Each fault, and the cause its log line must give. */
const faults: [string, UpstashFault, RegExp][] = [
  ['slower than the timeout', { kind: 'delay', ms: 5000 }, /timed out/],
  ['401 wrong token', { kind: 'status', status: 401 }, /.*HTTP 401/],
  ['500', { kind: 'status', status: 500 }, /.*HTTP 500/],
  ['connection reset', { kind: 'reset-before' }, /(UND_ERR_SOCKET|ECONNRESET)/],
];

describe.each(faults)('Upstash %s', (name, fault, cause) => {
  beforeEach(() => {
    stack.upstash.options.fault = () => fault;
  });

  it('get-queue-times answers 503 JSON, or the fallback when configured, inside 3 s', async () => {
    await check(`${name}: get-queue-times 503`, plain, `get-queue-times?queueSid=${queueSid}`, 503, /"code":"cache_unavailable"/, cause);
    await check(`${name}: get-queue-times fallback`, withFallback, `get-queue-times?queueSid=${queueSid}`, 200, /"status":"fallback".*"waitTime":240|"waitTime":240.*"status":"fallback"/, cause);
  });

  it('hold-music still plays music inside 3 s', async () => {
    await check(`${name}: hold-music`, plain, `hold-music?queueSid=${queueSid}&QueueTime=10`, 200, /<Play>/, cause);
  });
});

describe('Upstash down (nothing listening)', () => {
  it('answers 503 JSON inside 3 s, and hold-music plays', async () => {
    await check('down: get-queue-times 503', dead, `get-queue-times?queueSid=${queueSid}`, 503, /"code":"cache_unavailable"/, /ECONNREFUSED/);
    await check('down: hold-music', dead, `hold-music?queueSid=${queueSid}`, 200, /<Play>/, /ECONNREFUSED/);
  });
});
