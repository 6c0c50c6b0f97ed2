/** The refresher against the TaskRouter double and the Upstash-compatible server on real Redis. */
import { liveKeys } from '../src/cache/layout';
import { decodeState, RECORD_WIDTH, recordHistory } from '../src/cache/state';
import { readQueue, readRefreshRecord } from '../src/cache/read';
import { refreshOnce } from '../src/refresh';
import { TaskRouterError } from '../src/errors';
import { changingWorkspace, staticWorkspace, type WorkspaceModel } from '../dev/workspace-model';
import type { Fault, RequestInfo } from '../dev/taskrouter-double';
import { describeWithRealRedis, dumpRedis, startTestStack, type TestStack } from './helpers';
import { billedCommands } from '../dev/redis-engine';
import { Simulation } from '../dev/simulation/engine';
import { loadScenario } from '../dev/simulation/scenario';

describeWithRealRedis('refresh at scale', () => {
  let stack: TestStack;
  const model = staticWorkspace({ queueCount: 5000, seed: 5 });
  beforeAll(async () => {
    stack = await startTestStack({ model });
  });
  afterAll(() => stack.stop());

  it('reads 5,000 queues in 12 requests (the Workspace, 5 list pages, 5 statistics pages, the Workers list) and writes them all the first time', async () => {
    const before = stack.upstash.stats.requests;
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report).toMatchObject({ outcome: 'written', queues: 5000, requests: 12, retries: 0, skippedQueues: 0, pooledQueues: 0, poolsResolved: 1, cache: { mode: 'full', entriesWritten: 5000 } });
    expect(stack.taskrouter.stats.byEndpoint).toEqual({ workspace: 1, queues: 5, statistics: 5, workers: 1 });
    // The run number, the staged chunks, the commit.
    expect(stack.upstash.stats.requests - before).toBe(2 + report.cache!.requests);
    expect(report.cache!.requests).toBeGreaterThanOrEqual(2);
    const record = await readRefreshRecord(stack.redis, model.workspaceSid);
    expect(record).toMatchObject({ queueCount: 5000, channels: ['voice'], requests: 12, estimator: 'default', windowMinutes: 15 });
  });

  it('stores each queue with its estimate and range, dated by the refresh record', async () => {
    const queue = model.queues()[42]!;
    const lookup = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: queue.sid });
    if (!lookup.found) throw new Error('queue missing');
    const entry = lookup.entry;
    expect(entry).toMatchObject({ queueSid: queue.sid, queueName: queue.friendlyName, channel: 'voice' });
    expect(entry.tasksWaiting).toBe((model.realtime(queue.sid, 'voice')['tasks_by_status'] as { pending: number }).pending);
    expect(lookup.refresh.readAtMs).toBeGreaterThan(Date.now() - 60_000);
    const byName = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueName: `  ${queue.friendlyName.toUpperCase()} ` });
    expect(byName.found && byName.entry).toEqual(entry);
    // Beside the estimate, what an aged reading moves towards: the window's mean wait, two significant figures.
    const stats = model.cumulative(queue.sid, { startMs: model.now() - 15 * 60_000, endMs: model.now(), taskChannel: 'voice', splitByWaitTime: undefined });
    const mean = (stats['wait_duration_in_queue_until_accepted'] as { avg: number }).avg;
    expect(entry.estimatedWaitSeconds).not.toBeNull();
    expect(entry.windowWaitSeconds).toBe(Math.round(Number(mean.toPrecision(2))));
  });

  it('keeps each queue\'s history in Redis, packed, so a fresh process (a cron job) goes on from it like a looping one', async () => {
    const keys = liveKeys(model.workspaceSid);
    const stored = await stack.engine.client.get(keys.state('voice'));
    const state = decodeState(stored);
    expect(state?.header.count).toBe(5000);
    // Every queue of this busy workspace has a history, and the fresh process reads back 19 bytes a queue.
    const sids = (await stack.engine.client.get(keys.queues('voice')))!.split(',');
    expect(sids).toEqual([...sids].sort());
    for (let index = 0; index < 5000; index++) expect(recordHistory(state!.records.slice(index * RECORD_WIDTH, (index + 1) * RECORD_WIDTH), Math.floor(Date.now() / 1000))).toMatch(/^\d+(\.\d+)?,(0|\d{10}),(\d+(\.\d+)?)?$/);
    // Two more runs: one process that keeps its state, and a fresh one that has only Redis.
    const looping = { base: null };
    await refreshOnce(stack.config, { redis: stack.redis, state: looping });
    const inMemory = await refreshOnce(stack.config, { redis: stack.redis, state: looping, dryRun: true });
    let fresh!: Awaited<ReturnType<typeof refreshOnce>>;
    const billed = await billedCommands(stack.engine, async () => (fresh = await refreshOnce(stack.config, { redis: stack.redis })));
    // Within Upstash's budget for a refresh: 25 billed commands, these included (issue 25).
    expect(billed?.total).toBeLessThanOrEqual(25);
    const after = decodeState(await stack.engine.client.get(keys.state('voice')));
    // The fresh process read the histories back and went on from them: the records did not change.
    expect(after?.records).toEqual(state!.records);
    // The same readings give the same estimates whether the history came from memory or from Redis.
    const entries = (report: typeof fresh) => report.snapshot.entries.get('voice')!.map((entry) => [entry.queueSid, entry.estimatedWaitSeconds]);
    expect(entries(fresh)).toEqual(entries(inMemory));
    // A static workspace's histories stop changing: the diff sends no entry; it read back the state, not the entries.
    expect(fresh.cache).toMatchObject({ mode: 'diff', entriesWritten: 0 });
    expect(fresh.cache!.bytesRead).toBeLessThan(5000 * RECORD_WIDTH + 1000);
    // The pools came from the state: no Workers list read.
    expect(fresh.poolsReused).toBe(true);
    expect(fresh.requests).toBe(inMemory.requests);
  });

  it('sets expiries so a stopped refresher leaves nothing behind for ever', async () => {
    const keys = liveKeys(model.workspaceSid);
    for (const key of [keys.refresh, keys.names, keys.wait('voice'), keys.state('voice'), keys.queues('voice'), keys.inputs('voice')]) {
      const ttl = await stack.engine.client.ttl(key);
      expect(ttl).toBeGreaterThan(3000);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
  });
});

