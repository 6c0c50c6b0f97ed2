/**
 * Fault matrix for the refresher: TaskRouter and Upstash misbehave; each case ends in a complete
 * snapshot, or in the previous snapshot intact and an error that names the fault.
 */
import { liveKeys } from '../../src/cache/layout';
import { readAllEntries, readRefreshRecord } from '../../src/cache/read';
import { refreshOnce } from '../../src/refresh';
import { loadRefresherConfig } from '../../src/config';
import { createRedis } from '../../src/cache/redis';
import { staticWorkspace, type WorkspaceModel } from '../../dev/workspace-model';
import type { Fault, RequestInfo } from '../../dev/taskrouter-double';
import type { UpstashFault } from '../../dev/upstash-server';
import { dumpRedis, startTestStack, type TestStack } from '../helpers';
import { record } from './report';
import { cacheState, lostData } from './cache-loss';

const QUEUES = 2500; // three pages of statistics and three of names
const base = staticWorkspace({ queueCount: QUEUES, seed: 17 });
let vanished: string | undefined;
const model: WorkspaceModel = { ...base, queues: () => base.queues().filter((queue) => queue.sid !== vanished) };
let trFault: ((request: RequestInfo) => Fault | undefined) | undefined;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ model, double: { fault: (request) => trFault?.(request) } }, { REFRESH_TIMEOUT_SECONDS: '20', TASKROUTER_REQUEST_TIMEOUT_MS: '1000' });
  await refreshOnce(stack.config, { redis: stack.redis });
});
afterAll(() => stack.stop());
beforeEach(() => {
  trFault = undefined;
  vanished = undefined;
  stack.upstash.options.fault = undefined;
});

/** Faults on the n-th matching request(s) only. */
function on(match: (request: RequestInfo) => boolean, faults: Fault[]): (request: RequestInfo) => Fault | undefined {
  return (request) => (match(request) ? faults.shift() : undefined);
}
const isStatsPage = (page: number) => (request: RequestInfo) => request.path.endsWith('/TaskQueues/Statistics') && Number(request.query.get('Page') ?? 0) === page;

/** Runs a refresh expected to complete, and checks that the snapshot holds every queue. */
async function expectComplete(area: string, fault: string, expectedQueues = QUEUES) {
  let survived = false;
  let detail = '';
  const before = await cacheState(stack);
  let lost: string[] = [];
  try {
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    lost = lostData(before, await cacheState(stack));
    const stored = await readAllEntries(stack.redis, model.workspaceSid, 'voice');
    const live = await readRefreshRecord(stack.redis, model.workspaceSid);
    survived = report.outcome === 'written' && stored.length === expectedQueues && live?.sequence === report.snapshot.record.sequence && live.queueCount === expectedQueues;
    detail = `complete snapshot after ${report.retries} retries (${report.requests} requests)`;
  } catch (error) {
    detail = `failed: ${(error as Error).message}`;
  }
  record({ kind: 'fault', area, fault, survived, dataLost: lost.length > 0, detail: `${detail}${lost.length > 0 ? `; LOST: ${lost.slice(0, 3).join(', ')}` : ''}` });
  expect(lost).toEqual([]);
  expect(detail).toMatch(/^complete snapshot/);
  expect(survived).toBe(true);
}

/** Runs a refresh expected to fail, and checks that the error names the fault and nothing changed. */
async function expectKept(area: string, fault: string, message: RegExp, options: { config?: TestStack['config']; redis?: TestStack['redis'] } = {}) {
  const before = await dumpRedis(stack);
  const stateBefore = await cacheState(stack);
  let error: Error | undefined;
  const started = Date.now();
  try {
    await refreshOnce(options.config ?? stack.config, { redis: options.redis ?? stack.redis });
  } catch (caught) {
    error = caught as Error;
  }
  const after = await dumpRedis(stack);
  const lost = lostData(stateBefore, await cacheState(stack));
  const dataLost = lost.length > 0 || before !== after;
  const survived = error !== undefined && message.test(error.message) && !dataLost;
  record({ kind: 'fault', area, fault, survived, dataLost, detail: error ? `failed in ${Date.now() - started} ms: ${error.message}; previous snapshot ${dataLost ? 'CHANGED' : 'intact'}` : 'did not fail' });
  expect(error?.message).toMatch(message);
  expect(after).toBe(before);
}

