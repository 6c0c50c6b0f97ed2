/**
 * The cache at scale, on real redis-server behind the Upstash-compatible server: writes send what
 * changed, reads are one request of read-only commands, and every safety property holds.
 */
import { liveKeys, LAYOUT_VERSION, STAMP_FIELD } from '../src/cache/layout';
import { readAllEntries, readQueue, readRefreshRecord } from '../src/cache/read';
import { beginRefresh, writeSnapshot } from '../src/cache/write';
import { refreshOnce, type RefreshState } from '../src/refresh';
import { changingWorkspace } from '../dev/workspace-model';
import { describeWithRealRedis, startTestStack, type TestStack } from './helpers';
import { billedCommands, commandsRun, type BilledCommands } from '../dev/redis-engine';

// Refreshes of 5,000 queues run for seconds, and much longer on a loaded machine: a generous bound, not a measure.
jest.setTimeout(300_000);

describeWithRealRedis('the cache at 5,000 queues', () => {
  const model = changingWorkspace({ queueCount: 5000, seed: 21 });
  let stack: TestStack;
  const state: RefreshState = { base: null };
  beforeAll(async () => {
    stack = await startTestStack({ model });
  });
  afterAll(() => stack.stop());
  const sent = () => ({ requests: stack.upstash.stats.requests, bytes: stack.upstash.stats.requestBytes });

  it('writes everything once, then only what changed: 5% changed is under 100 kB', async () => {
    const first = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(first.cache).toMatchObject({ mode: 'full', entriesWritten: 5000 });
    const unchanged = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(unchanged.cache).toMatchObject({ mode: 'diff', entriesWritten: 0, entriesDeleted: 0, requests: 1 });
    expect(unchanged.cache!.bytesSent).toBeLessThan(5_000);

    const changed = model.queues().filter((_, index) => index % 20 === 0).map((queue) => queue.sid);
    model.bump(changed);
    const before = sent();
    const diff = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(diff.cache).toMatchObject({ mode: 'diff', entriesWritten: 250, entriesDeleted: 0, bytesRead: 0 });
    // What the server received: the run number, then one diff request.
    expect(sent().requests - before.requests).toBe(2);
    expect(sent().bytes - before.bytes).toBeLessThan(100_000);
    expect(diff.cache!.bytesSent).toBeLessThan(100_000);
    const lookup = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: changed[3]! });
    expect(lookup.found && lookup.entry.tasksWaiting).toBe((model.realtime(changed[3]!, 'voice')['tasks_by_status'] as { pending: number }).pending);
  });

  it('stores what get-queue-times needs in at most ~230 bytes a queue', async () => {
    const { [STAMP_FIELD]: stamp, ...entries } = await stack.engine.client.hgetall(liveKeys(model.workspaceSid).wait('voice'));
    // The hash also holds the stamp of the refresh that wrote it: "sequence,readAtMs,clockOffsetMs".
    expect(stamp).toMatch(/^\d+,\d{13},-?\d+$/);
    const sizes = Object.values(entries).map((value) => Buffer.byteLength(value));
    expect(sizes).toHaveLength(5000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(230);
  });

  it('a refresher without memory reads its base back once and still sends only the diff', async () => {
    model.bump([model.queues()[7]!.sid]);
    const cold = await refreshOnce(stack.config, { redis: stack.redis });
    expect(cold.cache).toMatchObject({ mode: 'diff', entriesWritten: 1 });
    expect(cold.cache!.bytesRead).toBeGreaterThan(0);
    // The looping refresher's base is now stale (another run wrote): it notices and re-reads.
    model.bump([model.queues()[8]!.sid]);
    const again = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(again.cache).toMatchObject({ mode: 'diff', entriesWritten: 1 });
    expect(again.cache!.bytesRead).toBeGreaterThan(0);
    const stored = await readAllEntries(stack.redis, model.workspaceSid, 'voice');
    expect(stored).toHaveLength(5000);
  });

  // How long a command takes is bench:refresh's to measure (SLOWLOG, "longest single Redis command");
  // what keeps commands short is that none carries more than a chunk of pairs, checked here.
  it('no single Redis command carries more than one chunk of 500 pairs, full write and diff included', async () => {
    const log = (await commandsRun(stack.engine, async () => {
      await refreshOnce(stack.config, { redis: stack.redis, state, forceFull: true });
      model.bump(model.queues().slice(0, 250).map((queue) => queue.sid));
      await refreshOnce(stack.config, { redis: stack.redis, state });
    }))!;
    const writes = log.filter((command) => ['hset', 'hdel'].includes(command.name));
    expect(writes.length).toBeGreaterThan(10);
    // HSET key + 500 field/value pairs.
    expect(Math.max(...writes.map((command) => command.words))).toBeLessThanOrEqual(2 + 500 * 2);
    expect(Math.max(...writes.map((command) => command.words))).toBeGreaterThan(2 + 250 * 2);
  });
});

