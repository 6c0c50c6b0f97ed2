/**
 * The snapshot: what one refresh stores for every queue, how it is written (atomically, and never over
 * a newer one) and how one queue is read back (one Redis command of a few hundred bytes).
 */
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import type { Confidence, EstimateReason, EstimatorName, QueueObservation } from '../estimator';
import { liveKeys, normaliseQueueName } from './layout';

/** One queue on one channel, as stored and as served. */
export interface QueueWaitEntry {
  queueSid: string;
  queueName: string;
  channel: string;
  /** Whole seconds, or null when the data cannot support an estimate. */
  estimatedWaitSeconds: number | null;
  confidence: Confidence;
  reason?: EstimateReason;
  estimator: EstimatorName;
  /** The statistics the estimate came from. */
  inputs: QueueObservation;
  windowMinutes: number;
  /** When the statistics were read (ISO 8601). */
  readAt: string;
}

/** What the refresh as a whole did, stored beside the entries. */
export interface SnapshotMeta {
  /** Epoch ms when the refresh started reading; orders snapshots, so an older run never replaces a newer. */
  startedAtMs: number;
  refreshedAt: string;
  queueCount: number;
  channels: string[];
  durationMs: number;
  requests: number;
}

export interface Snapshot {
  workspaceSid: string;
  meta: SnapshotMeta;
  /** Per channel, every queue's entry. */
  entries: Map<string, QueueWaitEntry[]>;
}

/** Upstash refuses requests over 10 MB; stay clear of it. */
export const MAX_WRITE_BYTES = 9_500_000;

/** How many field/value pairs one HSET inside the script carries (Lua's unpack has a stack limit). */
const HSET_BATCH = 500;

/**
 * Replaces the live snapshot in one atomic step unless a newer one (larger startedAtMs) is live.
 * KEYS: meta, names, then one queues hash per channel. ARGV: startedAtMs, ttl, then for each key a
 * pair count followed by its field/value pairs. Returns 1 when written, 0 when superseded.
 */
const WRITE_SCRIPT = `
local unpack = unpack or table.unpack
local current = redis.call('HGET', KEYS[1], 'startedAtMs')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
local pos = 3
for k = 1, #KEYS do
  local key = KEYS[k]
  local count = tonumber(ARGV[pos])
  pos = pos + 1
  redis.call('DEL', key)
  local done = 0
  while done < count do
    local upto = math.min(count, done + ${HSET_BATCH})
    local args = {}
    for i = done, upto - 1 do
      args[#args + 1] = ARGV[pos + 2 * i]
      args[#args + 1] = ARGV[pos + 2 * i + 1]
    end
    redis.call('HSET', key, unpack(args))
    done = upto
  end
  pos = pos + 2 * count
  if count > 0 then redis.call('EXPIRE', key, ttl) end
end
return 1
`;

/**
 * Reads one queue in one round trip. KEYS: queues hash, names hash. ARGV: 'sid' or 'name', the value.
 * Returns the entry, 0 when there is no snapshot at all (expired or never written), nil when the
 * snapshot does not know the queue.
 */
const READ_SCRIPT = `
local sid = ARGV[2]
if ARGV[1] == 'name' then sid = redis.call('HGET', KEYS[2], ARGV[2]) end
if sid then
  local entry = redis.call('HGET', KEYS[1], sid)
  if entry then return entry end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return false
`;

function metaPairs(meta: SnapshotMeta): string[] {
  return [
    'startedAtMs', String(meta.startedAtMs),
    'refreshedAt', meta.refreshedAt,
    'queueCount', String(meta.queueCount),
    'channels', meta.channels.join(','),
    'durationMs', String(meta.durationMs),
    'requests', String(meta.requests),
  ];
}

export type WriteOutcome = 'written' | 'superseded';

/**
 * Writes the snapshot in one request: a script that checks the live snapshot is not newer, then deletes
 * and refills every key, so readers see the old snapshot or the new one, never a mix, and queues that
 * disappeared from TaskRouter disappear from the cache. Channels configured before but not now are
 * left to expire. Throws CacheError.
 */
export async function writeSnapshot(redis: Redis, snapshot: Snapshot, ttlSeconds: number): Promise<WriteOutcome> {
  const keys = liveKeys(snapshot.workspaceSid);
  const scriptKeys = [keys.meta, keys.names];
  const nameIndex: string[] = [];
  const seenNames = new Set<string>();
  const perChannel: string[][] = [];
  for (const channel of snapshot.meta.channels) {
    const entries = snapshot.entries.get(channel) ?? [];
    const pairs: string[] = [];
    for (const entry of entries) {
      pairs.push(entry.queueSid, JSON.stringify(entry));
      const name = normaliseQueueName(entry.queueName);
      if (!seenNames.has(name)) {
        seenNames.add(name);
        nameIndex.push(name, entry.queueSid);
      }
    }
    scriptKeys.push(keys.queues(channel));
    perChannel.push(pairs);
  }
  const meta = metaPairs(snapshot.meta);
  const args = [String(snapshot.meta.startedAtMs), String(ttlSeconds), String(meta.length / 2), ...meta, String(nameIndex.length / 2), ...nameIndex];
  for (const pairs of perChannel) args.push(String(pairs.length / 2), ...pairs);

  const bytes = args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 3, WRITE_SCRIPT.length);
  if (bytes > MAX_WRITE_BYTES) {
    throw new CacheError(`Snapshot is ${(bytes / 1e6).toFixed(1)} MB, over the ${MAX_WRITE_BYTES / 1e6} MB one request may carry; configure fewer TASK_CHANNELS`);
  }
  let result: unknown;
  try {
    result = await redis.eval(WRITE_SCRIPT, scriptKeys, args);
  } catch (error) {
    throw cacheFailure('Writing the snapshot', error);
  }
  return Number(result) === 1 ? 'written' : 'superseded';
}

