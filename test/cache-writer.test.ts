/**
 * The cache's writer and readers called directly (src/cache/write.ts and read.ts), on real redis-server
 * behind the Upstash-compatible server, with small made-up snapshots: every key, value and expiry is
 * checked exactly, and a diff must leave what a full write of the same snapshot leaves. No TaskRouter
 * and no estimator, so each test is short and stands alone (its own workspace): this is also the suite
 * `npm run test:mutation:cache` runs against each mutant of those two files.
 */
import type { Redis } from '@upstash/redis';
import { commandsRun, startRedisEngine, type RedisEngine } from '../dev/redis-engine';
import { startUpstashServer, type UpstashServer } from '../dev/upstash-server';
import { decodeInputs, encodeEntry, encodeInputs, type QueueWaitEntry } from '../src/cache/entry';
import { LAYOUT_VERSION, liveKeys, STAMP_FIELD } from '../src/cache/layout';
import { readAllEntries, readQueue, readRefreshRecord, readRefreshStatus } from '../src/cache/read';
import { createRedis } from '../src/cache/redis';
import { CacheError } from '../src/errors';
import { alignBase, basePools, beginRefresh, previousHistories, readBase, sortedSids, writeSnapshot, type RefreshStart, type Snapshot, type WriteBase } from '../src/cache/write';
import { decodeState, encodeState, entryDigest, listDigest, packRecord, RECORD_WIDTH, recordPool } from '../src/cache/state';
import { describeWithRealRedis, observation } from './helpers';
import { cacheState } from './reliability/cache-loss';

const TTL = 3600;
/** A history's start: within a statistics window of the readings, as every uncovered start is (state.ts). */
const STARTED = Math.floor(Date.now() / 1000) - 600;
const TOKEN = 'writer-test-token';

interface Queue {
  sid: string;
  name: string;
  wait: number;
  /** The stored history text, if the queue has one. */
  history?: string;
  /** Channels the queue is on (default: every channel of the snapshot). */
  channels?: string[];
}

const sid = (n: number) => `WQ${String(n).padStart(32, '0')}`;
let workspaces = 0;
/** A workspace of its own for each test: nothing one test writes is seen by another. */
const newWorkspace = () => `WS${String(++workspaces).padStart(8, '0')}${'f'.repeat(24)}`;

function entryOf(queue: Queue, channel: string): QueueWaitEntry {
  return { queueSid: queue.sid, queueName: queue.name, channel, estimatedWaitSeconds: queue.wait, waitRange: { low: Math.floor(queue.wait / 2), high: queue.wait * 2 }, waitShape: 2, confidence: 'high', tasksWaiting: 1, availableWorkers: 0 };
}

function snapshotOf(workspaceSid: string, queues: Queue[], channels = ['voice'], readAtMs = Date.now()): Snapshot {
  const on = (channel: string) => queues.filter((queue) => (queue.channels ?? channels).includes(channel));
  return {
    workspaceSid,
    record: { sequence: 0, readAtMs, refreshedAt: new Date(readAtMs).toISOString(), queueCount: queues.length, channels, estimator: 'default', windowMinutes: 15, durationMs: 12, requests: 3 },
    entries: new Map(channels.map((channel) => [channel, on(channel).map((queue) => entryOf(queue, channel))])),
    inputs: new Map(channels.map((channel) => [channel, new Map(on(channel).map((queue) => [queue.sid, observation({ tasksWaiting: queue.wait })]))])),
    history: new Map(channels.map((channel) => [channel, new Map(on(channel).filter((queue) => queue.history !== undefined).map((queue) => [queue.sid, queue.history!]))])),
  };
}

/** The packed state a write of `queues` on `channel` stores (src/cache/state.ts), for a snapshot without pools. */
function stateOf(sequence: number, queues: Queue[], channel: string, names: [string, string][]): string {
  const sorted = [...queues].sort((x, y) => x.sid.localeCompare(y.sid));
  const records = sorted.map((queue) => packRecord(entryDigest(encodeEntry(entryOf(queue, channel))), queue.history, null)).join('');
  const header = { sequence, sidsDigest: listDigest(sorted.map((queue) => queue.sid)), namesDigest: listDigest(names.map(([name, queueSid]) => `${name}\t${queueSid}`).sort()), count: sorted.length, targetsDigest: '', poolsReadAtMs: 0, poolsResolved: 0 };
  return encodeState(header, records);
}

/** A base as readBase hands it back: the SIDs are not read, only their digest. */
function asReadBack(base: WriteBase | null): WriteBase | null {
  return base && { ...base, channels: new Map([...base.channels].map(([channel, state]) => [channel, { ...state, sids: null }])) };
}

/** Every live key of one workspace: type, value and expiry (staging and the run counter apart). */
async function dump(engine: RedisEngine, workspaceSid: string) {
  return Object.fromEntries((await cacheState({ engine }, workspaceSid)).keys);
}

