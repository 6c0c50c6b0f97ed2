/**
 * The snapshot: what one refresh stores for every queue, how it is written (atomically, and never over
 * a newer one) and how one queue is read back (one Redis command of a few hundred bytes).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import type { Confidence, EstimateReason, EstimatorName, QueueObservation, WaitRange } from '../estimator';
import { liveKeys, normaliseQueueName, stagingKeys } from './layout';

/** One queue on one channel, as stored and as served. */
export interface QueueWaitEntry {
  queueSid: string;
  queueName: string;
  channel: string;
  /** Whole seconds, or null when the data cannot support an estimate. */
  estimatedWaitSeconds: number | null;
  confidence: Confidence;
  reason?: EstimateReason;
  /** Where about 80% of callers' waits should fall, seconds; null when the estimate is. */
  waitRange: WaitRange | null;
  estimator: EstimatorName;
  /** The statistics the estimate came from. */
  inputs: QueueObservation;
  windowMinutes: number;
  /** When the statistics were read (ISO 8601). */
  readAt: string;
}

/** What the refresh as a whole did, stored beside the entries. */
export interface SnapshotMeta {
  /** The run's number from Redis (INCR at its start): orders snapshots whatever the hosts' clocks say. */
  sequence: number;
  /** Epoch ms (refresher's clock) when the refresh started reading. */
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

/** The field of each queues hash that holds Redis's clock minus the refresher's, in ms. */
const CLOCK_OFFSET_FIELD = '_clockOffsetMs';

/**
 * Replaces the live snapshot in one script unless a newer run's (larger sequence) is live.
 * KEYS: n live keys (meta, names, one queues hash per channel), then their n staging keys.
 * ARGV: sequence, ttl, the refresher's clock now (ms), then per key a pair count and its pairs.
 * Every key is staged first and only then renamed over the live one: an error while staging deletes
 * the staged keys and leaves the live snapshot whole (Redis does not roll a script back by itself).
 * Each queues hash also records Redis's clock minus the refresher's, so ages are measured on one
 * clock whatever the refresher's or the Functions' clocks say.
 * Returns 1 when written, 0 when superseded.
 */
const WRITE_SCRIPT = `
local unpack = unpack or table.unpack
local n = #KEYS / 2
local current = redis.call('HGET', KEYS[1], 'sequence')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
-- 1000.0: float arithmetic, so engines with 32-bit Lua integers (the embedded fallback) do not overflow.
local offset = tonumber(time[1]) * 1000.0 + math.floor(tonumber(time[2]) / 1000.0) - tonumber(ARGV[3])
local function stage()
  local pos = 4
  for k = 1, n do
    local staging = KEYS[n + k]
    local count = tonumber(ARGV[pos])
    pos = pos + 1
    redis.call('DEL', staging)
    local done = 0
    while done < count do
      local upto = math.min(count, done + ${HSET_BATCH})
      local args = {}
      for i = done, upto - 1 do
        args[#args + 1] = ARGV[pos + 2 * i]
        args[#args + 1] = ARGV[pos + 2 * i + 1]
      end
      redis.call('HSET', staging, unpack(args))
      done = upto
    end
    pos = pos + 2 * count
    if k > 2 then redis.call('HSET', staging, '${CLOCK_OFFSET_FIELD}', tostring(offset)) end
    if k == 1 then redis.call('HSET', staging, 'clockOffsetMs', tostring(offset)) end
  end
end
local ok, problem = pcall(stage)
if not ok then
  for k = 1, n do redis.call('DEL', KEYS[n + k]) end
  return { err = 'staging failed, live snapshot untouched: ' .. tostring(type(problem) == 'table' and problem.err or problem) }
end
for k = 1, n do
  if redis.call('EXISTS', KEYS[n + k]) == 1 then
    redis.call('RENAME', KEYS[n + k], KEYS[k])
    redis.call('EXPIRE', KEYS[k], ttl)
  else
    redis.call('DEL', KEYS[k])
  end
end
return 1
`;

/**
 * Reads one queue in one round trip. KEYS: queues hash, names hash, meta. ARGV: 'sid' or 'name', the
 * value. Returns { entry, clock offset, Redis seconds, Redis microseconds }; 0 when there is no
 * snapshot at all (expired or never written); -1 when the snapshot has no such channel; nil when the
 * snapshot does not know the queue.
 */
const READ_SCRIPT = `
local sid = ARGV[2]
if ARGV[1] == 'name' then sid = redis.call('HGET', KEYS[2], ARGV[2]) end
if sid then
  local entry = redis.call('HGET', KEYS[1], sid)
  if entry then
    local time = redis.call('TIME')
    return { entry, redis.call('HGET', KEYS[1], '${CLOCK_OFFSET_FIELD}') or '', time[1], time[2] }
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
  return -1
end
return false
`;

function metaPairs(meta: SnapshotMeta): string[] {
  return [
    'sequence', String(meta.sequence),
    'startedAtMs', String(meta.startedAtMs),
    'refreshedAt', meta.refreshedAt,
    'queueCount', String(meta.queueCount),
    'channels', meta.channels.join(','),
    'durationMs', String(meta.durationMs),
    'requests', String(meta.requests),
  ];
}

export type WriteOutcome = 'written' | 'superseded';

/** The script call that writes a snapshot: exposed so tests can break it on purpose. */
export interface WriteCommand {
  script: string;
  keys: string[];
  args: string[];
}

/**
 * Writes the snapshot in one request: a script that checks the live snapshot is not newer, then deletes
 * and refills every key, so readers see the old snapshot or the new one, never a mix, and queues that
 * disappeared from TaskRouter disappear from the cache. Channels configured before but not now are
 * left to expire. Throws CacheError.
 */
export function writeCommand(snapshot: Snapshot, ttlSeconds: number, runId: string, nowMs: number): WriteCommand {
  const live = liveKeys(snapshot.workspaceSid);
  const staging = stagingKeys(snapshot.workspaceSid, runId);
  const keys = [live.meta, live.names];
  const stagedKeys = [staging.meta, staging.names];
  const nameIndex: string[] = [];
  const seenNames = new Set<string>();
  const perChannel: string[][] = [];
  for (const channel of snapshot.meta.channels) {
    const pairs: string[] = [];
    for (const entry of snapshot.entries.get(channel) ?? []) {
      pairs.push(entry.queueSid, JSON.stringify(entry));
      const name = normaliseQueueName(entry.queueName);
      if (!seenNames.has(name)) {
        seenNames.add(name);
        nameIndex.push(name, entry.queueSid);
      }
    }
    keys.push(live.queues(channel));
    stagedKeys.push(staging.queues(channel));
    perChannel.push(pairs);
  }
  const meta = metaPairs(snapshot.meta);
  const args = [String(snapshot.meta.sequence), String(ttlSeconds), String(nowMs), String(meta.length / 2), ...meta, String(nameIndex.length / 2), ...nameIndex];
  for (const pairs of perChannel) args.push(String(pairs.length / 2), ...pairs);
  return { script: WRITE_SCRIPT, keys: [...keys, ...stagedKeys], args };
}

/**
 * Writes the snapshot in one request (see WRITE_SCRIPT): readers see the old snapshot or the new one,
 * never a mix; queues that disappeared from TaskRouter disappear from the cache; channels configured
 * before but not now are left to expire. Throws CacheError.
 */
export async function writeSnapshot(redis: Redis, snapshot: Snapshot, ttlSeconds: number, options: { now?: () => number; command?: (command: WriteCommand) => WriteCommand } = {}): Promise<WriteOutcome> {
  const runId = `${snapshot.meta.sequence}-${randomBytes(4).toString('hex')}`;
  let command = writeCommand(snapshot, ttlSeconds, runId, (options.now ?? Date.now)());
  if (options.command) command = options.command(command);
  const bytes = command.args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 3, command.script.length);
  if (bytes > MAX_WRITE_BYTES) {
    throw new CacheError(`Snapshot is ${(bytes / 1e6).toFixed(1)} MB, over the ${MAX_WRITE_BYTES / 1e6} MB one request may carry; configure fewer TASK_CHANNELS`);
  }
  let result: unknown;
  try {
    result = await redis.eval(command.script, command.keys, command.args);
  } catch (error) {
    throw cacheFailure('Writing the snapshot', error);
  }
  return Number(result) === 1 ? 'written' : 'superseded';
}