/** A CacheError that says what failed without echoing the command (which may be megabytes long). */
export function cacheFailure(step: string, error: unknown): CacheError {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.split(', command was:')[0]!.slice(0, 300);
  const kind = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timed out' : 'failed';
  return new CacheError(`${step} ${kind}: ${message}`, { cause: error });
}

/** Parses a stored entry; a malformed one is reported, not served. */
function parseEntry(raw: unknown): QueueWaitEntry | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'string') throw new CacheError('The cache holds a malformed queue entry');
  let entry: unknown;
  try {
    entry = JSON.parse(raw);
  } catch {
    throw new CacheError('The cache holds a malformed queue entry');
  }
  const candidate = entry as Partial<QueueWaitEntry> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.queueSid !== 'string' || typeof candidate.readAt !== 'string') {
    throw new CacheError('The cache holds a malformed queue entry');
  }
  return candidate as QueueWaitEntry;
}

/** Which queue to read: by SID, or by name (trimmed, case-insensitive). */
export type QueueKey = { queueSid: string } | { queueName: string };

export type QueueLookup = { found: true; entry: QueueWaitEntry } | { found: false; reason: 'unknown_queue' | 'no_snapshot' };

/** One script object per client, so EVALSHA is tried first and the script text is sent only once. */
const readScripts = new WeakMap<Redis, ReturnType<Redis['createScript']>>();

/** A queue's entry: one Redis command (EVALSHA) whatever the snapshot's size. Throws CacheError. */
export async function readQueue(redis: Redis, workspaceSid: string, channel: string, key: QueueKey): Promise<QueueLookup> {
  let script = readScripts.get(redis);
  if (!script) {
    script = redis.createScript(READ_SCRIPT);
    readScripts.set(redis, script);
  }
  const keys = liveKeys(workspaceSid);
  const args = 'queueSid' in key ? ['sid', key.queueSid] : ['name', normaliseQueueName(key.queueName)];
  let raw: unknown;
  try {
    raw = await script.exec([keys.queues(channel), keys.names], args);
  } catch (error) {
    throw cacheFailure('Reading the queue', error);
  }
  if (raw === 0 || raw === '0') return { found: false, reason: 'no_snapshot' };
  const entry = parseEntry(raw);
  return entry ? { found: true, entry } : { found: false, reason: 'unknown_queue' };
}

/** HGETALL's reply (a flat field/value array without automatic deserialization) as an object. */
function hashReply(raw: unknown): Record<string, string> {
  const hash: Record<string, string> = {};
  if (Array.isArray(raw)) for (let index = 0; index + 1 < raw.length; index += 2) hash[String(raw[index])] = String(raw[index + 1]);
  else if (raw && typeof raw === 'object') for (const [field, value] of Object.entries(raw)) hash[field] = typeof value === 'string' ? value : JSON.stringify(value);
  return hash;
}

/** The live snapshot's meta, or null when there is none. Throws CacheError. */
export async function readSnapshotMeta(redis: Redis, workspaceSid: string): Promise<SnapshotMeta | null> {
  let raw: Record<string, string>;
  try {
    raw = hashReply(await redis.hgetall(liveKeys(workspaceSid).meta));
  } catch (error) {
    throw cacheFailure('Reading the snapshot meta', error);
  }
  if (raw['startedAtMs'] === undefined) return null;
  return {
    startedAtMs: Number(raw['startedAtMs']),
    refreshedAt: String(raw['refreshedAt']),
    queueCount: Number(raw['queueCount']),
    channels: String(raw['channels'] ?? '').split(',').filter(Boolean),
    durationMs: Number(raw['durationMs']),
    requests: Number(raw['requests']),
  };
}

/** Every entry of one channel (for the dashboard and tests; the Functions never read a whole hash). */
export async function readAllQueues(redis: Redis, workspaceSid: string, channel: string): Promise<QueueWaitEntry[]> {
  let raw: Record<string, string>;
  try {
    raw = hashReply(await redis.hgetall(liveKeys(workspaceSid).queues(channel)));
  } catch (error) {
    throw cacheFailure('Reading the snapshot', error);
  }
  return Object.values(raw).map((value) => parseEntry(value)!);
}
