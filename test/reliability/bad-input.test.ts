/**
 * A generated corpus of bad input, 10,000 requests per Function through twilio-run: every one answered
 * with the documented 4xx JSON error (hold-music: valid TwiML), none slow, no 5xx, the cache unchanged.
 */
import { startFunctions, type FunctionsServer } from '../../dev/local-stack';
import { seededRandom, staticWorkspace } from '../../dev/workspace-model';
import { refreshOnce } from '../../src/refresh';
import { dumpRedis, startTestStack, type TestStack } from '../helpers';
import { record } from './report';

const PER_FUNCTION = Number(process.env['BAD_INPUT_REQUESTS'] ?? 10_000);
const CONCURRENCY = 16;
const model = staticWorkspace({ queueCount: 50, seed: 97 });
let stack: TestStack;
let functions: FunctionsServer;

beforeAll(async () => {
  stack = await startTestStack({ model });
  await refreshOnce(stack.config, { redis: stack.redis });
  functions = await startFunctions(stack.env, { warm: true });
}, 120_000);
afterAll(async () => {
  await functions?.stop();
  await stack?.stop();
});

const random = seededRandom(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const hex = (length: number, alphabet = '0123456789abcdef') => Array.from({ length }, () => pick([...alphabet])).join('');

/** Values no valid request carries: wrong SIDs, key patterns, protocol fragments, unicode, oversize. */
function badString(): string {
  return pick([
    () => '',
    () => ' ',
    () => 'WQ',
    () => `WQ${hex(31)}`,
    () => `WQ${hex(33)}`,
    () => `WQ${hex(32, '0123456789ABCDEF')}`,
    () => `wq${hex(32)}`,
    () => `WS${hex(32)}`,
    () => `WQ${hex(32)}`, // well-formed, but no such queue
    () => `WQ${hex(30)}*?`,
    () => '*',
    () => '?',
    () => 'qwt:v1:*',
    () => `qwt:v1:${model.workspaceSid}:names`,
    () => '\r\n',
    () => '*1\r\n$8\r\nFLUSHALL\r\n',
    () => 'FLUSHALL',
    () => "'; DROP TABLE queues; --",
    () => '../../etc/passwd',
    () => '✓ Ünïcödé 🙂 队列',
    () => '\u0000\u0001\u001f',
    () => '\ud800',
    () => 'x'.repeat(257),
    () => 'y'.repeat(4000),
    () => `Queue ${hex(6)}`,
    () => '{"$gt":""}',
    () => 'null',
    () => '[]',
  ])();
}

function badValue(): unknown {
  return pick([() => badString(), () => [badString(), badString()], () => ({ nested: badString() }), () => 12345, () => null, () => true, () => [[]], () => ({})])();
}

interface Built {
  method: string;
  url: string;
  init: RequestInit;
}

/** One request: GET with a query, form POST, or JSON POST, with bad values in the parameters. */
function buildRequest(path: string): Built {
  const params = pick([['queueSid'], ['queueName'], ['queueSid', 'queueName'], ['queueSid', 'channel'], ['queueName', 'channel'], ['waitTime', 'QueueTime'], ['channel'], []]);
  const shape = pick(['get', 'form', 'json'] as const);
  if (shape === 'json') {
    const body: Record<string, unknown> = {};
    for (const name of params) body[name] = badValue();
    return { method: 'POST', url: `${functions.url}/${path}`, init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } };
  }
  const search = new URLSearchParams();
  for (const name of params) {
    search.append(name, badString());
    if (random() < 0.15) search.append(name, badString()); // repeated keys arrive as arrays
  }
  if (shape === 'get') return { method: 'GET', url: `${functions.url}/${path}?${search.toString()}`, init: {} };
  return { method: 'POST', url: `${functions.url}/${path}`, init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: search.toString() } };
}

const TWIML = /^<\?xml version="1\.0" encoding="UTF-8"\?><Response>(<Say>[^<]*<\/Say>)?<Play>[^<]+<\/Play><Redirect method="GET">hold-music\?[^<]*<\/Redirect><\/Response>$/;

async function corpus(path: string, accept: (status: number, contentType: string, body: string) => boolean) {
  const before = await dumpRedis(stack);
  const statuses = { s2: 0, s4: 0, s5: 0 };
  let slowest = 0;
  const rejected: string[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < PER_FUNCTION) {
        sent++;
        const request = buildRequest(path);
        const started = Date.now();
        const response = await fetch(request.url, request.init);
        const body = await response.text();
        slowest = Math.max(slowest, Date.now() - started);
        if (response.status >= 500) statuses.s5++;
        else if (response.status >= 400) statuses.s4++;
        else statuses.s2++;
        if (!accept(response.status, response.headers.get('content-type') ?? '', body) && rejected.length < 5) rejected.push(`${request.method} ${request.url.slice(0, 200)} ${String(request.init.body ?? '').slice(0, 200)} -> ${response.status} ${body.slice(0, 200)}`);
      }
    }),
  );
  const cacheChanged = (await dumpRedis(stack)) !== before;
  record({ kind: 'inputs', target: path, tried: sent, status2xx: statuses.s2, status4xx: statuses.s4, status5xx: statuses.s5, slowest, cacheChanged });
  expect(rejected).toEqual([]);
  expect(statuses.s5).toBe(0);
  expect(slowest).toBeLessThan(3000);
  expect(cacheChanged).toBe(false);
}

/** A documented JSON error: 4xx with { error: { code, message } } and nothing else. */
function isJsonError(status: number, contentType: string, body: string, allowed: number[]): boolean {
  if (!allowed.includes(status) || !contentType.includes('application/json')) return false;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return Object.keys(parsed).length === 1 && typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string' && !/at .+\.js:\d+/.test(body);
  } catch {
    return false;
  }
}

it(`get-queue-times answers ${PER_FUNCTION} bad requests with 400/404 JSON`, async () => {
  await corpus('get-queue-times', (status, type, body) => isJsonError(status, type, body, [400, 404]));
}, 600_000);

it(`lookup-queue-sid answers ${PER_FUNCTION} bad requests with 400/404 JSON`, async () => {
  await corpus('lookup-queue-sid', (status, type, body) => isJsonError(status, type, body, [400, 404]));
}, 600_000);

it(`hold-music answers ${PER_FUNCTION} bad requests with valid TwiML`, async () => {
  await corpus('hold-music', (status, type, body) => status === 200 && type.includes('xml') && TWIML.test(body));
}, 600_000);
