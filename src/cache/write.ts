/**
 * How a refresh reaches the cache: only what changed, atomically, never over a newer run.
 *
 * - A refresh takes its run number and Redis's clock in one request of two commands (`beginRefresh`).
 * - Normally it sends one short script with the entries whose content changed since the live data,
 *   the SIDs of queues that are gone, and the refresh record (`DIFF_SCRIPT`). Unchanged entries are
 *   not resent: their age comes from the record, so they stay fresh.
 * - The first write, a layout change, a diff too large for one short script, and once per
 *   SNAPSHOT_TTL_SECONDS as a safety net, it writes everything: staged in chunks (each command short),
 *   then renamed over the live hashes by a short script (`COMMIT_SCRIPT`). The estimator inputs (for
 *   the dashboard and debugging) are written only then: they change on nearly every refresh, and
 *   sending them each time would cost more than the entries themselves.
 * Readers see the whole diff or none of it, and a full write all at once. Entries of two consecutive
 * refreshes sit side by side only in the sense that an unchanged entry was computed by an earlier run:
 * its content is exactly what the newer run computed too, so nothing a reader sees is out of date.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import { cacheFailure, hashPairs } from './redis';
import type { QueueObservation } from '../estimator';
import { encodeEntry, encodeInputs, encodeStamp, recordPairs, type QueueWaitEntry, type RefreshRecord } from './entry';
import { LAYOUT_VERSION, liveKeys, normaliseQueueName, stagingKeys, STAMP_FIELD } from './layout';

/** Upstash refuses requests over 10 MB: no request of ours is larger than this, counted as sent. */
export const MAX_REQUEST_BYTES = 9_500_000;
/** A diff larger than this goes the chunked way, so no script holds Redis for long. */
const MAX_DIFF_BYTES = 1_000_000;
/** Field/value pairs per HSET, inside scripts and in staged chunks. */
const PAIRS_PER_COMMAND = 500;
/** How much one staging request carries. */
const STAGING_REQUEST_BYTES = 4_000_000;
/** Staged keys of a full write that never committed expire by themselves. */
const STAGING_TTL_SECONDS = 600;

/** What a refresh hands the cache. */
export interface Snapshot {
  workspaceSid: string;
  /** The record without what the write itself decides (layout, clock offset, full-write and inputs times). */
  record: Omit<RefreshRecord, 'layout' | 'clockOffsetMs' | 'fullWriteAtMs'>;
  /** Per channel, every queue's entry. */
  entries: Map<string, QueueWaitEntry[]>;
  /** Per channel, queue SID → the estimator inputs. */
  inputs: Map<string, Map<string, QueueObservation>>;
  /** Per channel, queue SID → the queue's history as stored (estimator/history.ts `encodeHistory`). */
  history: Map<string, Map<string, string>>;
}

/** What `beginRefresh` learns in its one request. */
export interface RefreshStart {
  sequence: number;
  /** Redis's clock and this process's at that moment. */
  redisNowMs: number;
  localNowMs: number;
}

/**
 * What this process last wrote (or read back) for a workspace: the base a diff is computed against.
 * Only valid while the live record's sequence equals `sequence`; the diff script checks that.
 */
export interface WriteBase {
  workspaceSid: string;
  sequence: number;
  wait: Map<string, Map<string, string>>;
  names: Map<string, string>;
  /** Per channel, the stored histories, and when the run that wrote them read TaskRouter (ms, its clock). */
  history: Map<string, Map<string, string>>;
  readAtMs: number;
}

export type WriteOutcome = 'written' | 'superseded';

export interface WriteReport {
  outcome: WriteOutcome;
  mode: 'diff' | 'full';
  entriesWritten: number;
  entriesDeleted: number;
  /** Requests and bytes sent to Redis by the write (JSON bodies as sent), and bytes read back for a base. */
  requests: number;
  bytesSent: number;
  bytesRead: number;
}

/** The bytes of a request body as @upstash/redis sends it: the command (or commands) as JSON. */
export function requestBytes(body: unknown): number {
  return Buffer.byteLength(JSON.stringify(body));
}

/** INCR with an expiry in one command. The counter lives longer than any snapshot, so numbers never restart under live data. */
const SEQUENCE_SCRIPT = `#!lua flags=allow-key-locking
local sequence = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return sequence
`;