/**
 * The next run number of the workspace (INCR): taken when a refresh starts, compared when it writes.
 * Lives longer than any snapshot, so numbers never restart under a live snapshot. Throws CacheError.
 */
export async function nextSequence(redis: Redis, workspaceSid: string, ttlSeconds: number): Promise<number> {
  const key = liveKeys(workspaceSid).sequence;
  try {
    const [sequence] = await redis.pipeline().incr(key).expire(key, ttlSeconds * 2).exec<[number, number]>();
    return Number(sequence);
  } catch (error) {
    throw cacheFailure('Starting the refresh (taking a run number)', error);
  }
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

/** Redis's clock at the read and the snapshot's clock offset, so an age needs no other clock. */
export interface SnapshotClock {
  /** Redis's time when the entry was read, ms. */
  redisNowMs: number;
  /** This process's time at the same moment, ms (to age a reused answer). */
  localNowMs: number;
  /** Redis's clock minus the refresher's when the snapshot was written, ms. */
  offsetMs: number;
}

export type QueueLookup = { found: true; entry: QueueWaitEntry; clock: SnapshotClock | null } | { found: false; reason: 'unknown_queue' | 'unknown_channel' | 'no_snapshot' };

/** Milliseconds since the entry's statistics were read, on Redis's clock when known; never negative. */
export function entryAgeMs(entry: QueueWaitEntry, clock: SnapshotClock | null, localNowMs: number): number | null {
  const readAtMs = Date.parse(entry.readAt);
  if (Number.isNaN(readAtMs)) return null;
  const age = clock ? clock.redisNowMs + (localNowMs - clock.localNowMs) - (readAtMs + clock.offsetMs) : localNowMs - readAtMs;
  return Math.max(0, age);
}

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
    raw = await script.exec([keys.queues(channel), keys.names, keys.meta], args);
  } catch (error) {
    throw cacheFailure('Reading the queue', error);
  }
  if (raw === 0 || raw === '0') return { found: false, reason: 'no_snapshot' };
  if (raw === -1 || raw === '-1') return { found: false, reason: 'unknown_channel' };
  if (raw === null || raw === undefined) return { found: false, reason: 'unknown_queue' };
  if (!Array.isArray(raw) || raw.length !== 4) throw new CacheError('The cache answered a queue read in an unexpected shape');
  const [rawEntry, rawOffset, seconds, micros] = raw as unknown[];
  const entry = parseEntry(rawEntry)!;
  const offsetMs = Number(rawOffset);
  const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const clock = rawOffset !== '' && Number.isFinite(offsetMs) && Number.isFinite(redisNowMs) ? { redisNowMs, localNowMs: Date.now(), offsetMs } : null;
  return { found: true, entry, clock };
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
    sequence: Number(raw['sequence']),
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
  return Object.entries(raw)
    .filter(([field]) => field !== CLOCK_OFFSET_FIELD)
    .map(([, value]) => parseEntry(value)!);
}
