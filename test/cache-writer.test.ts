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
import { encodeEntry, encodeInputs, type QueueWaitEntry } from '../src/cache/entry';
import { LAYOUT_VERSION, liveKeys, STAMP_FIELD } from '../src/cache/layout';
import { readAllEntries, readQueue, readRefreshRecord, readRefreshStatus } from '../src/cache/read';
import { createRedis } from '../src/cache/redis';
import { CacheError } from '../src/errors';
import { beginRefresh, readBase, writeSnapshot, type RefreshStart, type Snapshot, type WriteBase } from '../src/cache/write';
import { describeWithRealRedis, observation } from './helpers';
import { cacheState } from './reliability/cache-loss';

const TTL = 3600;
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
      { sid: sid(1), name: 'Sales', wait: 60, history: '2.5,1772438400,3' },
      { sid: sid(2), name: ' SALES ', wait: 90 },
      { sid: sid(3), name: 'Support', wait: 30, history: '0,1772438400,', channels: ['voice'] },
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
    const entries = (channel: string, list: Queue[]) => Object.fromEntries([...list.map((queue) => [queue.sid, encodeEntry(entryOf(queue, channel))]), [STAMP_FIELD, stamp]]);
    expect(Object.fromEntries(Object.entries(stored).map(([key, { type, value }]) => [key, { type, value }]))).toEqual({
      [keys.names]: { type: 'hash', value: { sales: sid(1), support: sid(3) } },
      [keys.wait('voice')]: { type: 'hash', value: entries('voice', queues) },
      [keys.wait('chat')]: { type: 'hash', value: entries('chat', queues.slice(0, 2)) },
      [keys.history('voice')]: { type: 'hash', value: { [sid(1)]: '2.5,1772438400,3', [sid(3)]: '0,1772438400,' } },
      [keys.history('chat')]: { type: 'hash', value: { [sid(1)]: '2.5,1772438400,3' } },
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
    expect(base).toEqual({
      workspaceSid: ws,
      sequence: start.sequence,
      readAtMs: snapshot.record.readAtMs,
      names: new Map([['sales', sid(1)], ['support', sid(3)]]),
      wait: new Map([['voice', new Map(queues.map((queue) => [queue.sid, encodeEntry(entryOf(queue, 'voice'))]))], ['chat', new Map(queues.slice(0, 2).map((queue) => [queue.sid, encodeEntry(entryOf(queue, 'chat'))]))]]),
      history: new Map([['voice', new Map([[sid(1), '2.5,1772438400,3'], [sid(3), '0,1772438400,']])], ['chat', new Map([[sid(1), '2.5,1772438400,3']])]]),
    });
    // The base read back from Redis is the one the write handed back.
    expect((await readBase(redis, ws, ['voice', 'chat'])).base).toEqual(base);
  });

  it('a diff sends only what changed, pushes every expiry out, and leaves what a full write of the same snapshot leaves', async () => {
    const [a, b] = [newWorkspace(), newWorkspace()];
    const before: Queue[] = [1, 2, 3, 4, 5].map((n) => ({ sid: sid(n), name: `Queue ${n}`, wait: 10 * n, history: `${n},1772438400,` }));
    const first = await write(snapshotOf(a, before, ['voice', 'chat']), null);
    const inputsBefore = await engine.client.hgetall(liveKeys(a).inputs('voice'));
    const after: Queue[] = [
      { ...before[0]!, wait: 15 },
      // Renamed, and its history gone (the estimator kept none this time): no stale history may stay.
      { sid: before[1]!.sid, name: 'Renamed', wait: before[1]!.wait },
      before[3]!,
      { ...before[4]!, history: '7.5,1772438400,2' },
      { sid: sid(6), name: 'New', wait: 5 },
    ];
    for (const key of Object.keys(await dump(engine, a))) await engine.client.expire(key, 100);
    const readAtMs = Date.now();
    let diff: Awaited<ReturnType<typeof write>>;
    const seen = await bodiesDuring(async () => (diff = await write(snapshotOf(a, after, ['voice', 'chat'], readAtMs), first.base)));
    // Changed: queue 1 (its wait), 2 (its name) and the new 6, on both channels; queue 3 is gone from both.
    expect(diff!.report).toEqual({ outcome: 'written', mode: 'diff', entriesWritten: 6, entriesDeleted: 2, requests: 1, bytesSent: expect.any(Number), bytesRead: 0 });
    expect(diff!.base).toEqual((await readBase(redis, a, ['voice', 'chat'])).base);
    // The run number and clock, then one script: nothing of the unchanged queue 4 travels.
    expect(seen.map(({ path, body }) => [path, String(Array.isArray(body[0]) ? body[0][0] : body[0]).toUpperCase()])).toEqual([['/pipeline', 'EVAL'], ['/', 'EVAL']]);
    expect(diff!.report.bytesSent).toBe(writtenBytes(seen));
    expect(JSON.stringify(seen[1]!.body)).not.toContain(sid(4));
    expect(JSON.stringify(seen[1]!.body)).toContain(sid(5));

    await write(snapshotOf(b, after, ['voice', 'chat'], readAtMs), null);
    const [diffed, full] = [await dump(engine, a), await dump(engine, b)];
    const same = (key: string) => key.replace(a, 'WS').replace(b, 'WS');
    const withoutStamps = (state: typeof diffed) =>
      Object.fromEntries(Object.entries(state).filter(([key]) => !key.endsWith(':refresh') && !key.includes(':inputs:')).map(([key, { type, value }]) => {
        const { [STAMP_FIELD]: _stamp, ...rest } = value as Record<string, string>;
        return [same(key), { type, value: rest }];
      }));
    expect(withoutStamps(diffed)).toEqual(withoutStamps(full));
    for (const [key, { ttl }] of Object.entries(diffed)) expect([key, ttl > TTL - 60 && ttl <= TTL]).toEqual([key, true]);
    // The entries are dated by the diff's run; the record is the new run's, its full write the first one's.
    const record = (await readRefreshRecord(redis, a))!;
    expect((diffed[liveKeys(a).wait('chat')]!.value as Record<string, string>)[STAMP_FIELD]).toBe(`${record.sequence},${readAtMs},${record.clockOffsetMs}`);
    expect(record).toEqual({ ...diff!.snapshotRecord, layout: LAYOUT_VERSION, clockOffsetMs: diff!.start.redisNowMs - diff!.start.localNowMs, fullWriteAtMs: first.start.redisNowMs });
    expect(record).toMatchObject({ sequence: first.start.sequence + 1, readAtMs, queueCount: 5 });
    // Inputs are written by full writes only: the gone queue's are removed, the rest stay as they were.
    const { [sid(3)]: _gone, ...kept } = inputsBefore;
    expect(diffed[liveKeys(a).inputs('voice')]!.value).toEqual(kept);
  });

  it('no command carries more than 500 field/value pairs, in staging and inside the diff script', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = Array.from({ length: 1201 }, (_, index) => ({ sid: sid(index + 1), name: `Queue ${index + 1}`, wait: index, history: `${index},1772438400,` }));
    const hsetSizes = (bodies: { body: unknown[] }[]) => bodies.flatMap(({ body }) => (body as unknown[][]).filter((command) => String(command[0]).toLowerCase() === 'hset').map((command) => command.length));
    let first: Awaited<ReturnType<typeof write>>;
    const staging = await bodiesDuring(async () => (first = await write(snapshotOf(ws, queues), null, { baseJustRead: true })));
    // Wait: 1,201 entries and the stamp = 500 + 500 + 202 pairs; names, history and inputs 500 + 500 + 201.
    expect(hsetSizes(staging.filter(({ path }) => path === '/pipeline')).sort((x, y) => x - y)).toEqual([...Array(3).fill(404), 406, ...Array(8).fill(1002)]);
    // Each staged hash expires by itself in 10 minutes, should the commit never come.
    const expires = staging.flatMap(({ body }) => (body as unknown[][]).filter((command) => Array.isArray(command) && command[0] === 'expire'));
    expect(expires.map((command) => [String(command[1]).replace(/^.*:staging:[^:]+:/, ''), command[2]]).sort()).toEqual([['history:voice', 600], ['inputs:voice', 600], ['names', 600], ['wait:voice', 600]]);
    // Under 4 MB in all: one staging request, then the commit.
    expect(first!.report).toMatchObject({ mode: 'full', entriesWritten: 1201, bytesRead: 0, requests: 2 });

    let diff: Awaited<ReturnType<typeof write>>;
    const log = (await commandsRun(engine, async () => (diff = await write(snapshotOf(ws, queues.map((queue) => ({ ...queue, wait: queue.wait + 1, history: `${queue.wait + 1},1772438400,` }))), first!.base))))!;
    expect(diff!.report).toMatchObject({ mode: 'diff', entriesWritten: 1201 });
    const sizes = log.filter((command) => command.name === 'hset' && command.key.startsWith(`qwt:v3:${ws}:`)).map((command) => command.words);
    // Wait entries and histories in 500 + 500 + 201 each (the stamp and the record are short HSETs of their own).
    expect(sizes.filter((size) => size > 100).sort((x, y) => x - y)).toEqual([404, 404, 1002, 1002, 1002, 1002]);
    expect(Object.keys(await engine.client.hgetall(liveKeys(ws).wait('voice')))).toHaveLength(1202);
    expect(await engine.client.hget(liveKeys(ws).history('voice'), sid(1201))).toBe('1201,1772438400,');
  });

  it('a full write too large for one request goes in several of at most 4 MB; one command over 9.5 MB is refused with nothing written', async () => {
    const ws = newWorkspace();
    const long = (n: number, length: number) => `Queue ${n} ${'x'.repeat(length)}`;
    const queues: Queue[] = Array.from({ length: 1000 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 3000), wait: index }));
    const seen = await bodiesDuring(() => write(snapshotOf(ws, queues), null, { baseJustRead: true }));
    const staging = seen.filter(({ path, body }) => path === '/pipeline' && JSON.stringify(body).includes(':staging:'));
    expect(staging.length).toBeGreaterThanOrEqual(2);
    // 4 MB of commands, plus the brackets and commas of the list that carries them.
    for (const { body } of staging) expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(4_000_000 + body.length + 1);
    expect(await engine.client.hlen(liveKeys(ws).names)).toBe(1000);
    expect(await engine.client.hlen(liveKeys(ws).wait('voice'))).toBe(1001);

    // A command over 4 MB goes alone, and so does what follows it; no request is ever empty. Here: the
    // names (4.5 MB), their expiry, the first 500 entries (4.5 MB), then the stamp, expiry and inputs.
    const wide = newWorkspace();
    const wideQueues: Queue[] = Array.from({ length: 500 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 9000), wait: index }));
    const wideSeen = await bodiesDuring(() => write(snapshotOf(wide, wideQueues), null, { baseJustRead: true }));
    const wideStaging = wideSeen.filter(({ path, body }) => path === '/pipeline' && JSON.stringify(body).includes(':staging:'));
    expect(wideStaging.map(({ body }) => (body as unknown[][]).map((command) => command[0]).join(' '))).toEqual(['hset', 'expire', 'hset', 'hset expire hset expire']);
    expect(await engine.client.hlen(liveKeys(wide).names)).toBe(500);

    const huge = newWorkspace();
    const tooLong: Queue[] = Array.from({ length: 500 }, (_, index) => ({ sid: sid(index + 1), name: long(index + 1, 20_000), wait: 1 }));
    await expect(write(snapshotOf(huge, tooLong), null, { baseJustRead: true })).rejects.toThrow(/^Staging the full write: one command is 10\.\d MB$/);
    expect(await dump(engine, huge)).toEqual({});
    await noStaging();
  });

  it('a diff over 1 MB goes the full way instead', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = Array.from({ length: 400 }, (_, index) => ({ sid: sid(index + 1), name: `Queue ${index + 1}`, wait: index }));
    const first = await write(snapshotOf(ws, queues), null);
    const renamed = queues.map((queue) => ({ ...queue, name: `${queue.name} ${'y'.repeat(3000)}` }));
    const second = await write(snapshotOf(ws, renamed), first.base);
    expect(second.report).toMatchObject({ outcome: 'written', mode: 'full', entriesWritten: 400 });
    expect(await engine.client.hget(liveKeys(ws).names, renamed[399]!.name.toLowerCase())).toBe(sid(400));
    expect(await engine.client.hexists(liveKeys(ws).names, 'queue 400')).toBe(0);
  });

  it('a channel no queue serves holds only its stamp; a channel added since the base is written whole by the diff', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: '1,1772438400,' }];
    const snapshot = snapshotOf(ws, queues, ['voice', 'sms']);
    for (const map of [snapshot.entries, snapshot.inputs, snapshot.history]) map.delete('sms');
    const seen = await bodiesDuring(() => write(snapshot, null, { baseJustRead: true }));
    const keys = liveKeys(ws);
    expect(Object.keys(await engine.client.hgetall(keys.wait('sms')))).toEqual([STAMP_FIELD]);
    expect(await engine.client.exists(keys.inputs('sms'), keys.history('sms'))).toBe(0);
    // Staged hashes with nothing in them are neither staged nor given an expiry.
    const expired = seen.flatMap(({ body }) => (body as unknown[][]).filter((command) => Array.isArray(command) && command[0] === 'expire').map((command) => String(command[1]).replace(/^.*:staging:[^:]+:/, '')));
    expect(expired.sort()).toEqual(['history:voice', 'inputs:voice', 'names', 'wait:sms', 'wait:voice']);
    expect(await readQueue(redis, ws, 'sms', { queueSid: sid(1) })).toEqual({ found: false, reason: 'unknown_queue' });

    const voiceOnly = newWorkspace();
    const first = await write(snapshotOf(voiceOnly, queues), null);
    const both = await write(snapshotOf(voiceOnly, [...queues, { sid: sid(2), name: 'Two', wait: 20 }], ['voice', 'chat']), first.base);
    expect(both.report).toMatchObject({ outcome: 'written', mode: 'diff', entriesWritten: 3, entriesDeleted: 0 });
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

  it('a diff against a damaged cache fails naming the key, with nothing applied', async () => {
    const ws = newWorkspace();
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: '1,1772438400,' }, { sid: sid(2), name: 'Two', wait: 20 }];
    const first = await write(snapshotOf(ws, queues), null);
    const keys = liveKeys(ws);
    await engine.client.del(keys.history('voice'));
    await engine.client.set(keys.history('voice'), 'not a hash');
    const before = await dump(engine, ws);
    await expect(write(snapshotOf(ws, [{ ...queues[0]!, wait: 30 }]), first.base)).rejects.toThrow(`Writing the snapshot failed at ${host}: `);
    await expect(write(snapshotOf(ws, [{ ...queues[0]!, wait: 30 }]), first.base)).rejects.toThrow(`malformed cache: ${keys.history('voice')} is a string`);
    expect(await dump(engine, ws)).toEqual(before);
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
    const queues: Queue[] = [{ sid: sid(1), name: 'One', wait: 10, history: '1,1772438400,' }];
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
    expect(read.base).toEqual({ ...first.base, sequence: first.start.sequence + 1 });
    expect(read.bytesRead).toBeGreaterThan(0);
    attempts = 0;
    upstash.options.fault = ({ body }) => {
      attempts++;
      const commands = body as unknown[][];
      commands[commands.length - 1] = ['hincrby', liveKeys(ws).refresh, 'sequence', '1'];
      return undefined;
    };
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow('Reading the live entries (diff base) failed: other refreshes kept writing meanwhile');
    expect(attempts).toBe(2);
    // An answer that is not Redis's arrays (a proxy's, say) is refused, not read as an empty cache.
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: '5' }, { result: { not: 'an array' } }, { result: [] }, { result: [] }, { result: '1' }, { result: '5' }] });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(new CacheError('The cache answered the live entries in an unexpected shape'));
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: '5' }, { result: [] }, { result: 7 }, { result: [] }, { result: '1' }, { result: '5' }] });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(new CacheError('The cache answered the histories in an unexpected shape'));
    upstash.options.fault = () => ({ kind: 'answer', body: [{ result: '5' }, { result: [] }, { result: [] }, { result: null }, { result: '1' }, { result: '5' }] });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(new CacheError('The cache answered the names in an unexpected shape'));
    upstash.options.fault = () => ({ kind: 'status', status: 502 });
    await expect(readBase(redis, ws, ['voice'])).rejects.toThrow(`Reading the live entries (diff base) failed at ${host}: `);
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

      // A queue added by a diff has no inputs until the next full write.
      await write(snapshotOf(ws, [...queues, { sid: sid(3), name: 'Late', wait: 5 }], ['voice', 'chat']), written.base);
      const all = (await readAllEntries(redis, ws, 'voice')).sort((x, y) => x.queueSid.localeCompare(y.queueSid));
      expect(all).toEqual([
        { ...entryOf(queues[0]!, 'voice'), inputs: JSON.parse(encodeInputs(observation({ tasksWaiting: 75 }))) },
        { ...entryOf(queues[1]!, 'voice'), inputs: JSON.parse(encodeInputs(observation({ tasksWaiting: 20 }))) },
        { ...entryOf({ sid: sid(3), name: 'Late', wait: 5 }, 'voice'), inputs: null },
      ]);
      await engine.client.del(liveKeys(ws).refresh);
      expect(await readRefreshRecord(redis, ws)).toBeNull();
      expect(await readRefreshStatus(redis, ws)).toBeNull();
    });
  });
});