/** Takes the run's number and reads Redis's clock, in one request of two commands. Throws CacheError. */
export async function beginRefresh(redis: Redis, workspaceSid: string, ttlSeconds: number): Promise<RefreshStart> {
  try {
    const localBefore = Date.now();
    const [sequence, time] = await redis
      .pipeline()
      .eval(SEQUENCE_SCRIPT, [liveKeys(workspaceSid).sequence], [String(ttlSeconds * 2)])
      .time()
      .exec<[number, [number, number] | [string, string]]>();
    const localNowMs = Math.round((localBefore + Date.now()) / 2);
    return { sequence: Number(sequence), redisNowMs: Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000), localNowMs };
  } catch (error) {
    throw cacheFailure('Starting the refresh (taking a run number)', error, redis);
  }
}

/**
 * Applies a diff. KEYS: refresh record, names, wait:{ch}… (n), history:{ch}… (n), inputs:{ch}… (n).
 * ARGV: sequence, base sequence, ttl, Redis's clock at the run's start (ms), the entries' stamp
 * (written to every wait hash, STAMP_FIELD), then lists (a count, then
 * items): record pairs, name pairs to set, names to delete, and per channel the entry pairs to set,
 * the SIDs to delete, the history pairs to set and the histories to delete (of gone queues, and of
 * queues whose history the estimator no longer keeps).
 * Returns 1 written, 0 superseded (a newer run is live), -1 when the live data is not the base, -2
 * when a full write is due instead (no record, another layout, or the last full write a TTL ago).
 * Every argument is parsed and every key's type checked before the first write, so a malformed call
 * fails with nothing applied (Redis does not roll a script back).
 */
const DIFF_SCRIPT = `#!lua flags=allow-key-locking
local unpack = unpack or table.unpack
local live = redis.call('HMGET', KEYS[1], 'sequence', 'layout', 'fullWriteAtMs')
local current = tonumber(live[1] or '0')
if current > tonumber(ARGV[1]) then return 0 end
if not live[1] or live[2] ~= '${LAYOUT_VERSION}' or tonumber(live[3] or '0') + tonumber(ARGV[3]) * 1000 <= tonumber(ARGV[4]) then return -2 end
if current ~= tonumber(ARGV[2]) then return -1 end
local n = (#KEYS - 2) / 3
local stamp = ARGV[5]
local pos = 6
local function list(width)
  local count = tonumber(ARGV[pos])
  if not count then return error('malformed write: no count at argument ' .. pos) end
  local items = {}
  for i = 1, count * width do items[i] = ARGV[pos + i] end
  if #items ~= count * width then return error('malformed write: too few arguments') end
  pos = pos + 1 + count * width
  return items
end
local record, nameSets, nameDels, sets, dels, histories, historyDels = list(2), list(2), list(1), {}, {}, {}, {}
for k = 1, n do
  sets[k] = list(2)
  dels[k] = list(1)
  histories[k] = list(2)
  historyDels[k] = list(1)
end
if pos ~= #ARGV + 1 then return error('malformed write: extra arguments') end
for k = 1, #KEYS do
  local kind = redis.call('TYPE', KEYS[k]).ok
  if kind ~= 'hash' and kind ~= 'none' then return error('malformed cache: ' .. KEYS[k] .. ' is a ' .. kind) end
end
local function apply(command, key, items)
  for i = 1, #items, ${PAIRS_PER_COMMAND * 2} do redis.call(command, key, unpack(items, i, math.min(#items, i + ${PAIRS_PER_COMMAND * 2 - 1}))) end
end
apply('HSET', KEYS[2], nameSets)
apply('HDEL', KEYS[2], nameDels)
for k = 1, n do
  apply('HSET', KEYS[2 + k], sets[k])
  apply('HDEL', KEYS[2 + k], dels[k])
  redis.call('HSET', KEYS[2 + k], '${STAMP_FIELD}', stamp)
  apply('HSET', KEYS[2 + n + k], histories[k])
  apply('HDEL', KEYS[2 + n + k], historyDels[k])
  apply('HDEL', KEYS[2 + 2 * n + k], dels[k])
end
apply('HSET', KEYS[1], record)
local ttl = tonumber(ARGV[3])
for k = 1, #KEYS do redis.call('EXPIRE', KEYS[k], ttl) end
return 1
`;

/**
 * Commits a full write. KEYS: refresh record, then (staging, live) pairs. ARGV: sequence, ttl, the
 * expected field count of each staging hash, then the record pairs (a count first). Renames every
 * staged hash over its live one, or, when superseded or incomplete, drops the staging and changes
 * nothing live. Returns 1 written, 0 superseded.
 */
