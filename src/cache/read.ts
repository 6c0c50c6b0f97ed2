/**
 * Reading the cache: one request, read-only commands only. A queue is read by EVAL_RO of a script
 * flagged `no-writes,allow-key-locking` (Upstash then takes shared read locks on its keys only, and a
 * read region may serve it) pipelined with TIME for Redis's clock. The script's body travels with
 * every read (a few hundred bytes), so there is no NOSCRIPT round trip to fall back from.
 */
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import { decodeEntry, recordFrom, RECORD_FIELDS, refreshAgeMs, type QueueWaitEntry, type RefreshRecord, type SnapshotClock } from './entry';
import { liveKeys, normaliseQueueName } from './layout';
import { cacheFailure } from './redis';

/**
 * KEYS: refresh record, names, wait:{channel}. ARGV: 'sid' or 'name', the value, the channel.
 * Returns { entry or false, sid or false, sequence, readAtMs, clockOffsetMs, channels }.
 */
const READ_SCRIPT = `#!lua flags=no-writes,allow-key-locking
local sid = ARGV[2]
if ARGV[1] == 'name' then sid = redis.call('HGET', KEYS[2], ARGV[2]) end
local entry = false
if sid then entry = redis.call('HGET', KEYS[3], sid) end
local record = redis.call('HMGET', KEYS[1], 'sequence', 'readAtMs', 'clockOffsetMs', 'channels')
return { entry, sid, record[1], record[2], record[3], record[4] }
`;

/** Which queue to read: by SID, or by name (trimmed, case-insensitive). */
export type QueueKey = { queueSid: string } | { queueName: string };

/** A found entry with what dates it: the refresh that last confirmed it, and Redis's clock at the read. */
export type QueueLookup =
  | { found: true; entry: QueueWaitEntry; refresh: Pick<RefreshRecord, 'sequence' | 'readAtMs' | 'clockOffsetMs'>; clock: SnapshotClock }
  | { found: false; reason: 'unknown_queue' | 'unknown_channel' | 'no_snapshot' };

const redisMs = (time: unknown): number => {
  const [seconds, micros] = Array.isArray(time) ? time : [NaN, NaN];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
};

/** A queue's entry in one request of read-only commands, whatever the cache's size. Throws CacheError. */
export async function readQueue(redis: Redis, workspaceSid: string, channel: string, key: QueueKey): Promise<QueueLookup> {
  const keys = liveKeys(workspaceSid);
  const args = 'queueSid' in key ? ['sid', key.queueSid] : ['name', normaliseQueueName(key.queueName)];
  let replies: unknown[];
  try {
    replies = await redis.pipeline().evalRo(READ_SCRIPT, [keys.refresh, keys.names, keys.wait(channel)], args).time().exec();
  } catch (error) {
    throw cacheFailure('Reading the queue', error, redis);
  }
  const localNowMs = Date.now();
  const [result, time] = replies;
  if (!Array.isArray(result)) throw new CacheError('The cache answered a queue read in an unexpected shape');
  const [rawEntry, sid, sequence, readAtMs, clockOffsetMs, channels] = result as unknown[];
  if (sequence === null || sequence === undefined) return { found: false, reason: 'no_snapshot' };
  if (!String(channels ?? '').split(',').includes(channel)) return { found: false, reason: 'unknown_channel' };
  if (rawEntry === null || rawEntry === undefined || typeof sid !== 'string') return { found: false, reason: 'unknown_queue' };
  const refresh = { sequence: Number(sequence), readAtMs: Number(readAtMs), clockOffsetMs: Number(clockOffsetMs) };
  const redisNowMs = redisMs(time);
  if (!Number.isFinite(refresh.readAtMs) || !Number.isFinite(refresh.clockOffsetMs) || !Number.isFinite(redisNowMs)) throw new CacheError('The cache holds a malformed refresh record');
  return { found: true, entry: decodeEntry(sid, channel, rawEntry), refresh, clock: { redisNowMs, localNowMs } };
}

function hashReply(raw: unknown): [string, string][] {
  if (Array.isArray(raw)) return Array.from({ length: Math.floor(raw.length / 2) }, (_, index) => [String(raw[2 * index]), String(raw[2 * index + 1])]);
  if (raw && typeof raw === 'object') return Object.entries(raw).map(([field, value]) => [field, typeof value === 'string' ? value : JSON.stringify(value)]);
  return [];
}

/** HMGET's reply (an array, or the object some clients make of it) as the record, or null. */
function recordFromReply(values: unknown): RefreshRecord | null {
  return recordFrom(Array.isArray(values) ? values : RECORD_FIELDS.map((field) => (values as Record<string, unknown> | null)?.[field] ?? null));
}

/** The live refresh record, or null when there is none. Throws CacheError. */
export async function readRefreshRecord(redis: Redis, workspaceSid: string): Promise<RefreshRecord | null> {
  try {
    return recordFromReply(await redis.hmget(liveKeys(workspaceSid).refresh, ...RECORD_FIELDS));
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
  const record = recordFromReply(replies[0]);
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
  const inputs = new Map(hashReply(replies[1]));
  return hashReply(replies[0]).map(([sid, raw]) => {
    const stored = inputs.get(sid);
    return { ...decodeEntry(sid, channel, raw), inputs: stored === undefined ? null : (JSON.parse(stored) as Record<string, unknown>) };
  });
}