/** Redis's clock now, ms. */
async function redisClock(engine: RedisEngine): Promise<number> {
  const [seconds, micros] = await engine.client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describeWithRealRedis('the cache writer and readers, called directly', () => {
  let engine: RedisEngine;
  let upstash: UpstashServer;
  let redis: Redis;
  let host: string;
  beforeAll(async () => {
    engine = await startRedisEngine();
    upstash = await startUpstashServer({ engine, token: TOKEN });
    redis = createRedis({ url: upstash.url, token: TOKEN }, { timeoutMs: 10_000, retries: 0 });
    host = new URL(upstash.url).host;
  });
  afterAll(async () => {
    await upstash.close();
    await engine.stop();
  });
  afterEach(() => {
    upstash.options.fault = undefined;
  });

  /** One refresh of `snapshot`: a run number, then the write. */
  async function write(snapshot: Snapshot, base: WriteBase | null, options: { forceFull?: boolean; baseJustRead?: boolean; start?: RefreshStart } = {}) {
    const start = options.start ?? (await beginRefresh(redis, snapshot.workspaceSid, TTL));
    snapshot.record.sequence = start.sequence;
    const result = await writeSnapshot(redis, snapshot, { ttlSeconds: TTL, start, base, ...(options.forceFull ? { forceFull: true } : {}), ...(options.baseJustRead ? { baseJustRead: true } : {}) });
    return { ...result, start, snapshotRecord: snapshot.record };
  }
  /** The request bodies the server receives while `action` runs. */
  async function bodiesDuring(action: () => Promise<unknown>): Promise<{ path: string; body: unknown[] }[]> {
    const seen: { path: string; body: unknown[] }[] = [];
    upstash.options.fault = ({ path, body }) => void seen.push({ path, body: body as unknown[] });
    try {
      await action();
    } finally {
      upstash.options.fault = undefined;
    }
    return seen;
  }
  const noStaging = async () => expect(await engine.client.keys('*:staging:*')).toEqual([]);
  const firstCommand = (body: unknown[]) => String(Array.isArray(body[0]) ? body[0][0] : body[0]).toLowerCase();
  /** The bytes of the requests that write (staging pipelines, scripts), as the server received them. */
  const writtenBytes = (seen: { path: string; body: unknown[] }[]) =>
    seen.filter(({ path, body }) => (path === '/' && firstCommand(body) === 'eval') || ['hset', 'expire'].includes(firstCommand(body))).reduce((sum, { body }) => sum + Buffer.byteLength(JSON.stringify(body)), 0);

  it('numbers runs in order, keeps the counter twice the TTL, and reads both clocks at the run\'s start', async () => {
    const ws = newWorkspace();
    const redisBefore = await redisClock(engine);
    const localBefore = Date.now();
    const first = await beginRefresh(redis, ws, 100);
    const localAfter = Date.now();
    const redisAfter = await redisClock(engine);
    expect(first.sequence).toBe(1);
    expect((await beginRefresh(redis, ws, 100)).sequence).toBe(2);
    const ttl = await engine.client.ttl(liveKeys(ws).sequence);
    expect(ttl).toBeGreaterThan(190);
    expect(ttl).toBeLessThanOrEqual(200);
    expect(first.redisNowMs).toBeGreaterThanOrEqual(redisBefore);
    expect(first.redisNowMs).toBeLessThanOrEqual(redisAfter);
    expect(first.localNowMs).toBeGreaterThanOrEqual(localBefore);
    expect(first.localNowMs).toBeLessThanOrEqual(localAfter);
    upstash.options.fault = () => ({ kind: 'status', status: 502 });
    await expect(beginRefresh(redis, ws, 100)).rejects.toThrow(`Starting the refresh (taking a run number) failed at ${host}: `);
  });

  it('a first write stores every entry, name, history and input exactly, dated by its stamp, expiring with the TTL', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [
      { sid: sid(1), name: 'Sales', wait: 60, history: `2.5,${STARTED},3` },
      { sid: sid(2), name: ' SALES ', wait: 90 },
      { sid: sid(3), name: 'Support', wait: 30, history: `0,${STARTED},`, channels: ['voice'] },
    ];
    const snapshot = snapshotOf(ws, queues, ['voice', 'chat']);
    let written: Awaited<ReturnType<typeof write>>;
    const seen = await bodiesDuring(async () => (written = await write(snapshot, null)));
    const { report, base, start } = written!;
    expect(report.bytesSent).toBe(writtenBytes(seen));
    expect(report).toEqual({ outcome: 'written', mode: 'full', entriesWritten: 5, entriesDeleted: 0, requests: 2, bytesSent: expect.any(Number), bytesRead: expect.any(Number) });
    // No base in memory: the live data was read first (there was none), then staged and committed.
    expect(report.bytesRead).toBeGreaterThan(0);
    expect(report.bytesSent).toBeGreaterThan(1000);
    const keys = liveKeys(ws);
    const offset = start.redisNowMs - start.localNowMs;
    const stamp = `${start.sequence},${snapshot.record.readAtMs},${offset}`;
    const stored = await dump(engine, ws);
    const names: [string, string][] = [['sales', sid(1)], ['support', sid(3)]];
    const entries = (channel: string, list: Queue[]) => Object.fromEntries([...list.map((queue) => [queue.sid, encodeEntry(entryOf(queue, channel))]), [STAMP_FIELD, stamp]]);
    expect(Object.fromEntries(Object.entries(stored).map(([key, { type, value }]) => [key, { type, value }]))).toEqual({
      [keys.names]: { type: 'hash', value: { sales: sid(1), support: sid(3) } },
      [keys.wait('voice')]: { type: 'hash', value: entries('voice', queues) },
      [keys.wait('chat')]: { type: 'hash', value: entries('chat', queues.slice(0, 2)) },
      [keys.state('voice')]: { type: 'string', value: stateOf(start.sequence, queues, 'voice', names) },
      [keys.state('chat')]: { type: 'string', value: stateOf(start.sequence, queues.slice(0, 2), 'chat', names) },
      [keys.queues('voice')]: { type: 'string', value: [sid(1), sid(2), sid(3)].join(',') },
      [keys.queues('chat')]: { type: 'string', value: [sid(1), sid(2)].join(',') },
      [keys.inputs('voice')]: { type: 'hash', value: Object.fromEntries(queues.map((queue) => [queue.sid, encodeInputs(observation({ tasksWaiting: queue.wait }))])) },
      [keys.inputs('chat')]: { type: 'hash', value: Object.fromEntries(queues.slice(0, 2).map((queue) => [queue.sid, encodeInputs(observation({ tasksWaiting: queue.wait }))])) },
      [keys.refresh]: { type: 'hash', value: expect.any(Object) },
    });
    for (const { ttl } of Object.values(stored)) {
      expect(ttl).toBeGreaterThan(TTL - 60);
      expect(ttl).toBeLessThanOrEqual(TTL);
    }
    expect(await readRefreshRecord(redis, ws)).toEqual({ ...snapshot.record, layout: LAYOUT_VERSION, clockOffsetMs: offset, fullWriteAtMs: start.redisNowMs });
    await noStaging();
    const channelBase = (list: Queue[], channel: string) => ({ sids: list.map((queue) => queue.sid), ...decodeState(stateOf(start.sequence, list, channel, names))! });
    expect(base).toEqual({ workspaceSid: ws, sequence: start.sequence, readAtMs: snapshot.record.readAtMs, channels: new Map([['voice', channelBase(queues, 'voice')], ['chat', channelBase(queues.slice(0, 2), 'chat')]]) });
    // The base read back from Redis is the one the write handed back, but for the SIDs (19 bytes a queue come back).
    const read = await readBase(redis, ws, ['voice', 'chat']);
    expect(read.base).toEqual(asReadBack(base));
    expect(read.bytesRead).toBeLessThan(200 + 5 * RECORD_WIDTH + 2 * 160);
    // The histories it holds are the ones written, the fresh start of queue 2 included (none).
    const sids = new Map([['voice', [sid(1), sid(2), sid(3)]], ['chat', [sid(1), sid(2)]]]);
    expect(previousHistories(read.base!, sids)).toEqual(new Map([['voice', new Map([[sid(1), `2.5,${STARTED},3`], [sid(3), `0,${STARTED},`]])], ['chat', new Map([[sid(1), `2.5,${STARTED},3`]])]]));
  });

  /** A workspace's live keys comparable across workspaces and runs: no stamps, run numbers, record or inputs (written by full writes only). */
  async function comparable(workspaceSid: string) {
    return Object.fromEntries(Object.entries(await dump(engine, workspaceSid)).filter(([key]) => !key.endsWith(':refresh') && !key.includes(':inputs:')).map(([key, { type, value }]) => {
      if (typeof value === 'string') return [key.replace(workspaceSid, 'WS'), { type, value: key.includes(':state:') ? value.replace(/^\d+,/, 'N,') : value }];
      const { [STAMP_FIELD]: _stamp, ...rest } = value as Record<string, string>;
      return [key.replace(workspaceSid, 'WS'), { type, value: rest }];
    }));
  }

  it('a diff sends only what changed, pushes every expiry out, and leaves what a full write of the same snapshot leaves', async () => {
    const [a, b] = [newWorkspace(), newWorkspace()];
    const before: Queue[] = [1, 2, 3, 4, 5].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: 10 * n, history: `${n},${STARTED},` }));
    const first = await write(snapshotOf(a, before, ['voice', 'chat']), null);
    const inputsBefore = await engine.client.hgetall(liveKeys(a).inputs('voice'));
    const after: Queue[] = [
      { ...before[0]!, wait: 15 },
      // Its history gone (the estimator kept none this time): no stale history may stay.
      { sid: before[1]!.sid, name: before[1]!.name, wait: before[1]!.wait },
      before[2]!,
      before[3]!,
      { ...before[4]!, history: `7.5,${STARTED},2` },
    ];
    for (const key of Object.keys(await dump(engine, a))) await engine.client.expire(key, 100);
    const readAtMs = Date.now();
    let diff: Awaited<ReturnType<typeof write>>;
    const seen = await bodiesDuring(async () => (diff = await write(snapshotOf(a, after, ['voice', 'chat'], readAtMs), first.base)));
    // Changed entries: queue 1 on both channels; the histories of 2 and 5 changed too, in the state only.
    expect(diff!.report).toEqual({ outcome: 'written', mode: 'diff', entriesWritten: 2, entriesDeleted: 0, requests: 1, bytesSent: expect.any(Number), bytesRead: 0 });
    expect(asReadBack(diff!.base)).toEqual((await readBase(redis, a, ['voice', 'chat'])).base);
    // The run number and clock, then one script: nothing of the unchanged queues travels but their changed records.
    expect(seen.map(({ path, body }) => [path, String(Array.isArray(body[0]) ? body[0][0] : body[0]).toUpperCase()])).toEqual([['/pipeline', 'EVAL'], ['/', 'EVAL']]);
    expect(diff!.report.bytesSent).toBe(writtenBytes(seen));
    for (const n of [2, 3, 4, 5]) expect(JSON.stringify(seen[1]!.body)).not.toContain(sid(n));
    // Nor do the records of queues 3 and 4, which did not change at all.
    for (const queue of [before[2]!, before[3]!]) expect(JSON.stringify(seen[1]!.body)).not.toContain(packRecord(entryDigest(encodeEntry(entryOf(queue, 'voice'))), queue.history, null));
    expect(JSON.stringify(seen[1]!.body)).toContain(sid(1));
    expect(previousHistories((await readBase(redis, a, ['voice'])).base!, new Map([['voice', after.map((queue) => queue.sid)]])).get('voice')).toEqual(new Map([[sid(1), `1,${STARTED},`], [sid(3), `3,${STARTED},`], [sid(4), `4,${STARTED},`], [sid(5), `7.5,${STARTED},2`]]));

    await write(snapshotOf(b, after, ['voice', 'chat'], readAtMs), null);
    const diffed = await dump(engine, a);
    expect(await comparable(a)).toEqual(await comparable(b));
    for (const [key, { ttl }] of Object.entries(diffed)) expect([key, ttl > TTL - 60 && ttl <= TTL]).toEqual([key, true]);
    // The entries and the state are dated by the diff's run; the record is the new run's, its full write the first one's.
    const record = (await readRefreshRecord(redis, a))!;
    expect((diffed[liveKeys(a).wait('chat')]!.value as Record<string, string>)[STAMP_FIELD]).toBe(`${record.sequence},${readAtMs},${record.clockOffsetMs}`);
    expect(decodeState(diffed[liveKeys(a).state('chat')]!.value)!.header.sequence).toBe(record.sequence);
    expect(record).toEqual({ ...diff!.snapshotRecord, layout: LAYOUT_VERSION, clockOffsetMs: diff!.start.redisNowMs - diff!.start.localNowMs, fullWriteAtMs: first.start.redisNowMs });
    expect(record).toMatchObject({ sequence: first.start.sequence + 1, readAtMs, queueCount: 5 });
    // Inputs are written by full writes only: they stay as they were.
    expect(diffed[liveKeys(a).inputs('voice')]!.value).toEqual(inputsBefore);
  });

  it('a queue added, gone or renamed is written the full way, each history carried over by its SID', async () => {
    const before: Queue[] = [1, 2, 3].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: 10 * n, history: `${n},${STARTED},` }));
    const changes: [string, Queue[]][] = [
      ['added', [before[0]!, { sid: sid(0), name: 'New', wait: 5 }, ...before.slice(1)]],
      ['gone', before.slice(1)],
      ['renamed', [{ ...before[0]!, name: 'Renamed' }, ...before.slice(1)]],
    ];
    for (const [change, after] of changes) {
      const [a, b] = [newWorkspace(), newWorkspace()];
      const first = await write(snapshotOf(a, before), null);
      const fresh = (await readBase(redis, a, ['voice'])).base!;
      const sids = new Map([['voice', after.map((queue) => queue.sid).sort()]]);
      // The fresh process reads the state's queues once to carry the histories over.
      expect([change, (await alignBase(redis, fresh, sids)) > 0]).toEqual([change, change !== 'renamed']);
      expect([change, previousHistories(fresh, sids)]).toEqual([change, new Map([['voice', new Map(before.filter((queue) => sids.get('voice')!.includes(queue.sid)).map((queue) => [queue.sid, queue.history!]))]])]);
      const written = await write(snapshotOf(a, after), first.base);
      expect([change, written.report.mode]).toEqual([change, 'full']);
      await write(snapshotOf(b, after), null);
      expect([change, await comparable(a)]).toEqual([change, await comparable(b)]);
    }
  });

  it('after each fault, a fresh process leaves exactly what a full write of the same snapshot leaves', async () => {
    const before: Queue[] = [1, 2, 3, 4].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: 10 * n, history: `${n},${STARTED},` }));
    const after: Queue[] = [{ ...before[0]!, wait: 11 }, before[1]!, { ...before[2]!, history: `9,${STARTED},1` }, before[3]!];
    const keys = (ws: string) => liveKeys(ws);
    const stateOfRun = async (ws: string, edit: (state: string) => string) => engine.client.set(keys(ws).state('voice'), edit((await engine.client.get(keys(ws).state('voice')))!), 'KEEPTTL');
    const faults: [string, (ws: string) => Promise<unknown>, 'diff' | 'full'][] = [
      ['none', async () => undefined, 'diff'],
      ['the entries expired, the state kept', (ws) => engine.client.del(keys(ws).wait('voice')), 'full'],
      ['the state expired, the entries kept', (ws) => engine.client.del(keys(ws).state('voice')), 'full'],
      ['the names expired', (ws) => engine.client.del(keys(ws).names), 'full'],
      ['the record expired', (ws) => engine.client.del(keys(ws).refresh), 'full'],
      ['one entry evicted', (ws) => engine.client.hdel(keys(ws).wait('voice'), sid(2)), 'full'],
      ['the state of another run than the entries', (ws) => stateOfRun(ws, (state) => state.replace(/^\d+,/, '999999,')), 'full'],
      ['a state cut short', (ws) => stateOfRun(ws, (state) => state.slice(0, -1)), 'full'],
      ['a state of the wrong type', async (ws) => {
        await engine.client.del(keys(ws).state('voice'));
        await engine.client.hset(keys(ws).state('voice'), 'x', '1');
      }, 'full'],
      // A record whose digest disagrees with its entry: the entry is sent again.
      ['a record that disagrees with its entry', (ws) => stateOfRun(ws, (state) => { const at = state.indexOf(';') + 1 + RECORD_WIDTH; return state.slice(0, at) + (state[at] === 'A' ? 'B' : 'A') + state.slice(at + 1); }), 'diff'],
      // A full write whose commit never landed, after staging: nothing of it is live.
      ['a full write cut before its commit', async (ws) => {
        upstash.options.fault = ({ path, body }) => (path === '/' && firstCommand(body as unknown[]) === 'eval' ? { kind: 'status', status: 502 } : undefined);
        await expect(write(snapshotOf(ws, after), null, { forceFull: true })).rejects.toThrow('Writing the snapshot failed');
        upstash.options.fault = undefined;
      }, 'diff'],
    ];
    for (const [fault, cause, mode] of faults) {
      const [a, b] = [newWorkspace(), newWorkspace()];
      await write(snapshotOf(a, before), null);
      await cause(a);
      const fresh = await write(snapshotOf(a, after), null);
      expect([fault, fresh.report.mode]).toEqual([fault, mode]);
      await write(snapshotOf(b, after), null, { forceFull: true });
      expect([fault, await comparable(a)]).toEqual([fault, await comparable(b)]);
      await noStaging();
    }
  });

  it('keeps the pools in the state, and hands them to a fresh process while they are fresh and the queues unchanged', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [1, 2, 3, 4].map((n) => ({ sid: sid(n), name: `Q${n}`, wait: 10 * n }));
    const targets = queues.map((queue) => ({ sid: queue.sid }));
    const learnedAtMs = Date.now() - 60_000;
    const pools = { poolOf: new Map([[sid(2), sid(2)], [sid(4), sid(2)]]), resolvedShare: 0.75, readAtMs: learnedAtMs, targetsDigest: 'targets-1' };
    await write({ ...snapshotOf(ws, queues), pools }, null);
    const stored = decodeState(await engine.client.get(liveKeys(ws).state('voice')))!;
    expect(stored.header).toMatchObject({ targetsDigest: 'targets-1', poolsReadAtMs: learnedAtMs, poolsResolved: 0.75 });
    // Records in SID order: queue 2 is record 1, the key of its pool and of queue 4's.
    const poolOfRecord = (index: number) => recordPool(stored.records.slice(index * RECORD_WIDTH, (index + 1) * RECORD_WIDTH));
    expect([0, 1, 2, 3].map(poolOfRecord)).toEqual([null, 1, null, 1]);

    const { base } = await readBase(redis, ws, ['voice']);
    const maxAgeMs = 600_000;
    expect(basePools(base!, targets, 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toEqual(pools);
    expect(basePools(base!, [...targets].reverse(), 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toEqual(pools);
    // Too old, other target_workers, or other queues: learned again.
    expect(basePools(base!, targets, 'targets-1', learnedAtMs + maxAgeMs, maxAgeMs)).toBeNull();
    expect(basePools(base!, targets, 'targets-2', learnedAtMs + 1_000, maxAgeMs)).toBeNull();
    expect(basePools(base!, [...targets, { sid: sid(5) }], 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toBeNull();
    expect(basePools(base!, targets.slice(1), 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toBeNull();
    expect(basePools(base!, [...targets.slice(0, 3), { sid: sid(5) }], 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toBeNull();
    expect(basePools({ ...base!, channels: new Map() }, targets, 'targets-1', learnedAtMs + 1_000, maxAgeMs)).toBeNull();

    // Pools whose key is no queue of the channel, or never read, are not kept.
    // (Queue 9 is on another channel: its pool key is no record here, though queue 2's is.)
    for (const unkept of [{ ...pools, poolOf: new Map([[sid(2), sid(2)], [sid(4), sid(2)], [sid(9), sid(9)]]) }, { ...pools, readAtMs: 0 }]) {
      const other = newWorkspace();
      await write({ ...snapshotOf(other, queues), pools: unkept }, null);
      const state = decodeState(await engine.client.get(liveKeys(other).state('voice')))!;
      expect(state.header).toMatchObject({ targetsDigest: '', poolsReadAtMs: 0, poolsResolved: 0 });
      expect([0, 1, 2, 3].map((index) => recordPool(state.records.slice(index * RECORD_WIDTH, (index + 1) * RECORD_WIDTH)))).toEqual([null, null, null, null]);
      expect(basePools((await readBase(redis, other, ['voice'])).base!, targets, '', learnedAtMs + 1_000, maxAgeMs)).toBeNull();
    }
  });

  it('a fresh process reads the old SID order only when the queues changed, and carries each history over by it', async () => {
    const ws = newWorkspace();
    const before: Queue[] = [1, 2, 3, 4].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: 10 * n, history: `${n},${STARTED},` }));
    // Listed out of SID order: the state is in SID order all the same.
    await write(snapshotOf(ws, [...before].reverse()), null);
    expect(await engine.client.get(liveKeys(ws).state('voice'))).toBe(stateOf((await readRefreshRecord(redis, ws))!.sequence, before, 'voice', before.map((queue) => [queue.name.toLowerCase(), queue.sid])));
    const fresh = async () => (await readBase(redis, ws, ['voice'])).base!;

    // The same queues: nothing more to read.
    const same = new Map([['voice', before.map((queue) => queue.sid)]]);
    const unchanged = await fresh();
    expect(await bodiesDuring(async () => expect(await alignBase(redis, unchanged, same)).toBe(0))).toEqual([]);
    expect(previousHistories(unchanged, same).get('voice')).toEqual(new Map(before.map((queue) => [queue.sid, queue.history!])));

    // Queue 4 gone and 5 added: the old order is read once, and 1–3 keep their histories.
    const now = new Map([['voice', [sid(1), sid(2), sid(3), sid(5)]]]);
    const changed = await fresh();
    expect(previousHistories(changed, now).get('voice')).toEqual(new Map());
    expect(await alignBase(redis, changed, now)).toBeGreaterThan(0);
    expect(changed.channels.get('voice')!.sids).toEqual(before.map((queue) => queue.sid));
    expect(previousHistories(changed, now).get('voice')).toEqual(new Map(before.slice(0, 3).map((queue) => [queue.sid, queue.history!])));

    // An old order that is not the one the state was written in, or none, aligns nothing.
    for (const stored of [[sid(2), sid(1), sid(3), sid(4)].join(','), '']) {
      await engine.client.set(liveKeys(ws).queues('voice'), stored, 'KEEPTTL');
      const base = await fresh();
      await alignBase(redis, base, now);
      expect(base.channels.get('voice')!.sids).toBeNull();
      expect(previousHistories(base, now).get('voice')).toEqual(new Map());
    }
    await engine.client.del(liveKeys(ws).queues('voice'));
    const missing = await fresh();
    await alignBase(redis, missing, now);
    expect(missing.channels.get('voice')!.sids).toBeNull();

    // A state key of another type: no base, and nothing counted as read.
    await engine.client.del(liveKeys(ws).state('voice'));
    await engine.client.hset(liveKeys(ws).state('voice'), 'x', '1');
    expect(await readBase(redis, ws, ['voice'])).toEqual({ base: null, bytesRead: 0 });
  });

  it('orders each channel\'s SIDs as the state does, and stores no history for a channel the snapshot has none for', async () => {
    expect(sortedSids(new Map([['voice', [{ queueSid: sid(3) }, { queueSid: sid(1) }, { queueSid: sid(2) }]], ['chat', []]]))).toEqual(new Map([['voice', [sid(1), sid(2), sid(3)]], ['chat', []]]));
    const ws = newWorkspace();
    const queues: Queue[] = [1, 2].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: n, history: `${n},${STARTED},` }));
    await write({ ...snapshotOf(ws, queues), history: new Map() }, null);
    expect(await engine.client.get(liveKeys(ws).state('voice'))).toBe(stateOf((await readRefreshRecord(redis, ws))!.sequence, queues.map(({ history: _, ...queue }) => queue), 'voice', queues.map((queue) => [queue.name.toLowerCase(), queue.sid])));
  });

  it('writes everything when the channels, or which queues each channel has, changed; a looping refresher reads no old order', async () => {
    const one: Queue = { sid: sid(1), name: 'One', wait: 10, channels: ['voice'] };
    const two: Queue = { sid: sid(2), name: 'Two', wait: 20, channels: ['chat'] };
    const cases: [string, Snapshot, (ws: string) => Snapshot][] = [
      ['a channel dropped', snapshotOf('', [one, { ...two, channels: ['voice', 'chat'] }], ['voice', 'chat']), (ws) => snapshotOf(ws, [one, { ...two, channels: ['voice'] }], ['voice'])],
      ['a channel swapped for another', snapshotOf('', [one, two], ['voice', 'chat']), (ws) => snapshotOf(ws, [one, { ...two, channels: ['sms'] }], ['voice', 'sms'])],
      ['two queues swapped between channels', snapshotOf('', [one, two], ['voice', 'chat']), (ws) => snapshotOf(ws, [{ ...one, channels: ['chat'] }, { ...two, channels: ['voice'] }], ['voice', 'chat'])],
    ];
    for (const [change, first, next] of cases) {
      const ws = newWorkspace();
      const written = await write({ ...first, workspaceSid: ws }, null);
      const again = await write(next(ws), written.base);
      expect([change, again.report.mode]).toEqual([change, 'full']);
    }
    // The in-memory base knows its SIDs: nothing to read even when the queues changed.
    const ws = newWorkspace();
    const written = await write(snapshotOf(ws, [one], ['voice']), null);
    expect(await bodiesDuring(async () => expect(await alignBase(redis, written.base!, new Map([['voice', [sid(1), sid(3)]]]))).toBe(0))).toEqual([]);
  });

  it('names the step when Redis fails reading the old order or running the diff', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [1, 2].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: n }));
    const written = await write(snapshotOf(ws, queues), null);
    const { base } = await readBase(redis, ws, ['voice']);
    upstash.options.fault = () => ({ kind: 'status', status: 502 });
    await expect(alignBase(redis, base!, new Map([['voice', [sid(1)]]]))).rejects.toThrow('Reading the queues of the refresher state failed');
    upstash.options.fault = ({ path, body }) => (path === '/' && firstCommand(body as unknown[]) === 'eval' ? { kind: 'status', status: 502 } : undefined);
    await expect(write(snapshotOf(ws, [{ ...queues[0]!, wait: 99 }, queues[1]!]), written.base)).rejects.toThrow('Writing the snapshot failed');
  });

  it('no command carries more than 500 field/value pairs, in staging and inside the diff script', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = Array.from({ length: 1201 }, (_, index) => ({ sid: sid(index + 1), name: `Queue ${index + 1}`, wait: index, history: `${index},${STARTED},` }));
    const hsetSizes = (bodies: { body: unknown[] }[]) => bodies.flatMap(({ body }) => (body as unknown[][]).filter((command) => String(command[0]).toLowerCase() === 'hset').map((command) => command.length));
    let first: Awaited<ReturnType<typeof write>>;
    const staging = await bodiesDuring(async () => (first = await write(snapshotOf(ws, queues), null, { baseJustRead: true })));
    // Wait: 1,201 entries and the stamp = 500 + 500 + 202 pairs; names and inputs 500 + 500 + 201.
    expect(hsetSizes(staging.filter(({ path }) => path === '/pipeline')).sort((x, y) => x - y)).toEqual([404, 404, 406, ...Array(6).fill(1002)]);
    // Each staged key expires by itself in 10 minutes, should the commit never come: hashes by EXPIRE, strings as set.
    const expires = staging.flatMap(({ body }) => (body as unknown[][]).filter((command) => Array.isArray(command) && (command[0] === 'expire' || command[0] === 'set')));
    expect(expires.map((command) => [String(command[1]).replace(/^.*:staging:[^:]+:/, ''), ...(command[0] === 'set' ? command.slice(3) : [command[2]])]).sort()).toEqual([['inputs:voice', 600], ['names', 600], ['queues:voice', 'ex', 600], ['state:voice', 'ex', 600], ['wait:voice', 600]]);
    // Under 1 MB in all: one staging request, then the commit.
    expect(first!.report).toMatchObject({ mode: 'full', entriesWritten: 1201, bytesRead: 0, requests: 2 });

    let diff: Awaited<ReturnType<typeof write>>;
    const log = (await commandsRun(engine, async () => (diff = await write(snapshotOf(ws, queues.map((queue) => ({ ...queue, wait: queue.wait + 1, history: `${queue.wait + 1},${STARTED},` }))), first!.base))))!;
    expect(diff!.report).toMatchObject({ mode: 'diff', entriesWritten: 1201 });
    const sizes = log.filter((command) => command.name === 'hset' && command.key.startsWith(`qwt:v3:${ws}:`)).map((command) => command.words);
    // Wait entries and their stamp in 500 + 500 + 202 (the record is a short HSET of its own; the histories go in the state's one SET).
    expect(sizes.filter((size) => size > 100).sort((x, y) => x - y)).toEqual([406, 1002, 1002]);
    expect(Object.keys(await engine.client.hgetall(liveKeys(ws).wait('voice')))).toHaveLength(1202);
    expect(previousHistories((await readBase(redis, ws, ['voice'])).base!, new Map([['voice', queues.map((queue) => queue.sid)]])).get('voice')!.get(sid(1201))).toBe(`1201,${STARTED},`);
  });

  it('a full write too large for one request goes in several of at most 1 MB (or one command); one command over 9.5 MB is refused with nothing written', async () => {
    const ws = newWorkspace();
    const long = (n: number, length: number) => `Queue ${n} ${'x'.repeat(length)}`;
    const queues: Queue[] = Array.from({ length: 1000 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 3000), wait: index }));
    const seen = await bodiesDuring(() => write(snapshotOf(ws, queues), null, { baseJustRead: true }));
    const staging = seen.filter(({ path, body }) => path === '/pipeline' && JSON.stringify(body).includes(':staging:'));
    expect(staging.length).toBeGreaterThanOrEqual(2);
    // 1 MB of commands, plus the brackets and commas of the list that carries them; or one longer command alone.
    for (const { body } of staging) expect({ commands: body.length, withinLimit: body.length === 1 || Buffer.byteLength(JSON.stringify(body)) <= 1_000_000 + body.length + 1 }).toEqual({ commands: body.length, withinLimit: true });
    expect(await engine.client.hlen(liveKeys(ws).names)).toBe(1000);
    expect(await engine.client.hlen(liveKeys(ws).wait('voice'))).toBe(1001);

    // A command over 1 MB goes alone, and so does what follows it; no request is ever empty. Here: the
    // names (4.5 MB), their expiry, the first 500 entries (4.5 MB), then the stamp, expiries, inputs and state.
    const wide = newWorkspace();
    const wideQueues: Queue[] = Array.from({ length: 500 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 9000), wait: index }));
    const wideSeen = await bodiesDuring(() => write(snapshotOf(wide, wideQueues), null, { baseJustRead: true }));
    const wideStaging = wideSeen.filter(({ path, body }) => path === '/pipeline' && JSON.stringify(body).includes(':staging:'));
    expect(wideStaging.map(({ body }) => (body as unknown[][]).map((command) => command[0]).join(' '))).toEqual(['hset', 'expire', 'hset', 'hset expire hset expire set set']);
    expect(await engine.client.hlen(liveKeys(wide).names)).toBe(500);

    const huge = newWorkspace();
    const tooLong: Queue[] = Array.from({ length: 500 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 20_000), wait: 1 }));
    await expect(write(snapshotOf(huge, tooLong), null, { baseJustRead: true })).rejects.toThrow(/^Staging the full write: one command is 10\.\d MB$/);
    expect(await dump(engine, huge)).toEqual({});
    await noStaging();
  });

  it('a diff over 1 MB goes the full way instead', async () => {
    const ws = newWorkspace();
    // Long names, then the same names in capitals: the same queues and names (names are kept lower-cased),
    // so a diff could carry them, but every entry changed: 400 of 3 kB.
    const queues: Queue[] = Array.from({ length: 400 }, (_, index) => ({ sid: sid(index + 1), name: `Queue ${index + 1} ${'y'.repeat(3000)}`, wait: index }));
    const first = await write(snapshotOf(ws, queues), null);
    const shouted = queues.map((queue) => ({ ...queue, name: queue.name.toUpperCase() }));
    const second = await write(snapshotOf(ws, shouted), first.base);
    expect(second.report).toMatchObject({ outcome: 'written', mode: 'full', entriesWritten: 400 });
    expect(await engine.client.hget(liveKeys(ws).names, queues[399]!.name.toLowerCase())).toBe(sid(400));
    expect(JSON.parse((await engine.client.hget(liveKeys(ws).wait('voice'), sid(400)))!)).toMatchObject({ queueName: shouted[399]!.name });
  });

  it('a channel no queue serves holds only its stamp and an empty state; a channel added since the base is written the full way', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: `1,${STARTED},` }];
    const snapshot = snapshotOf(ws, queues, ['voice', 'sms']);
    for (const map of [snapshot.entries, snapshot.inputs, snapshot.history]) map.delete('sms');
    const seen = await bodiesDuring(() => write(snapshot, null, { baseJustRead: true }));
    const keys = liveKeys(ws);
    expect(Object.keys(await engine.client.hgetall(keys.wait('sms')))).toEqual([STAMP_FIELD]);
    expect(await engine.client.exists(keys.inputs('sms'), keys.queues('sms'))).toBe(0);
    expect(decodeState(await engine.client.get(keys.state('sms')))).toMatchObject({ header: { count: 0 }, records: '' });
    // Staged keys with nothing in them are neither staged nor given an expiry.
    const expired = seen.flatMap(({ body }) => (body as unknown[][]).filter((command) => Array.isArray(command) && command[0] === 'expire').map((command) => String(command[1]).replace(/^.*:staging:[^:]+:/, '')));
    expect(expired.sort()).toEqual(['inputs:voice', 'names', 'wait:sms', 'wait:voice']);
    expect(await readQueue(redis, ws, 'sms', { queueSid: sid(1) })).toEqual({ found: false, reason: 'unknown_queue' });

    const voiceOnly = newWorkspace();
    const first = await write(snapshotOf(voiceOnly, queues), null);
    const both = await write(snapshotOf(voiceOnly, [...queues, { sid: sid(2), name: 'Two', wait: 20 }], ['voice', 'chat']), first.base);
    expect(both.report).toMatchObject({ outcome: 'written', mode: 'full', entriesWritten: 4, entriesDeleted: 0 });
    const chat = await readQueue(redis, voiceOnly, 'chat', { queueSid: sid(1) });
    expect(chat.found && chat.entry).toEqual(entryOf(queues[0]!, 'chat'));
  });

  it('a run older than the live one changes nothing, diff or full, and leaves no staging', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10 }];
    const older = await beginRefresh(redis, ws, TTL);
    const newer = await write(snapshotOf(ws, queues), null);
    const before = await dump(engine, ws);
    for (const forceFull of [false, true]) {
      const stale = await write(snapshotOf(ws, [{ ...queues[0]!, wait: 99 }]), newer.base, { start: older, forceFull });
      expect(stale.report).toMatchObject({ outcome: 'superseded', mode: forceFull ? 'full' : 'diff', entriesWritten: 0, entriesDeleted: 0 });
      expect(stale.base).toBeNull();
    }
    expect(await dump(engine, ws)).toEqual(before);
    await noStaging();
  });

  it('a base that is stale, or of another workspace, is read back once before the diff', async () => {
    const [ws, other] = [newWorkspace(), newWorkspace()];
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10 }, { sid: sid(2), name: 'Two', wait: 20 }];
    const first = await write(snapshotOf(ws, queues), null);
    // Another refresher writes in between: the first one's base no longer describes the live data.
    await write(snapshotOf(ws, [{ ...queues[0]!, wait: 11 }, queues[1]!]), null);
    const third = await write(snapshotOf(ws, [{ ...queues[0]!, wait: 12 }, queues[1]!]), first.base);
    expect(third.report).toMatchObject({ outcome: 'written', mode: 'diff', entriesWritten: 1, requests: 2 });
    expect(third.report.bytesRead).toBeGreaterThan(0);
    const found = await readQueue(redis, ws, 'voice', { queueSid: sid(1) });
    expect(found.found && found.entry.estimatedWaitSeconds).toBe(12);

    const elsewhere = await write(snapshotOf(other, queues), null);
    const fourth = await write(snapshotOf(ws, [{ ...queues[0]!, wait: 13 }, queues[1]!]), elsewhere.base);
    expect(fourth.report).toMatchObject({ outcome: 'written', mode: 'diff', entriesWritten: 1, requests: 1 });
    expect(fourth.report.bytesRead).toBeGreaterThan(0);
    // A base the caller has just read is used as it is.
    const fifth = await write(snapshotOf(ws, [{ ...queues[0]!, wait: 14 }, queues[1]!]), (await readBase(redis, ws, ['voice'])).base, { baseJustRead: true });
    expect(fifth.report).toMatchObject({ outcome: 'written', mode: 'diff', entriesWritten: 1, requests: 1, bytesRead: 0 });
  });

  it('writes everything again with no record, another layout, or a TTL since the last full write; and when told to', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10 }];
    const keys = liveKeys(ws);
    let last = await write(snapshotOf(ws, queues), null);
    const modeAfter = async (prepare: (start: RefreshStart) => Promise<unknown>) => {
      const start = await beginRefresh(redis, ws, TTL);
      await prepare(start);
      last = await write(snapshotOf(ws, queues), last.base, { start });
      return last.report.mode;
    };
    expect(await modeAfter(async () => undefined)).toBe('diff');
    // Exactly a TTL since the last full write: due; a millisecond less: not yet.
    expect(await modeAfter((start) => engine.client.hset(keys.refresh, 'fullWriteAtMs', String(start.redisNowMs - TTL * 1000 + 1)))).toBe('diff');
    expect(await modeAfter((start) => engine.client.hset(keys.refresh, 'fullWriteAtMs', String(start.redisNowMs - TTL * 1000)))).toBe('full');
    expect(await modeAfter(() => engine.client.hset(keys.refresh, 'layout', String(LAYOUT_VERSION - 1)))).toBe('full');
    expect(await modeAfter(() => engine.client.del(keys.refresh))).toBe('full');
    const forced = await write(snapshotOf(ws, queues), last.base, { forceFull: true });
    expect(forced.report).toMatchObject({ mode: 'full', bytesRead: 0, requests: 2 });
    const justRead = await write(snapshotOf(ws, queues), null, { baseJustRead: true });
    expect(justRead.report).toMatchObject({ mode: 'full', bytesRead: 0 });
  });

  it('a diff against a damaged cache writes everything instead, repairing it', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: `1,${STARTED},` }, { sid: sid(2), name: 'Two', wait: 20 }];
    const first = await write(snapshotOf(ws, queues), null);
    const keys = liveKeys(ws);
    await engine.client.del(keys.wait('voice'));
    await engine.client.set(keys.wait('voice'), 'not a hash');
    const repaired = await write(snapshotOf(ws, [{ ...queues[0]!, wait: 30 }, queues[1]!]), first.base);
    expect(repaired.report).toMatchObject({ outcome: 'written', mode: 'full', entriesWritten: 2 });
    expect(await engine.client.type(keys.wait('voice'))).toBe('hash');
    const read = await readQueue(redis, ws, 'voice', { queueSid: sid(1) });
    expect(read.found && read.entry.estimatedWaitSeconds).toBe(30);
  });

  it('a full write that fails at any step leaves the live data as it was and no staging behind', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10 }, { sid: sid(2), name: 'Two', wait: 20 }];
    await write(snapshotOf(ws, queues), null);
    const before = await dump(engine, ws);
    const changed = snapshotOf(ws, queues.map((queue) => ({ ...queue, wait: queue.wait + 1 })));
    const isCommit = (body: unknown) => Array.isArray(body) && String(body[0]).toLowerCase() === 'eval' && String(body[1]).includes('full write incomplete');

    // Staging fails.
    upstash.options.fault = ({ path, body }) => (path === '/pipeline' && JSON.stringify(body).includes(':staging:') ? { kind: 'status', status: 502 } : undefined);
    await expect(write(changed, null, { forceFull: true })).rejects.toThrow(`Staging the full write failed at ${host}: `);
    // The commit fails.
    upstash.options.fault = ({ body }) => (isCommit(body) ? { kind: 'status', status: 502 } : undefined);
    await expect(write(changed, null, { forceFull: true })).rejects.toThrow(`Writing the snapshot failed at ${host}: `);
    await noStaging();
    // A staged hash lost a field before the commit (an eviction, say): the commit refuses it.
    let stagedTtl = 0;
    upstash.options.fault = async ({ body }) => {
      if (!isCommit(body)) return undefined;
      const staged = (await engine.client.keys(`qwt:v3:${ws}:staging:*:wait:voice`))[0]!;
      stagedTtl = await engine.client.ttl(staged);
      await engine.client.hdel(staged, sid(2));
      return undefined;
    };
    await expect(write(changed, null, { forceFull: true })).rejects.toThrow(/full write incomplete: qwt:v3:\w+:staging:[\w-]+:wait:voice has 2 of 3 fields; live data untouched/);
    expect(stagedTtl).toBeGreaterThan(500);
    expect(stagedTtl).toBeLessThanOrEqual(600);
    await noStaging();
    expect(await dump(engine, ws)).toEqual(before);
  });

  it('gives up after one read-back when other runs keep changing the live data', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10 }];
    const first = await write(snapshotOf(ws, queues), null);
    // Ten runs are taken; before each diff of the last one, an earlier run lands (live ≠ base, yet older).
    for (let i = 0; i < 10; i++) await beginRefresh(redis, ws, TTL);
    let landed = first.start.sequence;
    upstash.options.fault = async ({ path, body }) => {
      if (path === '/' && Array.isArray(body) && String(body[0]).toLowerCase() === 'eval' && String(body[1]).includes('malformed write')) await engine.client.hset(liveKeys(ws).refresh, 'sequence', String(++landed));
      return undefined;
    };
    await expect(write(snapshotOf(ws, [{ ...queues[0]!, wait: 99 }]), first.base)).rejects.toThrow('Writing the snapshot failed: other refreshes kept changing the live data meanwhile');
    // The diff, then once more after reading the base back: two tries.
    expect(landed - first.start.sequence).toBe(2);
    const still = await readQueue(redis, ws, 'voice', { queueSid: sid(1) });
    expect(still.found && still.entry.estimatedWaitSeconds).toBe(10);
  });

  it('reads a base back whole, and again when a write lands between its first and last command', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: `1,${STARTED},` }];
    expect(await readBase(redis, ws, ['voice'])).toEqual({ base: null, bytesRead: expect.any(Number) });
    const first = await write(snapshotOf(ws, queues), null);
    // The last command of the read's first attempt becomes a write of the record's run number.
    let attempts = 0;
    upstash.options.fault = ({ body }) => {
      const commands = body as unknown[][];
      if (attempts++ === 0) commands[commands.length - 1] = ['hincrby', liveKeys(ws).refresh, 'sequence', '1'];
      return undefined;
    };
    const read = await readBase(redis, ws, ['voice']);
    expect(attempts).toBe(2);
    expect(read.base).toEqual({ ...asReadBack(first.base), sequence: first.start.sequence + 1 });
    expect(read.bytesRead).toBeGreaterThan(0);
    attempts = 0;
    upstash.options.fault = ({ body }) => {
      attempts++;
      const commands = body as unknown[][];
      commands[commands.length - 1] = ['hincrby', liveKeys(ws).refresh, 'sequence', '1'];
      return undefined;
    };
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow('Reading the refresher state (diff base) failed: other refreshes kept writing meanwhile');
    expect(attempts).toBe(2);
    // An answer that is not Redis's arrays (a proxy's, say) is refused, not read as an empty cache.
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: { not: 'an array' } }, { result: null }, { result: '5' }] });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(new CacheError('The cache answered the refresh record in an unexpected shape'));
    // A state that is not one leaves its channel out of the base (a full write follows); another layout is no base.
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: ['5', '1', String(LAYOUT_VERSION)] }, { result: 'garbage' }, { result: '5' }] });
    expect((await readBase(redis, ws, ['voice'])).base).toEqual({ workspaceSid: ws, sequence: 5, readAtMs: 1, channels: new Map() });
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: ['5', '1', String(LAYOUT_VERSION - 1)] }, { result: null }, { result: '5' }] });
    expect((await readBase(redis, ws, ['voice'])).base).toBeNull();
    upstash.options.fault = () => ({ kind: 'status', status: 502 });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(`Reading the refresher state (diff base) failed at ${host}: `);
  });

  describe('reads', () => {
    const queues: Queue[] = [{ sid: sid(1), name: 'Sales Line', wait: 75, channels: ['voice'] }, { sid: sid(2), name: 'Chat Desk', wait: 20 }];
    let ws: string;
    let snapshot: Snapshot;
    let written: Awaited<ReturnType<typeof write>>;
    beforeEach(async () => {
      ws = newWorkspace();
      // Statistics read a minute before the write.
      snapshot = snapshotOf(ws, queues, ['voice', 'chat'], Date.now() - 60_000);
      written = await write(snapshot, null);
    });

    it('by SID and by name: the entry, the refresh that dates it, and both clocks at the read', async () => {
      const redisBefore = await redisClock(engine);
      const localBefore = Date.now();
      const bySid = await readQueue(redis, ws, 'voice', { queueSid: sid(1) });
      const localAfter = Date.now();
      const redisAfter = await redisClock(engine);
      if (!bySid.found) throw new Error('not found');
      expect(bySid.entry).toEqual(entryOf(queues[0]!, 'voice'));
      expect(bySid.refresh).toEqual({ sequence: written.start.sequence, readAtMs: snapshot.record.readAtMs, clockOffsetMs: written.start.redisNowMs - written.start.localNowMs });
      expect(bySid.clock.redisNowMs).toBeGreaterThanOrEqual(redisBefore);
      expect(bySid.clock.redisNowMs).toBeLessThanOrEqual(redisAfter);
      expect(bySid.clock.localNowMs).toBeGreaterThanOrEqual(localBefore);
      expect(bySid.clock.localNowMs).toBeLessThanOrEqual(localAfter);
      expect(await readQueue(redis, ws, 'voice', { queueName: '  sales LINE ' })).toEqual({ ...bySid, clock: expect.any(Object) });
    });

    it('tell an unknown queue, a channel not refreshed and no snapshot apart', async () => {
      expect(await readQueue(redis, ws, 'voice', { queueSid: sid(9) })).toEqual({ found: false, reason: 'unknown_queue' });
      expect(await readQueue(redis, ws, 'voice', { queueName: 'nobody' })).toEqual({ found: false, reason: 'unknown_queue' });
      // Named, but not on this channel.
      expect(await readQueue(redis, ws, 'chat', { queueName: 'Sales Line' })).toEqual({ found: false, reason: 'unknown_queue' });
      expect(await readQueue(redis, ws, 'sms', { queueSid: sid(1) })).toEqual({ found: false, reason: 'unknown_channel' });
      expect(await readQueue(redis, ws, 'sms', { queueName: 'Sales Line' })).toEqual({ found: false, reason: 'unknown_channel' });
      await engine.client.del(liveKeys(ws).wait('chat'));
      expect(await readQueue(redis, ws, 'chat', { queueSid: sid(2) })).toEqual({ found: false, reason: 'no_snapshot' });
      await engine.client.del(liveKeys(ws).refresh);
      expect(await readQueue(redis, ws, 'sms', { queueSid: sid(1) })).toEqual({ found: false, reason: 'no_snapshot' });
    });

    it('refuse a malformed stamp, and name the host and step when Redis fails', async () => {
      const entry = await engine.client.hget(liveKeys(ws).wait('voice'), sid(1));
      const stamp = await engine.client.hget(liveKeys(ws).wait('voice'), STAMP_FIELD);
      await engine.client.hset(liveKeys(ws).wait('voice'), STAMP_FIELD, 'not,a,stamp');
      await expect(readQueue(redis, ws, 'voice', { queueSid: sid(1) })).rejects.toThrow('The cache holds a malformed refresh stamp');
      upstash.options.fault = () => ({ kind: 'status', status: 502 });
      await expect(readQueue(redis, ws, 'voice', { queueSid: sid(1) })).rejects.toThrow(`Reading the queue failed at ${host}: `);
      await expect(readQueue(redis, ws, 'voice', { queueName: 'Sales Line' })).rejects.toThrow(`Reading the queue failed at ${host}: `);
      await expect(readRefreshRecord(redis, ws)).rejects.toThrow(`Reading the refresh record failed at ${host}: `);
      await expect(readRefreshStatus(redis, ws)).rejects.toThrow(`Reading the refresh record failed at ${host}: `);
      await expect(readAllEntries(redis, ws, 'voice')).rejects.toThrow(`Reading the snapshot failed at ${host}: `);
      // Answers that are not Redis's arrays.
      upstash.options.fault = ({ path }) => ({ kind: 'answer', body: path === '/' ? { result: 'text' } : [{ result: 'text' }, { result: ['1796000000', '0'] }] });
      await expect(readQueue(redis, ws, 'voice', { queueSid: sid(1) })).rejects.toThrow(`Reading the queue failed at ${host}: The cache answered a queue read in an unexpected shape`);
      await expect(readQueue(redis, ws, 'voice', { queueName: 'Sales Line' })).rejects.toThrow(`Reading the queue failed at ${host}: The cache answered a queue read in an unexpected shape`);
      await expect(readRefreshRecord(redis, ws)).rejects.toThrow(`Reading the refresh record failed at ${host}: The cache answered the refresh record in an unexpected shape`);
      await expect(readRefreshStatus(redis, ws)).rejects.toThrow(new CacheError('The cache answered the refresh record in an unexpected shape'));
      await expect(readAllEntries(redis, ws, 'voice')).rejects.toThrow(new CacheError('The cache answered the entries in an unexpected shape'));
      for (const time of ['soon', ['x', 'y']]) {
        upstash.options.fault = () => ({ kind: 'answer', body: [{ result: [entry, stamp] }, { result: time }] });
        await expect(readQueue(redis, ws, 'voice', { queueSid: sid(1) })).rejects.toThrow(new CacheError('The cache answered its clock (TIME) in an unexpected shape'));
        await expect(readRefreshStatus(redis, ws)).rejects.toThrow(new CacheError('The cache answered its clock (TIME) in an unexpected shape'));
      }
      upstash.options.fault = () => ({ kind: 'answer', body: [{ result: [] }, { result: 'text' }] });
      await expect(readAllEntries(redis, ws, 'voice')).rejects.toThrow(new CacheError('The cache answered the inputs in an unexpected shape'));
      // Only the second request of a read without a stamp fails.
      upstash.options.fault = ({ path }) => (path === '/' ? { kind: 'status', status: 502 } : undefined);
      await expect(readQueue(redis, ws, 'sms', { queueSid: sid(1) })).rejects.toThrow(`Reading the refresh record failed at ${host}: `);
    });

    it('the record with its age on Redis\'s clock, and every entry of a channel with its inputs', async () => {
      const record = await readRefreshRecord(redis, ws);
      expect(record).toEqual({ ...snapshot.record, layout: LAYOUT_VERSION, clockOffsetMs: written.start.redisNowMs - written.start.localNowMs, fullWriteAtMs: written.start.redisNowMs });
      const status = await readRefreshStatus(redis, ws);
      // A minute old at the write, and older by the time since (both clocks move alike; 10 ms for rounding).
      expect(status!.record).toEqual(record);
      expect(status!.ageMs).toBeGreaterThanOrEqual(60_000 - 10);
      expect(status!.ageMs).toBeLessThanOrEqual(Date.now() - record!.readAtMs + 10);

      // Inputs are written by full writes only: an entry a diff changed keeps the inputs of the last full write.
      await write(snapshotOf(ws, [{ ...queues[0]!, wait: 80 }, queues[1]!], ['voice', 'chat']), written.base);
      const all = (await readAllEntries(redis, ws, 'voice')).sort((x, y) => x.queueSid.localeCompare(y.queueSid));
      expect(all).toEqual([
        { ...entryOf({ ...queues[0]!, wait: 80 }, 'voice'), inputs: observation({ tasksWaiting: 75 }) },
        { ...entryOf(queues[1]!, 'voice'), inputs: observation({ tasksWaiting: 20 }) },
      ]);
      expect(decodeInputs(JSON.stringify(observation({ tasksWaiting: 3 })))).toEqual(observation({ tasksWaiting: 3 }));
      expect(decodeInputs('[1,2]')).toBeNull();
      await engine.client.del(liveKeys(ws).refresh);
      expect(await readRefreshRecord(redis, ws)).toBeNull();
      expect(await readRefreshStatus(redis, ws)).toBeNull();
    });
  });
});