const COMMIT_SCRIPT = `#!lua flags=allow-key-locking
local unpack = unpack or table.unpack
local m = (#KEYS - 1) / 2
local function drop()
  for i = 1, m do redis.call('DEL', KEYS[2 * i]) end
end
local current = tonumber(redis.call('HGET', KEYS[1], 'sequence') or '0')
if current > tonumber(ARGV[1]) then
  drop()
  return 0
end
for i = 1, m do
  local staged = redis.call('HLEN', KEYS[2 * i])
  if staged ~= tonumber(ARGV[2 + i]) then
    drop()
    return error('full write incomplete: ' .. KEYS[2 * i] .. ' has ' .. staged .. ' of ' .. ARGV[2 + i] .. ' fields; live data untouched')
  end
end
local ttl = tonumber(ARGV[2])
for i = 1, m do
  if tonumber(ARGV[2 + i]) > 0 then
    redis.call('RENAME', KEYS[2 * i], KEYS[2 * i + 1])
    redis.call('EXPIRE', KEYS[2 * i + 1], ttl)
  else
    redis.call('DEL', KEYS[2 * i + 1])
  end
end
local record = {}
local count = tonumber(ARGV[3 + m])
for i = 1, count * 2 do record[i] = ARGV[3 + m + i] end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(record))
redis.call('EXPIRE', KEYS[1], ttl)
return 1
`;

/** Every entry and name of the snapshot as it would be stored. */
function storedForm(snapshot: Snapshot): { wait: Map<string, Map<string, string>>; names: Map<string, string>; inputs: Map<string, Map<string, string>>; history: Map<string, Map<string, string>> } {
  const wait = new Map<string, Map<string, string>>();
  const names = new Map<string, string>();
  const inputs = new Map<string, Map<string, string>>();
  for (const channel of snapshot.record.channels) {
    const entries = new Map<string, string>();
    for (const entry of snapshot.entries.get(channel) ?? []) {
      entries.set(entry.queueSid, encodeEntry(entry));
      const name = normaliseQueueName(entry.queueName);
      if (!names.has(name)) names.set(name, entry.queueSid);
    }
    wait.set(channel, entries);
    inputs.set(channel, new Map([...(snapshot.inputs.get(channel) ?? new Map<string, QueueObservation>())].map(([sid, observation]) => [sid, encodeInputs(observation)])));
  }
  const history = new Map(snapshot.record.channels.map((channel) => [channel, snapshot.history.get(channel) ?? new Map<string, string>()]));
  return { wait, names, inputs, history };
}

/** Changes from `before` to `after`: pairs to set and keys to delete. */
function changes(before: Map<string, string> | undefined, after: Map<string, string>): { set: string[]; deleted: string[] } {
  const set: string[] = [];
  for (const [field, value] of after) if (before?.get(field) !== value) set.push(field, value);
  const deleted = before ? [...before.keys()].filter((field) => !after.has(field)) : [];
  return { set, deleted };
}

/**
 * Reads the live entries and names back as a diff base (a process that has not written yet, or
 * whose base another run replaced). The record's sequence is read before and after in the same
 * request; a write in between makes the read worthless, and it is tried again once. Returns null
 * when there is no live refresh record (nothing to diff against).
 */
export async function readBase(redis: Redis, workspaceSid: string, channels: string[]): Promise<{ base: WriteBase | null; bytesRead: number }> {
  const keys = liveKeys(workspaceSid);
  for (let attempt = 0; attempt < 2; attempt++) {
    let replies: unknown[];
    try {
      const pipeline = redis.pipeline().hget(keys.refresh, 'sequence');
      for (const channel of channels) pipeline.hgetall(keys.wait(channel)).hgetall(keys.history(channel));
      replies = await pipeline.hgetall(keys.names).hget(keys.refresh, 'readAtMs').hget(keys.refresh, 'sequence').exec();
    } catch (error) {
      throw cacheFailure('Reading the live entries (diff base)', error, redis);
    }
    const [before, ...rest] = replies;
    const after = rest.pop();
    if (String(before) !== String(after)) continue;
    const bytesRead = requestBytes(replies);
    if (before == null) return { base: null, bytesRead };
    const readAtMs = Number(rest.pop());
    const names = new Map(hashPairs(rest.pop(), 'the names'));
    const wait = new Map(channels.map((channel, index) => {
      const entries = new Map(hashPairs(rest[2 * index], 'the live entries'));
      entries.delete(STAMP_FIELD);
      return [channel, entries];
    }));
    const history = new Map(channels.map((channel, index) => [channel, new Map(hashPairs(rest[2 * index + 1], 'the histories'))]));
    return { base: { workspaceSid, sequence: Number(before), wait, names, history, readAtMs }, bytesRead };
  }
  throw new CacheError('Reading the live entries (diff base) failed: other refreshes kept writing meanwhile');
}