describe('refresh correctness and failures', () => {
  let stack: TestStack;
  const model = changingWorkspace({ queueCount: 30, seed: 9 });
  let fault: ((request: RequestInfo) => Fault | undefined) | undefined;
  beforeAll(async () => {
    stack = await startTestStack({ model, double: { fault: (request) => fault?.(request) } }, { REFRESH_TIMEOUT_SECONDS: '20' });
  });
  afterAll(() => stack.stop());
  beforeEach(() => {
    fault = undefined;
  });

  it('stores a queue with no statistics as unknown, never as zero', async () => {
    const blank: WorkspaceModel = { ...staticWorkspace({ queueCount: 1, seed: 77 }), realtime: () => ({}), cumulative: () => ({ tasks_entered: null }) };
    const local = await startTestStack({ model: blank });
    try {
      await refreshOnce(local.config, { redis: local.redis });
      const lookup = await readQueue(local.redis, blank.workspaceSid, 'voice', { queueSid: blank.queues()[0]!.sid });
      expect(lookup.found && lookup.entry).toMatchObject({ estimatedWaitSeconds: null, confidence: 'none', reason: 'missing_statistics' });
    } finally {
      await local.stop();
    }
  });

  it('retries 429 (with and without Retry-After), 503, resets and garbled pages, then completes', async () => {
    const plan: Fault[] = [{ kind: 'status', status: 429, retryAfterSeconds: 0 }, { kind: 'status', status: 429 }, { kind: 'status', status: 503 }, { kind: 'reset' }, { kind: 'garbled' }];
    fault = () => plan.shift();
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report.outcome).toBe('written');
    expect(report.retries).toBe(5);
    expect(report.requests).toBe(4 + 5);
    expect(report.queues).toBe(30);
  });

  it('keeps the previous snapshot, byte for byte, when a read fails for good', async () => {
    await refreshOnce(stack.config, { redis: stack.redis });
    const before = await dumpRedis(stack);
    fault = (request) => (request.path.endsWith('/Statistics') ? { kind: 'status', status: 500 } : undefined);
    await expect(refreshOnce(stack.config, { redis: stack.redis })).rejects.toThrow(/HTTP 500/);
    expect(await dumpRedis(stack)).toBe(before);
  });

  it('a Workspace read that fails for good fails the refresh naming it (the statistics wait on it), nothing written', async () => {
    await refreshOnce(stack.config, { redis: stack.redis });
    const before = await dumpRedis(stack);
    fault = (request) => (request.path.endsWith(`/Workspaces/${model.workspaceSid}`) ? { kind: 'status', status: 500 } : undefined);
    await expect(refreshOnce(stack.config, { redis: stack.redis })).rejects.toThrow(new RegExp(`^TaskRouter answered HTTP 500 for /v1/Workspaces/${model.workspaceSid}$`));
    expect(await dumpRedis(stack)).toBe(before);
  });

  it('does not retry what retrying cannot fix', async () => {
    const badAuth = { ...stack.config, twilio: { ...stack.config.twilio!, password: 'wrong-token' } };
    const started = stack.taskrouter.stats.requests;
    const error = await refreshOnce(badAuth, { redis: stack.redis }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskRouterError);
    expect((error as Error).message).toMatch(/Authenticate/);
    expect((error as Error).message).not.toMatch(/wrong-token/);
    // The Workspace, the TaskQueues and the statistics, once each: the pools the last run learned are
    // fresh, so the Workers list waits for the TaskQueues (and is never read once they fail).
    expect(stack.taskrouter.stats.requests - started).toBe(3);
  });

  it('drops a queue deleted in TaskRouter from the cache', async () => {
    const gone = model.queues()[3]!.sid;
    await refreshOnce(stack.config, { redis: stack.redis });
    expect((await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: gone })).found).toBe(true);
    model.drop(gone);
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report.queues).toBe(29);
    expect(await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: gone })).toEqual({ found: false, reason: 'unknown_queue' });
  });
});