describeWithRealRedis('what must stay true', () => {
  const model = changingWorkspace({ queueCount: 200, seed: 23 });
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ model });
  });
  afterAll(() => stack.stop());

  it('queues deleted in TaskRouter disappear, their names too', async () => {
    const state: RefreshState = { base: null };
    await refreshOnce(stack.config, { redis: stack.redis, state });
    const gone = model.queues()[11]!;
    model.drop(gone.sid);
    const report = await refreshOnce(stack.config, { redis: stack.redis, state });
    // The queues changed: the state's order moves, so everything is written again.
    expect(report.cache).toMatchObject({ mode: 'full', entriesWritten: model.queues().length });
    expect(await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: gone.sid })).toEqual({ found: false, reason: 'unknown_queue' });
    expect(await readQueue(stack.redis, model.workspaceSid, 'voice', { queueName: gone.friendlyName })).toEqual({ found: false, reason: 'unknown_queue' });
    expect(await stack.engine.client.hexists(liveKeys(model.workspaceSid).names, gone.friendlyName.toLowerCase())).toBe(0);
  });

  it('an older run never overwrites a newer one, diff or full', async () => {
    const olderStart = await beginRefresh(stack.redis, model.workspaceSid, 3600);
    const { snapshot } = await refreshOnce(stack.config, { redis: stack.redis, dryRun: true });
    const newer = await refreshOnce(stack.config, { redis: stack.redis });
    expect(newer.outcome).toBe('written');
    const older = { ...snapshot, record: { ...snapshot.record, sequence: olderStart.sequence } };
    for (const forceFull of [false, true]) {
      const { report } = await writeSnapshot(stack.redis, older, { ttlSeconds: 3600, start: olderStart, base: null, forceFull });
      expect(report.outcome).toBe('superseded');
    }
    expect((await readRefreshRecord(stack.redis, model.workspaceSid))!.sequence).toBe(newer.snapshot.record.sequence);
    expect(await stack.engine.client.keys('*staging*')).toEqual([]);
  });

  it('an unchanged entry stays fresh: its age is the last refresh\'s, on Redis\'s clock', async () => {
    const queue = model.queues()[0]!;
    const state: RefreshState = { base: null };
    // Statistics read 10 minutes ago by a refresher whose clock is 10 minutes fast.
    let readings = 0;
    await refreshOnce(stack.config, { redis: stack.redis, state, now: () => Date.now() + 600_000 - (readings++ === 0 ? 600_000 : 0) });
    const old = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: queue.sid });
    if (!old.found) throw new Error('missing');
    const ageOf = (lookup: typeof old) => lookup.clock.redisNowMs - (lookup.refresh.readAtMs + lookup.refresh.clockOffsetMs);
    expect(ageOf(old)).toBeGreaterThan(590_000);
    const startedAt = Date.now();
    const fresh = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(fresh.cache).toMatchObject({ mode: 'diff', entriesWritten: 0 });
    const now = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: queue.sid });
    if (!now.found) throw new Error('missing');
    // No older than the fresh refresh itself, however long a loaded machine took over it (a few ms of clock rounding aside).
    expect(ageOf(now)).toBeGreaterThanOrEqual(0);
    expect(ageOf(now)).toBeLessThanOrEqual(Date.now() - startedAt + 10);
  });

  it('every key expires when refreshes stop, and each diff pushes the expiry out again', async () => {
    const keys = liveKeys(model.workspaceSid);
    const live = [keys.refresh, keys.names, keys.wait('voice'), keys.inputs('voice')];
    for (const key of live) await stack.engine.client.expire(key, 100);
    await refreshOnce(stack.config, { redis: stack.redis });
    for (const key of live) {
      const ttl = await stack.engine.client.ttl(key);
      expect(ttl).toBeGreaterThan(3000);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
  });

  it('rewrites everything once per SNAPSHOT_TTL_SECONDS, and on a layout change', async () => {
    const keys = liveKeys(model.workspaceSid);
    const state: RefreshState = { base: null };
    expect((await refreshOnce(stack.config, { redis: stack.redis, state })).cache!.mode).toBe('diff');
    await stack.engine.client.hset(keys.refresh, 'fullWriteAtMs', String(Date.now() - 3_601_000));
    expect((await refreshOnce(stack.config, { redis: stack.redis, state })).cache!.mode).toBe('full');
    expect((await refreshOnce(stack.config, { redis: stack.redis, state })).cache!.mode).toBe('diff');
    await stack.engine.client.hset(keys.refresh, 'layout', String(LAYOUT_VERSION - 1));
    expect((await refreshOnce(stack.config, { redis: stack.redis, state })).cache!.mode).toBe('full');
  });

  it('a full write that fails while staging leaves the live data readable and no staging behind', async () => {
    await refreshOnce(stack.config, { redis: stack.redis });
    const before = await readAllEntries(stack.redis, model.workspaceSid, 'voice');
    model.bump(model.queues().map((queue) => queue.sid));
    // The staging requests fail (pipelines of HSETs into staging keys); taking the run number does not.
    stack.upstash.options.fault = ({ path, body }) => (path === '/pipeline' && JSON.stringify(body).includes(':staging:') ? { kind: 'status', status: 502 } : undefined);
    try {
      await expect(refreshOnce(stack.config, { redis: stack.redis, forceFull: true })).rejects.toThrow(/Staging the full write failed/);
    } finally {
      stack.upstash.options.fault = undefined;
    }
    expect(await readAllEntries(stack.redis, model.workspaceSid, 'voice')).toEqual(before);
    expect(await stack.engine.client.keys('*staging*')).toEqual([]);
  });

  it('a damaged cache is repaired by a full write', async () => {
    const state: RefreshState = { base: null };
    await refreshOnce(stack.config, { redis: stack.redis, state });
    const keys = liveKeys(model.workspaceSid);
    // The entries hash is replaced by a string: no diff can apply to it.
    await stack.engine.client.del(keys.wait('voice'));
    await stack.engine.client.set(keys.wait('voice'), 'not a hash');
    model.bump([model.queues()[0]!.sid]);
    const report = await refreshOnce(stack.config, { redis: stack.redis, state });
    expect(report.cache).toMatchObject({ mode: 'full', entriesWritten: model.queues().length });
    expect(await readAllEntries(stack.redis, model.workspaceSid, 'voice')).toHaveLength(model.queues().length);
  });
});