describe('TaskRouter faults', () => {
  it('429 storm with Retry-After', async () => {
    trFault = on(() => true, Array.from({ length: 4 }, () => ({ kind: 'status', status: 429, retryAfterSeconds: 0 }) as Fault));
    await expectComplete('TaskRouter', '429 storm with Retry-After');
  });

  it('429 storm without Retry-After', async () => {
    trFault = on(() => true, Array.from({ length: 4 }, () => ({ kind: 'status', status: 429 }) as Fault));
    await expectComplete('TaskRouter', '429 storm without Retry-After');
  });

  it('429 that never stops', async () => {
    trFault = () => ({ kind: 'status', status: 429, retryAfterSeconds: 0 });
    await expectKept('TaskRouter', '429 that never stops', /HTTP 429/);
  });

  it('500 and 503 that pass', async () => {
    trFault = on(() => true, [{ kind: 'status', status: 500 }, { kind: 'status', status: 503 }]);
    await expectComplete('TaskRouter', '500 and 503 that pass');
  });

  it('a page that fails for good after earlier pages succeeded', async () => {
    trFault = (request) => (isStatsPage(2)(request) ? { kind: 'status', status: 503 } : undefined);
    await expectKept('TaskRouter', 'third statistics page fails for good', /HTTP 503 .*Statistics/);
  });

  it('a request that hangs once (request timeout, then retry)', async () => {
    trFault = on(isStatsPage(1), [{ kind: 'hang' }]);
    await expectComplete('TaskRouter', 'page hangs once');
  });

  it('a page that always hangs (bounded by the timeouts)', async () => {
    trFault = (request) => (isStatsPage(1)(request) ? { kind: 'hang' } : undefined);
    await expectKept('TaskRouter', 'page always hangs', /unreachable|ran out of time/, { config: { ...stack.config, refreshTimeoutSeconds: 5 } });
  }, 30_000);

  it('connection resets', async () => {
    trFault = on(() => true, [{ kind: 'reset' }, { kind: 'reset' }]);
    await expectComplete('TaskRouter', 'connection resets');
  });

  it('malformed JSON once, and always', async () => {
    trFault = on(isStatsPage(1), [{ kind: 'garbled' }]);
    await expectComplete('TaskRouter', 'malformed JSON once');
    trFault = (request) => (isStatsPage(1)(request) ? { kind: 'garbled' } : undefined);
    await expectKept('TaskRouter', 'malformed JSON always', /not JSON/);
  });

  it('a queue that vanishes between the list and the statistics', async () => {
    // Lists page in SID order: this queue is on the last page, deleted once the second statistics page is asked for.
    const gone = base.queues().map((queue) => queue.sid).sort()[2400]!;
    trFault = (request) => {
      if (isStatsPage(1)(request)) vanished = gone;
      return undefined;
    };
    await expectComplete('TaskRouter', 'queue deleted between list and statistics', QUEUES - 1);
    const stored = await readAllEntries(stack.redis, model.workspaceSid, 'voice');
    expect(stored.some((entry) => entry.queueSid === gone)).toBe(false);
  });
});

describe('Upstash faults while writing', () => {
  /** Faults only the write (the diff or the full write's commit: an EVAL), not the run number taken before the read. */
  const setFault = (fault: UpstashFault | undefined) => {
    stack.upstash.options.fault = ({ path, body }) => (path === '/' && Array.isArray(body) && String(body[0]).toLowerCase() === 'eval' ? fault : undefined);
  };

  it('Upstash down', async () => {
    const config = loadRefresherConfig({ ...stack.env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' });
    await expectKept('Upstash (refresher)', 'down', /taking a run number\) failed/, { config, redis: createRedis(config.cache, { timeoutMs: 2000, retries: 0 }) });
  });

  it('wrong token (401)', async () => {
    const config = loadRefresherConfig({ ...stack.env, UPSTASH_REDIS_REST_TOKEN: 'wrong-token' });
    await expectKept('Upstash (refresher)', '401 wrong token', /Unauthorized/, { config, redis: createRedis(config.cache, { timeoutMs: 2000, retries: 0 }) });
  });

  it('5xx on the write', async () => {
    setFault({ kind: 'status', status: 502 });
    await expectKept('Upstash (refresher)', '502 on the write', /injected fault: HTTP 502/);
  });

  it('connection lost before the write ran', async () => {
    setFault({ kind: 'reset-before' });
    await expectKept('Upstash (refresher)', 'connection lost before the write', /Writing the snapshot failed/);
  });

  it('connection lost after the write ran: the new snapshot is whole', async () => {
    setFault({ kind: 'reset-after' });
    const before = await readRefreshRecord(stack.redis, model.workspaceSid);
    const stateBefore = await cacheState(stack);
    let error: Error | undefined;
    try {
      await refreshOnce(stack.config, { redis: stack.redis, forceFull: true });
    } catch (caught) {
      error = caught as Error;
    }
    const after = await readRefreshRecord(stack.redis, model.workspaceSid);
    const stored = await readAllEntries(stack.redis, model.workspaceSid, 'voice');
    const whole = stored.length === QUEUES && after!.queueCount === QUEUES && after!.sequence > before!.sequence;
    const lost = lostData(stateBefore, await cacheState(stack));
    expect(lost).toEqual([]);
    record({ kind: 'fault', area: 'Upstash (refresher)', fault: 'connection lost after the write', survived: error !== undefined && whole, dataLost: lost.length > 0 || !whole, detail: `reported "${error?.message}"; the new snapshot is ${whole ? 'whole' : 'NOT whole'}` });
    expect(error).toBeDefined();
    expect(whole).toBe(true);
  });

  it('a full write cut off while staging leaves the live data and no staging keys', async () => {
    const before = await dumpRedis(stack);
    const stateBefore = await cacheState(stack);
    stack.upstash.options.fault = ({ path, body }) => (path === '/pipeline' && JSON.stringify(body).includes(':staging:') ? { kind: 'reset-before' } : undefined);
    let error: Error | undefined;
    try {
      await refreshOnce(stack.config, { redis: stack.redis, forceFull: true });
    } catch (caught) {
      error = caught as Error;
    }
    const after = await dumpRedis(stack);
    const lost = lostData(stateBefore, await cacheState(stack));
    expect(lost).toEqual([]);
    record({ kind: 'fault', area: 'Upstash (refresher)', fault: 'full write cut off while staging', survived: error !== undefined && before === after, dataLost: lost.length > 0 || before !== after, detail: `${error?.message}` });
    expect(error?.message).toMatch(/Staging the full write failed/);
    expect(after).toBe(before);
    expect(after).not.toMatch(/staging/);
  });

  it('keys carry the workspace and expire', async () => {
    const keys = (await stack.engine.client.keys('*')).filter((key) => key.includes(model.workspaceSid));
    const live = liveKeys(model.workspaceSid);
    expect(keys.sort()).toEqual([live.refresh, live.names, live.wait('voice'), live.state('voice'), live.queues('voice'), live.inputs('voice'), live.sequence].sort());
    for (const key of keys) expect(await stack.engine.client.ttl(key)).toBeGreaterThan(0);
  });
});