describe('lists that disagree (queues created or deleted during a refresh)', () => {
  const base = staticWorkspace({ queueCount: 12, seed: 44 });
  const target = base.queues()[5]!;
  /** Which list the current request reads; the model hides the target queue from some of them. */
  let hideFrom: (path: string) => boolean = () => false;
  let currentPath = '';
  const model: WorkspaceModel = { ...base, queues: () => base.queues().filter((queue) => queue.sid !== target.sid || !hideFrom(currentPath)) };
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ model, double: { fault: (request) => void (currentPath = request.path) } });
  });
  afterAll(() => stack.stop());

  it('reads a queue created after the names were listed on its own, with its name', async () => {
    hideFrom = (path) => path.endsWith('/TaskQueues');
    const before = stack.taskrouter.stats.requests;
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report.queues).toBe(12);
    expect(stack.taskrouter.stats.requests - before).toBe(5); // the Workspace, three lists and one queue fetch
    const lookup = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: target.sid });
    expect(lookup.found && lookup.entry.queueName).toBe(target.friendlyName);
  });

  it('reads a queue missing from the statistics on its own, and leaves it out when it is gone', async () => {
    hideFrom = (path) => path.endsWith('/Statistics') || path.includes(`/${target.sid}`);
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report).toMatchObject({ queues: 11, skippedQueues: 1, requests: 6 }); // the Workspace, three lists, cumulative and real-time of the gone queue
    expect(await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: target.sid })).toEqual({ found: false, reason: 'unknown_queue' });
  });

  it('reads the statistics of a queue missing only from the statistics list', async () => {
    hideFrom = (path) => path.endsWith('/TaskQueues/Statistics');
    const report = await refreshOnce(stack.config, { redis: stack.redis });
    expect(report).toMatchObject({ queues: 12, skippedQueues: 0, requests: 6 });
    const lookup = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: target.sid });
    expect(lookup.found && lookup.entry.tasksWaiting).toBe((base.realtime(target.sid, 'voice')['tasks_by_status'] as { pending: number }).pending);
  });
});

describe('TaskRouter worker meanings, end to end through the real client', () => {
  /** The after-hours scenario, 10 minutes after every agent logged out, callers still arriving. */
  const afterHours = () => {
    const sim = new Simulation(loadScenario('after-hours'), { startMs: Date.parse('2026-03-02T08:00:00Z') });
    sim.advanceTo(sim.now() + 130 * 60_000);
    return sim;
  };

  it.each([
    ['full statistics', false],
    ['the lean field set of the spec example', true],
  ])('after hours with %s: no_agents, never a number; asks for the one-minute split', async (_name, lean) => {
    const sim = afterHours();
    const stack = await startTestStack({ model: sim, double: { lean } });
    const statisticsQueries: URLSearchParams[] = [];
    stack.taskrouter.options.fault = (request) => void (request.path.endsWith('/TaskQueues/Statistics') && statisticsQueries.push(request.query));
    try {
      const report = await refreshOnce(stack.config, { redis: stack.redis });
      const queue = sim.queues()[0]!;
      const realtime = sim.realtime(queue.sid, 'voice');
      expect(realtime['total_eligible_workers']).toBe(6);
      expect((realtime['tasks_by_status'] as { pending: number }).pending).toBeGreaterThan(0);
      const lookup = await readQueue(stack.redis, sim.workspaceSid, 'voice', { queueSid: queue.sid });
      if (!lookup.found) throw new Error('queue missing');
      expect(lookup.entry).toMatchObject({ estimatedWaitSeconds: null, reason: 'all_agents_logged_out' });
      expect(report.snapshot.inputs.get('voice')!.get(queue.sid)).toMatchObject({ eligibleWorkers: 6, loggedInWorkers: 0 });
      expect(statisticsQueries.map((query) => query.get('SplitByWaitTime'))).toEqual(['60']);
    } finally {
      await stack.stop();
    }
  });

  it('a custom logged-out Activity name is honoured (LOGGED_OUT_ACTIVITIES)', async () => {
    const sim = afterHours();
    // Renamed: this workspace calls its logged-out Activity "Signed Off"; "Offline" means nothing here.
    const stack = await startTestStack({ model: sim }, { LOGGED_OUT_ACTIVITIES: 'Signed Off' });
    try {
      const report = await refreshOnce(stack.config, { redis: stack.redis });
      const lookup = await readQueue(stack.redis, sim.workspaceSid, 'voice', { queueSid: sim.queues()[0]!.sid });
      if (!lookup.found) throw new Error('queue missing');
      expect(report.snapshot.inputs.get('voice')!.get(sim.queues()[0]!.sid)!.loggedInWorkers).toBe(6);
      expect(lookup.entry.reason).not.toBe('all_agents_logged_out');
    } finally {
      await stack.stop();
    }
  });
});
