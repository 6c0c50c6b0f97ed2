/**
 * Reading the cache: one request, read-only commands only. A queue by SID is one HMGET of its channel's
 * wait hash (the entry and the stamp of the refresh that wrote it, one atomic command) pipelined with
 * TIME for Redis's clock: two billed commands. By name, the name is resolved in the same request by
 * EVAL_RO of a script flagged `no-writes,allow-key-locking` (Upstash then takes shared read locks on its
 * keys only, and a read region may serve it): four. The script's body travels with every read (a few
 * hundred bytes), so there is no NOSCRIPT round trip to fall back from.
 */
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import { decodeEntry, decodeInputs, decodeStamp, recordFrom, RECORD_FIELDS, refreshAgeMs, type QueueWaitEntry, type RefreshRecord, type RefreshStamp, type SnapshotClock } from './entry';
import { liveKeys, normaliseQueueName, STAMP_FIELD } from './layout';
import { arrayReply, cacheFailure, hashPairs } from './redis';

/** KEYS: names, wait:{channel}. ARGV: the normalised name. Returns { entry or false, sid or false, stamp or false }. */
const READ_BY_NAME_SCRIPT = `#!lua flags=no-writes,allow-key-locking
local sid = redis.call('HGET', KEYS[1], ARGV[1])
if not sid then return { false, false, redis.call('HGET', KEYS[2], '${STAMP_FIELD}') } end
local found = redis.call('HMGET', KEYS[2], sid, '${STAMP_FIELD}')
return { found[1], sid, found[2] }
`;

/** Which queue to read: by SID, or by name (trimmed, case-insensitive). */
export type QueueKey = { queueSid: string } | { queueName: string };

/** A found entry with what dates it: the refresh that last confirmed it, and Redis's clock at the read. */
export type QueueLookup =
  | { found: true; entry: QueueWaitEntry; refresh: RefreshStamp; clock: SnapshotClock }
  | { found: false; reason: 'unknown_queue' | 'unknown_channel' | 'no_snapshot' };

/** TIME's reply, [seconds, microseconds], in milliseconds. */
function redisMs(time: unknown): number {
  const [seconds, micros] = arrayReply(time, 'its clock (TIME)');
  const ms = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  if (!Number.isFinite(ms)) throw new CacheError('The cache answered its clock (TIME) in an unexpected shape');
  return ms;
}

/** A queue's entry in one request of read-only commands, whatever the cache's size. Throws CacheError. */
export async function readQueue(redis: Redis, workspaceSid: string, channel: string, key: QueueKey): Promise<QueueLookup> {
  const keys = liveKeys(workspaceSid);
  let rawEntry: unknown;
  let sid: unknown;
  let rawStamp: unknown;
  let time: unknown;
  try {
    if ('queueSid' in key) {
      const [found, now] = await redis.pipeline().hmget(keys.wait(channel), key.queueSid, STAMP_FIELD).time().exec();
      [rawEntry, rawStamp] = arrayReply(found, 'a queue read');
      sid = key.queueSid;
      time = now;
    } else {
      const [result, now] = await redis.pipeline().evalRo(READ_BY_NAME_SCRIPT, [keys.names, keys.wait(channel)], [normaliseQueueName(key.queueName)]).time().exec();
      [rawEntry, sid, rawStamp] = arrayReply(result, 'a queue read');
      time = now;
    }
  } catch (error) {
    throw cacheFailure('Reading the queue', error, redis);
  }
  const localNowMs = Date.now();
  if (rawStamp == null) return { found: false, reason: await whyNoStamp(redis, workspaceSid, channel) };
  const refresh = decodeStamp(rawStamp);
  if (!refresh) throw new CacheError('The cache holds a malformed refresh stamp');
  const redisNowMs = redisMs(time);
  if (rawEntry == null) return { found: false, reason: 'unknown_queue' };
  return { found: true, entry: decodeEntry(String(sid), channel, rawEntry), refresh, clock: { redisNowMs, localNowMs } };
}

/**
 * A channel's wait hash without a stamp: no snapshot at all (expired, or never written), or a channel
 * the refresher does not read. Only this failure path pays a second request.
 */
async function whyNoStamp(redis: Redis, workspaceSid: string, channel: string): Promise<'unknown_channel' | 'no_snapshot'> {
  let channels: unknown;
  try {
    channels = await redis.hget(liveKeys(workspaceSid).refresh, 'channels');
  } catch (error) {
    throw cacheFailure('Reading the refresh record', error, redis);
  }
  if (channels == null) return 'no_snapshot';
  return String(channels).split(',').includes(channel) ? 'no_snapshot' : 'unknown_channel';
}

/** The live refresh record, or null when there is none. Throws CacheError. */
export async function readRefreshRecord(redis: Redis, workspaceSid: string): Promise<RefreshRecord | null> {
  try {
    return recordFrom(arrayReply(await redis.hmget(liveKeys(workspaceSid).refresh, ...RECORD_FIELDS), 'the refresh record'));
  } catch (error) {
    throw cacheFailure('Reading the refresh record', error, redis);
  }
}

/** The live record and its age on Redis's clock (one request: HMGET and TIME), or null when there is none. */
export async function readRefreshStatus(redis: Redis, workspaceSid: string): Promise<{ record: RefreshRecord; ageMs: number } | null> {
  let replies: unknown[];
  try {
    replies = await redis.pipeline().hmget(liveKeys(workspaceSid).refresh, ...RECORD_FIELDS).time().exec();
  } catch (error) {
    throw cacheFailure('Reading the refresh record', error, redis);
  }
  const localNowMs = Date.now();
  const record = recordFrom(arrayReply(replies[0], 'the refresh record'));
  if (!record) return null;
  return { record, ageMs: refreshAgeMs(record, { redisNowMs: redisMs(replies[1]), localNowMs }, localNowMs) };
}

/**
 * Every entry of one channel with its stored inputs (for the dashboard, the status command and tests;
 * the Functions never read a whole hash). Throws CacheError.
 */
export async function readAllEntries(redis: Redis, workspaceSid: string, channel: string): Promise<(QueueWaitEntry & { inputs: Record<string, unknown> | null })[]> {
  const keys = liveKeys(workspaceSid);
  let replies: unknown[];
  try {
    replies = await redis.pipeline().hgetall(keys.wait(channel)).hgetall(keys.inputs(channel)).exec();
  } catch (error) {
    throw cacheFailure('Reading the snapshot', error, redis);
  }
  const inputs = new Map(hashPairs(replies[1], 'the inputs'));
  return hashPairs(replies[0], 'the entries').filter(([sid]) => sid !== STAMP_FIELD).map(([sid, raw]) => {
    const stored = inputs.get(sid);
    return { ...decodeEntry(sid, channel, raw), inputs: stored === undefined ? null : decodeInputs(stored) };
  });
}