interface Sent {
  requests: number;
  bytesSent: number;
}

async function evalScript(redis: Redis, script: string, keys: string[], args: string[], step: string, sent: Sent): Promise<unknown> {
  // Never near MAX_REQUEST_BYTES: a diff is at most MAX_DIFF_BYTES, a commit a few keys and the record.
  sent.requests++;
  sent.bytesSent += requestBytes(['EVAL', script, keys.length, ...keys, ...args]);
  try {
    return await redis.eval(script, keys, args);
  } catch (error) {
    throw cacheFailure(step, error, redis);
  }
}

/** What dates this write's entries in each wait hash: its run, read time and clock offset. */
function stampOf(snapshot: Snapshot, start: RefreshStart): string {
  return encodeStamp({ sequence: start.sequence, readAtMs: snapshot.record.readAtMs, clockOffsetMs: start.redisNowMs - start.localNowMs });
}

/** The record as this write stores it. */
function fullRecord(snapshot: Snapshot, start: RefreshStart, fullWriteAtMs: number): RefreshRecord {
  return { ...snapshot.record, layout: LAYOUT_VERSION, clockOffsetMs: start.redisNowMs - start.localNowMs, fullWriteAtMs };
}

/** Stages every hash in chunks (each command short), then commits them at once. */
async function writeFull(redis: Redis, snapshot: Snapshot, stored: ReturnType<typeof storedForm>, start: RefreshStart, ttlSeconds: number, sent: Sent): Promise<WriteOutcome> {
  const live = liveKeys(snapshot.workspaceSid);
  const staging = stagingKeys(snapshot.workspaceSid, `${start.sequence}-${randomBytes(4).toString('hex')}`);
  const hashes: { staging: string; live: string; pairs: string[] }[] = [{ staging: staging.names, live: live.names, pairs: [...stored.names].flat() }];
  const stamp = stampOf(snapshot, start);
  for (const channel of snapshot.record.channels) {
    hashes.push({ staging: staging.wait(channel), live: live.wait(channel), pairs: [...[...stored.wait.get(channel)!].flat(), STAMP_FIELD, stamp] });
    hashes.push({ staging: staging.history(channel), live: live.history(channel), pairs: [...stored.history.get(channel)!].flat() });
    hashes.push({ staging: staging.inputs(channel), live: live.inputs(channel), pairs: [...stored.inputs.get(channel)!].flat() });
  }
  const commands: (string | number)[][] = [];
  for (const hash of hashes) {
    for (let index = 0; index < hash.pairs.length; index += PAIRS_PER_COMMAND * 2) commands.push(['hset', hash.staging, ...hash.pairs.slice(index, index + PAIRS_PER_COMMAND * 2)]);
    if (hash.pairs.length > 0) commands.push(['expire', hash.staging, STAGING_TTL_SECONDS]);
  }
  try {
    let batch: (string | number)[][] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const pipeline = redis.pipeline();
      for (const [name, key, ...args] of batch) {
        if (name === 'hset') pipeline.hset(String(key), Object.fromEntries(Array.from({ length: args.length / 2 }, (_, i) => [String(args[2 * i]), args[2 * i + 1]])));
        else pipeline.expire(String(key), Number(args[0]));
      }
      sent.requests++;
      sent.bytesSent += requestBytes(batch);
      try {
        await pipeline.exec();
      } catch (error) {
        throw cacheFailure('Staging the full write', error, redis);
      }
      batch = [];
      batchBytes = 0;
    };
    for (const command of commands) {
      const bytes = requestBytes(command);
      if (bytes > MAX_REQUEST_BYTES) throw new CacheError(`Staging the full write: one command is ${(bytes / 1e6).toFixed(1)} MB`);
      if (batchBytes + bytes > STAGING_REQUEST_BYTES) await flush();
      batch.push(command);
      batchBytes += bytes;
    }
    await flush();
    const record = recordPairs(fullRecord(snapshot, start, start.redisNowMs));
    const result = await evalScript(
      redis,
      COMMIT_SCRIPT,
      [live.refresh, ...hashes.flatMap((hash) => [hash.staging, hash.live])],
      [String(start.sequence), String(ttlSeconds), ...hashes.map((hash) => String(hash.pairs.length / 2)), String(record.length / 2), ...record],
      'Writing the snapshot',
      sent,
    );
    return Number(result) === 1 ? 'written' : 'superseded';
  } catch (error) {
    // Staged keys that were never committed: remove them now (they would expire anyway).
    await redis.del(...hashes.map((hash) => hash.staging)).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a refresh: a diff against `base` when one is valid, else reads the base back, else a full
 * write. Returns the outcome and the new base (null when nothing was written). Throws CacheError; on
 * any throw the live data is as it was.
 */
export async function writeSnapshot(
  redis: Redis,
  snapshot: Snapshot,
  options: { ttlSeconds: number; start: RefreshStart; base: WriteBase | null; forceFull?: boolean; baseJustRead?: boolean },
): Promise<{ report: WriteReport; base: WriteBase | null }> {
  const { ttlSeconds, start } = options;
  const live = liveKeys(snapshot.workspaceSid);
  const stored = storedForm(snapshot);
  const sent: Sent = { requests: 0, bytesSent: 0 };
  let bytesRead = 0;
  const channels = snapshot.record.channels;
  const total = [...stored.wait.values()].reduce((sum, entries) => sum + entries.size, 0);
  const newBase = (): WriteBase => ({ workspaceSid: snapshot.workspaceSid, sequence: start.sequence, wait: stored.wait, names: stored.names, history: stored.history, readAtMs: snapshot.record.readAtMs });
  const full = async (): Promise<{ report: WriteReport; base: WriteBase | null }> => {
    const outcome = await writeFull(redis, snapshot, stored, start, ttlSeconds, sent);
    return { report: { outcome, mode: 'full', entriesWritten: outcome === 'written' ? total : 0, entriesDeleted: 0, ...sent, bytesRead }, base: outcome === 'written' ? newBase() : null };
  };

  // The caller read the live data just now and found none: nothing to diff against.
  if (options.forceFull || (options.baseJustRead && options.base === null)) return full();
  // A base is only ever one workspace's: another's is no base at all.
  let base = options.base?.workspaceSid === snapshot.workspaceSid ? options.base : null;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!base || attempt > 0) {
      const read = await readBase(redis, snapshot.workspaceSid, channels);
      bytesRead += read.bytesRead;
      if (!read.base) return full();
      base = read.base;
    }
    const nameChanges = changes(base.names, stored.names);
    const perChannel = channels.map((channel) => changes(base!.wait.get(channel), stored.wait.get(channel)!));
    const historyChanges = channels.map((channel) => changes(base!.history.get(channel), stored.history.get(channel)!));
    // fullWriteAtMs is left out of the pairs: a diff keeps the live one.
    const pairs = recordPairs(fullRecord(snapshot, start, 0)).filter((_, index, all) => all[index - (index % 2)] !== 'fullWriteAtMs');
    const stamp = stampOf(snapshot, start);
    const args = [String(start.sequence), String(base.sequence), String(ttlSeconds), String(start.redisNowMs), stamp, String(pairs.length / 2), ...pairs, String(nameChanges.set.length / 2), ...nameChanges.set, String(nameChanges.deleted.length), ...nameChanges.deleted];
    perChannel.forEach(({ set, deleted }, index) => {
      const history = historyChanges[index]!;
      args.push(String(set.length / 2), ...set, String(deleted.length), ...deleted, String(history.set.length / 2), ...history.set, String(history.deleted.length), ...history.deleted);
    });
    const keys = [live.refresh, live.names, ...channels.map((channel) => live.wait(channel)), ...channels.map((channel) => live.history(channel)), ...channels.map((channel) => live.inputs(channel))];
    if (requestBytes(['EVAL', DIFF_SCRIPT, keys.length, ...keys, ...args]) > MAX_DIFF_BYTES) return full();
    const result = Number(await evalScript(redis, DIFF_SCRIPT, keys, args, 'Writing the snapshot', sent));
    if (result === -1) continue;
    if (result === -2) return full();
    if (result === 0) return { report: { outcome: 'superseded', mode: 'diff', entriesWritten: 0, entriesDeleted: 0, ...sent, bytesRead }, base: null };
    const written = perChannel.reduce((sum, change) => sum + change.set.length / 2, 0);
    const deleted = perChannel.reduce((sum, change) => sum + change.deleted.length, 0);
    return { report: { outcome: 'written', mode: 'diff', entriesWritten: written, entriesDeleted: deleted, ...sent, bytesRead }, base: newBase() };
  }
  throw new CacheError('Writing the snapshot failed: other refreshes kept changing the live data meanwhile');
}