describeWithRealRedis('reads', () => {
  const model = changingWorkspace({ queueCount: 50, seed: 25 });
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ model });
    await refreshOnce(stack.config, { redis: stack.redis });
  });
  afterAll(() => stack.stop());

  it('are one request of read-only commands, by SID and by name: 2 billed commands by SID, 4 by name', async () => {
    const seen: unknown[] = [];
    stack.upstash.options.fault = ({ path, body }) => void seen.push({ path, commands: (body as unknown[][]).map((command) => String(command[0]).toUpperCase()) });
    const queue = model.queues()[4]!;
    let bySid: Awaited<ReturnType<typeof readQueue>> | undefined;
    let byName: Awaited<ReturnType<typeof readQueue>> | undefined;
    let billed: [BilledCommands | null, BilledCommands | null];
    try {
      billed = [
        await billedCommands(stack.engine, async () => (bySid = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: queue.sid }))),
        await billedCommands(stack.engine, async () => (byName = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueName: ` ${queue.friendlyName.toUpperCase()}` }))),
      ];
    } finally {
      stack.upstash.options.fault = undefined;
    }
    expect(bySid!.found && byName!.found && byName!.entry).toEqual(bySid!.found && bySid!.entry);
    expect(seen).toEqual([
      { path: '/pipeline', commands: ['HMGET', 'TIME'] },
      { path: '/pipeline', commands: ['EVAL_RO', 'TIME'] },
    ]);
    // As Upstash bills them: each command of the pipeline, and each command the script runs.
    expect(billed[0]).toEqual({ total: 2, byCommand: { hmget: 1, time: 1 } });
    expect(billed[1]).toEqual({ total: 4, byCommand: { eval_ro: 1, hget: 1, hmget: 1, time: 1 } });
  });

  it('the read script is refused any write by Redis itself (flagged no-writes)', async () => {
    const keys = liveKeys(model.workspaceSid);
    const script = `#!lua flags=no-writes,allow-key-locking\nreturn redis.call('HSET', KEYS[1], 'x', 'y')`;
    await expect(stack.redis.evalRo(script, [keys.refresh], [])).rejects.toThrow(/Write commands are not allowed from read-only scripts/);
  });

  it('tell no snapshot, unknown channel and unknown queue apart', async () => {
    expect(await readQueue(stack.redis, `WS${'0'.repeat(32)}`, 'voice', { queueSid: model.queues()[0]!.sid })).toEqual({ found: false, reason: 'no_snapshot' });
    expect(await readQueue(stack.redis, model.workspaceSid, 'chat', { queueSid: model.queues()[0]!.sid })).toEqual({ found: false, reason: 'unknown_channel' });
    expect(await readQueue(stack.redis, model.workspaceSid, 'voice', { queueName: 'no such queue' })).toEqual({ found: false, reason: 'unknown_queue' });
  });
});
