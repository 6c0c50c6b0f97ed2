/**
 * Property-based bad input (fast-check) through twilio-run: every generated request answered with the
 * documented 4xx JSON error (hold-music: valid TwiML), none slow, no 5xx, the cache unchanged. On a
 * failure fast-check shrinks to the smallest failing request and prints it with the seed to replay.
 */
import fc from 'fast-check';
import { startFunctions, type FunctionsServer } from '../../dev/local-stack';
import { staticWorkspace } from '../../dev/workspace-model';
import { refreshOnce } from '../../src/refresh';
import { dumpRedis, startTestStack, type TestStack } from '../helpers';
import { record } from './report';
import { KEY_PREFIX, STAMP_FIELD } from '../../src/cache/layout';

const RUNS = Number(process.env['BAD_INPUT_RUNS'] ?? 1500);
/** Fixed unless BAD_INPUT_SEED says otherwise; fast-check prints the seed and the shrunk case on failure. */
const SEED = Number(process.env['BAD_INPUT_SEED'] ?? 2026);
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

const hexString = (length: number, upper = false) => fc.stringOf(fc.constantFrom(...(upper ? '0123456789ABCDEF' : '0123456789abcdef')), { minLength: length, maxLength: length });

/** Values no valid request carries: wrong SIDs, key patterns, protocol fragments, unicode, oversize, anything. */
const badString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'WQ', '*', '?', `${KEY_PREFIX}:*`, `${KEY_PREFIX}:${model.workspaceSid}:names`, STAMP_FIELD, '\r\n', '*1\r\n$8\r\nFLUSHALL\r\n', 'FLUSHALL', "'; DROP TABLE queues; --", '../../etc/passwd', '{"$gt":""}', 'null', '[]', '\u0000\u0001\u001f', '\ud800'),
  fc.tuple(fc.constantFrom('WQ', 'wq', 'WS', 'WQ '), fc.integer({ min: 28, max: 36 })).chain(([prefix, length]) => hexString(length).map((hex) => prefix + hex)),
  hexString(32, true).map((hex) => `WQ${hex}`),
  hexString(32).map((hex) => `WQ${hex}`), // well-formed, but no such queue
  fc.string({ maxLength: 40 }),
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.integer({ min: 257, max: 5000 }).map((length) => 'x'.repeat(length)),
);

/** What a JSON body can hold besides strings: arrays, objects, numbers, booleans, null. */
const badValue: fc.Arbitrary<unknown> = fc.oneof(badString, fc.array(badString, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), badString, { maxKeys: 2 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

const names = fc.subarray(['queueSid', 'queueName', 'channel', 'waitTime', 'QueueTime', 'since', 'next', 'key']);

interface Built {
  method: string;
  url: string;
  init: RequestInit;
}

/** One request: GET with a query, form POST (repeated keys arrive as arrays), or JSON POST, with bad values. */
const request = (path: string): fc.Arbitrary<Built> =>
  fc.oneof(
    fc.tuple(names, fc.array(badString, { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean()).map(([keys, values, repeat, post]) => {
      const search = new URLSearchParams();
      keys.forEach((name, index) => {
        search.append(name, values[index]!);
        if (repeat && index === 0) search.append(name, values[7]!);
      });
      return post
        ? { method: 'POST', url: `${functions.url}/${path}`, init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: search.toString() } }
        : { method: 'GET', url: `${functions.url}/${path}?${search.toString()}`, init: {} };
    }),
    fc.tuple(names, fc.array(badValue, { minLength: 8, maxLength: 8 })).map(([keys, values]) => ({
      method: 'POST',
      url: `${functions.url}/${path}`,
      init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Object.fromEntries(keys.map((name, index) => [name, values[index]]))) },
    })),
  );

const TWIML = /^<\?xml version="1\.0" encoding="UTF-8"\?><Response>(<Say>[^<]*<\/Say>)?<Play>[^<]+<\/Play><Redirect method="GET">hold-music\?[^<]*<\/Redirect><\/Response>$/;

/**
 * Property: every generated bad request is answered as documented, quickly, without a 5xx, and leaves
 * the cache as it was. Counts distinct requests (a repeated case counts once).
 */
async function corpus(path: string, accept: (status: number, contentType: string, body: string) => boolean) {
  const before = await dumpRedis(stack);
  const statuses = { s2: 0, s4: 0, s5: 0 };
  const distinct = new Set<string>();
  let slowest = 0;
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(request(path), async (built) => {
      tried++;
      distinct.add(`${built.method} ${built.url} ${String(built.init.body ?? '')}`);
      const started = Date.now();
      const response = await fetch(built.url, built.init);
      const body = await response.text();
      slowest = Math.max(slowest, Date.now() - started);
      if (response.status >= 500) statuses.s5++;
      else if (response.status >= 400) statuses.s4++;
      else statuses.s2++;
      return accept(response.status, response.headers.get('content-type') ?? '', body);
    }),
    { numRuns: RUNS, seed: SEED, verbose: 1 },
  );
  const cacheChanged = (await dumpRedis(stack)) !== before;
  record({ kind: 'inputs', target: path, tried, distinct: distinct.size, status2xx: statuses.s2, status4xx: statuses.s4, status5xx: statuses.s5, slowest, cacheChanged });
  // The generator is not degenerate: most cases differ (fast-check repeats some small ones, e.g. no parameters).
  expect(distinct.size).toBeGreaterThan(RUNS * 0.7);
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

it(`get-queue-times answers ${RUNS} generated bad requests with 400/404 JSON`, async () => {
  await corpus('get-queue-times', (status, type, body) => isJsonError(status, type, body, [400, 404]));
}, 600_000);

it(`lookup-queue-sid answers ${RUNS} generated bad requests with 400/404 JSON`, async () => {
  await corpus('lookup-queue-sid', (status, type, body) => isJsonError(status, type, body, [400, 404]));
}, 600_000);

it(`hold-music answers ${RUNS} generated bad requests with valid TwiML`, async () => {
  await corpus('hold-music', (status, type, body) => status === 200 && type.includes('xml') && TWIML.test(body));
}, 600_000);

it('a body twilio-run cannot parse (malformed JSON) is refused with 400 before any Function runs, without a stack trace', async () => {
  for (const path of ['get-queue-times', 'lookup-queue-sid', 'hold-music']) {
    const response = await fetch(`${functions.url}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"queueName": "Support' });
    const body = await response.text();
    expect([path, response.status]).toEqual([path, 400]);
    expect(body).not.toMatch(/SyntaxError|node_modules|at .+\.js:\d+/);
  }
}, 60_000);
