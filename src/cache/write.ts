/**
 * How a refresh reaches the cache: only what changed, atomically, never over a newer run.
 *
 * - A refresh takes its run number and Redis's clock in one request of two commands (`beginRefresh`).
 * - Normally it sends one short script with the entries whose content changed since the live data,
 *   the records of the packed state (state.ts) that changed, and the refresh record (`DIFF_SCRIPT`).
 *   Unchanged entries are not resent: their age comes from the record, so they stay fresh. What
 *   changed is decided from the packed state alone, so a process that has never written reads back
 *   ~17 bytes a queue, not the entries (`readBase`).
 * - The first write, a layout change, queues or names that changed, any doubt about the live data (a
 *   key gone, of the wrong type, or written by another run than the state says), a diff too large for
 *   one short script, and once per SNAPSHOT_TTL_SECONDS as a safety net, it writes everything: staged
 *   in chunks (each command short), then renamed over the live keys by a short script
 *   (`COMMIT_SCRIPT`). The estimator inputs (for the dashboard and debugging) are written only then:
 *   they change on nearly every refresh, and sending them each time would cost more than the entries.
 * Readers see the whole diff or none of it, and a full write all at once. Entries of two consecutive
 * refreshes sit side by side only in the sense that an unchanged entry was computed by an earlier run:
 * its content is exactly what the newer run computed too, so nothing a reader sees is out of date.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { CacheError } from '../errors';
import { arrayReply, cacheFailure } from './redis';
import type { QueueObservation } from '../estimator';
import { encodeEntry, encodeInputs, encodeStamp, recordPairs, type QueueWaitEntry, type RefreshRecord } from './entry';
import { LAYOUT_VERSION, liveKeys, normaliseQueueName, stagingKeys, STAMP_FIELD } from './layout';
import { decodeState, encodeState, entryDigest, listDigest, MAX_POOLED_RECORDS, packRecord, RECORD_WIDTH, recordDigest, recordHistory, recordPool, type StateHeader } from './state';

/** Upstash refuses requests over 10 MB: no request of ours is larger than this, counted as sent. */
export const MAX_REQUEST_BYTES = 9_500_000;
/** A diff larger than this goes the chunked way, so no script holds Redis for long. */
const MAX_DIFF_BYTES = 1_000_000;
/** Field/value pairs per HSET, inside scripts and in staged chunks. */
const PAIRS_PER_COMMAND = 500;
/** How much one staging request carries: small enough that a full write never holds much of itself twice. */
const STAGING_REQUEST_BYTES = 1_000_000;
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
  /** The pools the estimates used, kept in the state so the next refresh may skip the Workers list; absent: none kept. */
  pools?: KnownPools;
}

/** Which queues share workers, as learned from a Workers list (taskrouter/pools.ts) at `readAtMs`. */
export interface KnownPools {
  /** Queue SID → pool key (the pool's smallest SID), for queues in a pool of two or more. */
  poolOf: ReadonlyMap<string, string>;
  resolvedShare: number;
  /** When the Workers list was read (ms, the reading clock). */
  readAtMs: number;
  /** state.ts `targetsDigest` of the queues' `target_workers` then. */
  targetsDigest: string;
}

/** What `beginRefresh` learns in its one request. */
export interface RefreshStart {
  sequence: number;
  /** Redis's clock and this process's at that moment. */
  redisNowMs: number;
  localNowMs: number;
}

/** One channel's packed state as last written (or read back). */
export interface ChannelBase {
  /** The channel's queue SIDs in record order; null when only their digest is known (a state read back). */
  sids: string[] | null;
  header: StateHeader;
  /** RECORD_WIDTH characters a queue (state.ts). */
  records: string;
}

/**
 * What this process last wrote (or read back) for a workspace: the base a diff is computed against.
 * Only valid while the live record's sequence equals `sequence`; the diff script checks that.
 */
export interface WriteBase {
  workspaceSid: string;
  sequence: number;
  /** When the run that wrote it read TaskRouter (ms, its clock). */
  readAtMs: number;
  channels: Map<string, ChannelBase>;
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
 * Applies a diff. KEYS: refresh record, names, then per channel wait, state, queues, inputs.
 * ARGV: sequence, base sequence, ttl, Redis's clock at the run's start (ms), the entries' stamp
 * (written to every wait hash, STAMP_FIELD), then lists (a count, then items): the record pairs, the
 * number of names the live names hash must hold, and per channel a triple (the base state's header, which the live one must be; the new header; the count
 * of records), the entry pairs to set, and the state's changed records as (index, record) pairs in
 * ascending index order.
 * Returns 1 written, 0 superseded (a newer run is live), -1 when the live data is not the base, -2
 * when a full write is due instead: no record, another layout, the last full write a TTL ago, or live
 * data that is not what the base says (a key missing or of another type, entries or state written by
 * another run, a count that differs). Every argument is parsed and every check made before the first
 * write, so a malformed call fails with nothing applied (Redis does not roll a script back).
 */
const DIFF_SCRIPT = `#!lua flags=allow-key-locking
local unpack = unpack or table.unpack
local live = redis.call('HMGET', KEYS[1], 'sequence', 'layout', 'fullWriteAtMs')
local current = tonumber(live[1] or '0')
if current > tonumber(ARGV[1]) then return 0 end
if not live[1] or live[2] ~= '${LAYOUT_VERSION}' or tonumber(live[3] or '0') + tonumber(ARGV[3]) * 1000 <= tonumber(ARGV[4]) then return -2 end
if current ~= tonumber(ARGV[2]) then return -1 end
local n = (#KEYS - 2) / 4
local width = ${RECORD_WIDTH}
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
local record, namesCount, channels = list(2), tonumber(list(1)[1]), {}
for k = 1, n do
  local head = list(3)
  local c = { expected = head[1], header = head[2], count = tonumber(head[3]), sets = list(2), patches = list(2) }
  if not c.expected or not c.header or not c.count then return error('malformed write: no state header') end
  local last = -1
  for i = 1, #c.patches, 2 do
    local index = tonumber(c.patches[i])
    if not index or index <= last or index >= c.count or #c.patches[i + 1] ~= width then return error('malformed write: bad state record') end
    last = index
  end
  channels[k] = c
end
if pos ~= #ARGV + 1 then return error('malformed write: extra arguments') end
if redis.pcall('HLEN', KEYS[2]) ~= namesCount then return -2 end
local base = ARGV[2] .. ','
for k = 1, n do
  local c = channels[k]
  local stamp = redis.pcall('HGET', KEYS[2 + 4 * k - 3], '${STAMP_FIELD}')
  local size = redis.pcall('HLEN', KEYS[2 + 4 * k - 3])
  c.state = redis.pcall('GET', KEYS[2 + 4 * k - 2])
  if type(stamp) ~= 'string' or string.sub(stamp, 1, #base) ~= base or size ~= c.count + 1 or type(c.state) ~= 'string' then return -2 end
  c.body = #c.expected + 2
  if string.sub(c.state, 1, c.body - 1) ~= c.expected .. ';' or string.sub(c.expected, 1, #base) ~= base or #c.state - c.body + 1 ~= c.count * width then return -2 end
end
local function apply(command, key, items)
  for i = 1, #items, ${PAIRS_PER_COMMAND * 2} do redis.call(command, key, unpack(items, i, math.min(#items, i + ${PAIRS_PER_COMMAND * 2 - 1}))) end
end
local ttl = tonumber(ARGV[3])
for k = 1, n do
  local c = channels[k]
  -- The stamp goes with the entries: one HSET, one billed command, unless they need more.
  c.sets[#c.sets + 1] = '${STAMP_FIELD}'
  c.sets[#c.sets + 1] = ARGV[5]
  apply('HSET', KEYS[2 + 4 * k - 3], c.sets)
  local pieces, at = { c.header, ';' }, 0
  for i = 1, #c.patches, 2 do
    local index = tonumber(c.patches[i])
    pieces[#pieces + 1] = string.sub(c.state, c.body + at * width, c.body + index * width - 1)
    pieces[#pieces + 1] = c.patches[i + 1]
    at = index + 1
  end
  pieces[#pieces + 1] = string.sub(c.state, c.body + at * width)
  redis.call('SET', KEYS[2 + 4 * k - 2], table.concat(pieces), 'EX', ttl)
end
apply('HSET', KEYS[1], record)
for k = 1, #KEYS do
  if k < 3 or k % 4 ~= 0 then redis.call('EXPIRE', KEYS[k], ttl) end
end
return 1
`;

/**
 * Commits a full write. KEYS: refresh record, then (staging, live) pairs. ARGV: sequence, ttl, the
 * expected size of each staged key ("h" and the field count of a hash, "s" and the length of a
 * string), then the record pairs (a count first). Renames every staged key over its live one (an empty
 * one deletes the live key), or, when superseded or incomplete, drops the staging and changes nothing
 * live. Returns 1 written, 0 superseded.
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
local sizes = {}
for i = 1, m do
  local kind = string.sub(ARGV[2 + i], 1, 1)
  sizes[i] = tonumber(string.sub(ARGV[2 + i], 2))
  local staged = redis.call(kind == 'h' and 'HLEN' or 'STRLEN', KEYS[2 * i])
  if staged ~= sizes[i] then
    drop()
    return error('full write incomplete: ' .. KEYS[2 * i] .. ' has ' .. staged .. ' of ' .. sizes[i] .. (kind == 'h' and ' fields' or ' bytes') .. '; live data untouched')
  end
end
local ttl = tonumber(ARGV[2])
for i = 1, m do
  if sizes[i] > 0 then
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

/** One channel of a snapshot as stored. */
interface StoredChannel {
  /** The channel's queue SIDs, sorted: the state's record order. */
  sids: string[];
  /** Queue SID → stored entry JSON. */
  entries: Map<string, string>;
  inputs: Map<string, string>;
  header: StateHeader;
  records: string;
}

interface StoredForm {
  channels: Map<string, StoredChannel>;
  names: Map<string, string>;
}

/** Every entry, name, input and state record of the snapshot as it would be stored. */
function storedForm(snapshot: Snapshot, sequence: number): StoredForm {
  const names = new Map<string, string>();
  for (const channel of snapshot.record.channels) {
    for (const entry of snapshot.entries.get(channel) ?? []) {
      const name = normaliseQueueName(entry.queueName);
      if (!names.has(name)) names.set(name, entry.queueSid);
    }
  }
  const namesDigest = listDigest([...names].map(([name, queueSid]) => `${name}\t${queueSid}`).sort());
  const channels = new Map<string, StoredChannel>();
  for (const channel of snapshot.record.channels) {
    const entries = new Map((snapshot.entries.get(channel) ?? []).map((entry) => [entry.queueSid, encodeEntry(entry)]));
    const sids = [...entries.keys()].sort();
    const history = snapshot.history.get(channel);
    const indexOf = new Map(sids.map((queueSid, index) => [queueSid, index]));
    const pools = snapshot.pools;
    // Pools are kept only when every pool key is a record of this channel.
    const keepPools = pools !== undefined && pools.readAtMs > 0 && sids.length <= MAX_POOLED_RECORDS && [...pools.poolOf.values()].every((key) => indexOf.has(key));
    const records = sids.map((queueSid) => packRecord(entryDigest(entries.get(queueSid)!), history?.get(queueSid), keepPools ? (indexOf.get(pools.poolOf.get(queueSid) ?? '') ?? null) : null)).join('');
    const inputs = new Map([...(snapshot.inputs.get(channel) ?? new Map<string, QueueObservation>())].map(([queueSid, observation]) => [queueSid, encodeInputs(observation)]));
    const header: StateHeader = { sequence, sidsDigest: listDigest(sids), namesDigest, count: sids.length, targetsDigest: keepPools ? pools.targetsDigest : '', poolsReadAtMs: keepPools ? pools.readAtMs : 0, poolsResolved: keepPools ? pools.resolvedShare : 0 };
    channels.set(channel, { sids, entries, inputs, header, records });
  }
  return { channels, names };
}

/** The header as stored, without the run: what a diff checks the live state against. */
const headerText = (header: StateHeader) => encodeState(header, '').slice(0, -1);

/**
 * Reads back what a diff needs: the record's run and reading time, and each channel's packed state
 * (about 19 bytes a queue), never the entries. The record's sequence is read first and last in the
 * same request; a write in between makes the read worthless, and it is tried again once. Returns null
 * when there is no live refresh record of this layout (nothing to diff against). A channel whose
 * state is missing or malformed is left out of the base: its next write is a full one.
 */
export async function readBase(redis: Redis, workspaceSid: string, channels: string[]): Promise<{ base: WriteBase | null; bytesRead: number }> {
  const keys = liveKeys(workspaceSid);
  let bytesRead = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    let replies: unknown[];
    try {
      const pipeline = redis.pipeline().hmget(keys.refresh, 'sequence', 'readAtMs', 'layout');
      for (const channel of channels) pipeline.get(keys.state(channel));
      replies = await pipeline.hget(keys.refresh, 'sequence').exec();
    } catch (error) {
      // A key of another type where the state or record should be: nothing to diff against; the full write replaces it.
      if (error instanceof Error && error.message.includes('WRONGTYPE')) return { base: null, bytesRead };
      throw cacheFailure('Reading the refresher state (diff base)', error, redis);
    }
    bytesRead += requestBytes(replies);
    const [fields, ...states] = replies;
    const after = states.pop();
    const [before, readAtMs, layout] = arrayReply(fields, 'the refresh record');
    if (String(before) !== String(after)) continue;
    if (before == null || String(layout) !== String(LAYOUT_VERSION)) return { base: null, bytesRead };
    const base: WriteBase = { workspaceSid, sequence: Number(before), readAtMs: Number(readAtMs), channels: new Map() };
    channels.forEach((channel, index) => {
      // A state of another run than the record's is kept: the diff script finds them apart and writes everything.
      const state = decodeState(states[index]);
      if (state) base.channels.set(channel, { sids: null, ...state });
    });
    return { base, bytesRead };
  }
  throw new CacheError('Reading the refresher state (diff base) failed: other refreshes kept writing meanwhile');
}

/**
 * The SIDs of the channels whose queues changed since the base was written, in the base's record
 * order, so their histories carry over (`previousHistories`); read only for those channels (a full
 * write follows anyway). Returns the bytes read.
 */
export async function alignBase(redis: Redis, base: WriteBase, sidsByChannel: ReadonlyMap<string, readonly string[]>): Promise<number> {
  const unaligned = [...base.channels].filter(([channel, state]) => state.sids === null && state.header.sidsDigest !== listDigest(sidsByChannel.get(channel) ?? []));
  if (unaligned.length === 0) return 0;
  let replies: unknown[];
  try {
    const pipeline = redis.pipeline();
    for (const [channel] of unaligned) pipeline.get(liveKeys(base.workspaceSid).queues(channel));
    replies = await pipeline.exec();
  } catch (error) {
    throw cacheFailure('Reading the queues of the refresher state', error, redis);
  }
  unaligned.forEach(([, state], index) => {
    const sids = typeof replies[index] === 'string' && replies[index] !== '' ? (replies[index] as string).split(',') : [];
    // A list that is not the one the state was written in order of aligns nothing: those queues start afresh.
    if (listDigest(sids) === state.header.sidsDigest) state.sids = sids;
  });
  return requestBytes(replies);
}

/**
 * The histories the base holds, per channel, queue SID → stored text, for the queues of this reading
 * (`sidsByChannel`, sorted). A channel whose queues changed needs its SIDs (`alignBase`) first; without
 * them its queues start afresh.
 */
export function previousHistories(base: WriteBase, sidsByChannel: ReadonlyMap<string, readonly string[]>): Map<string, Map<string, string>> {
  const referenceSeconds = Math.floor(base.readAtMs / 1000);
  const histories = new Map<string, Map<string, string>>();
  for (const [channel, state] of base.channels) {
    const current = sidsByChannel.get(channel) ?? [];
    const sids = state.sids ?? (state.header.sidsDigest === listDigest(current) ? current : []);
    const wanted = new Set(current);
    const channelHistories = new Map<string, string>();
    sids.forEach((queueSid, index) => {
      if (!wanted.has(queueSid)) return;
      const history = recordHistory(state.records.slice(index * RECORD_WIDTH, (index + 1) * RECORD_WIDTH), referenceSeconds);
      if (history !== undefined) channelHistories.set(queueSid, history);
    });
    histories.set(channel, channelHistories);
  }
  return histories;
}

/**
 * The pools the base keeps, if they were learned at most `maxAgeMs` before `nowMs` from the same
 * queues with the same `target_workers` (`targets`, every queue listed, and its digest): then a
 * refresh need not read the Workers list. null when any of that does not hold.
 */
export function basePools(base: WriteBase, targets: readonly { sid: string }[], digest: string, nowMs: number, maxAgeMs: number): KnownPools | null {
  const [first] = base.channels.values();
  if (!first) return null;
  const { header } = first;
  if (!(header.poolsReadAtMs > 0) || nowMs - header.poolsReadAtMs >= maxAgeMs || header.targetsDigest !== digest) return null;
  const listed = targets.map((target) => target.sid).sort();
  const sids = first.sids ?? (header.sidsDigest === listDigest(listed) ? listed : null);
  if (!sids || sids.length !== header.count) return null;
  const poolOf = new Map<string, string>();
  sids.forEach((queueSid, index) => {
    const pool = recordPool(first.records.slice(index * RECORD_WIDTH, (index + 1) * RECORD_WIDTH));
    if (pool !== null && pool < sids.length) poolOf.set(queueSid, sids[pool]!);
  });
  return { poolOf, resolvedShare: header.poolsResolved, readAtMs: header.poolsReadAtMs, targetsDigest: digest };
}

/** Each channel's queue SIDs, sorted, as the state orders them. */
export function sortedSids(entries: ReadonlyMap<string, readonly { queueSid: string }[]>): Map<string, string[]> {
  return new Map([...entries].map(([channel, list]) => [channel, list.map((entry) => entry.queueSid).sort()]));
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

/** A key a full write stages: a hash (field/value pairs) or a string. */
interface StagedKey {
  staging: string;
  live: string;
  pairs?: string[];
  text?: string;
}

/** Stages every key in chunks (each command short), then commits them at once. */
async function writeFull(redis: Redis, snapshot: Snapshot, stored: StoredForm, start: RefreshStart, ttlSeconds: number, sent: Sent): Promise<WriteOutcome> {
  const live = liveKeys(snapshot.workspaceSid);
  const staging = stagingKeys(snapshot.workspaceSid, `${start.sequence}-${randomBytes(4).toString('hex')}`);
  const staged: StagedKey[] = [{ staging: staging.names, live: live.names, pairs: [...stored.names].flat() }];
  const stamp = stampOf(snapshot, start);
  for (const [channel, form] of stored.channels) {
    staged.push({ staging: staging.wait(channel), live: live.wait(channel), pairs: [...[...form.entries].flat(), STAMP_FIELD, stamp] });
    staged.push({ staging: staging.inputs(channel), live: live.inputs(channel), pairs: [...form.inputs].flat() });
    staged.push({ staging: staging.state(channel), live: live.state(channel), text: encodeState(form.header, form.records) });
    staged.push({ staging: staging.queues(channel), live: live.queues(channel), text: form.sids.join(',') });
  }
  const sizeOf = (key: StagedKey) => (key.pairs ? key.pairs.length / 2 : key.text!.length);
  const commands: (string | number)[][] = [];
  for (const key of staged) {
    if (key.text !== undefined) {
      if (key.text !== '') commands.push(['set', key.staging, key.text, 'EX', STAGING_TTL_SECONDS]);
      continue;
    }
    for (let index = 0; index < key.pairs!.length; index += PAIRS_PER_COMMAND * 2) commands.push(['hset', key.staging, ...key.pairs!.slice(index, index + PAIRS_PER_COMMAND * 2)]);
    if (key.pairs!.length > 0) commands.push(['expire', key.staging, STAGING_TTL_SECONDS]);
  }
  try {
    let batch: (string | number)[][] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const pipeline = redis.pipeline();
      for (const [name, key, ...args] of batch) {
        if (name === 'hset') pipeline.hset(String(key), Object.fromEntries(Array.from({ length: args.length / 2 }, (_, i) => [String(args[2 * i]), args[2 * i + 1]])));
        else if (name === 'set') pipeline.set(String(key), String(args[0]), { ex: STAGING_TTL_SECONDS });
        else pipeline.expire(String(key), Number(args[0]));
      }
      sent.requests++;
      // As JSON: the commands, a comma between each, and the brackets.
      sent.bytesSent += batchBytes + batch.length + 1;
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
      [live.refresh, ...staged.flatMap((key) => [key.staging, key.live])],
      [String(start.sequence), String(ttlSeconds), ...staged.map((key) => `${key.pairs ? 'h' : 's'}${sizeOf(key)}`), String(record.length / 2), ...record],
      'Writing the snapshot',
      sent,
    );
    return Number(result) === 1 ? 'written' : 'superseded';
  } catch (error) {
    // Staged keys that were never committed: remove them now (they would expire anyway).
    await redis.del(...staged.map((key) => key.staging)).catch(() => undefined);
    throw error;
  }
}

/** The changes of one channel against its base: entries to set, and changed records as (index, record) pairs. */
function channelChanges(base: ChannelBase, form: StoredChannel): { sets: string[]; patches: string[] } {
  const sets: string[] = [];
  const patches: string[] = [];
  form.sids.forEach((queueSid, index) => {
    const at = index * RECORD_WIDTH;
    const before = base.records.slice(at, at + RECORD_WIDTH);
    const after = form.records.slice(at, at + RECORD_WIDTH);
    if (before === after) return;
    patches.push(String(index), after);
    if (recordDigest(before) !== recordDigest(after)) sets.push(queueSid, form.entries.get(queueSid)!);
  });
  return { sets, patches };
}

/** Whether a diff against `base` can bring the live data to `stored`: same channels, queues and names. */
function diffable(base: WriteBase, stored: StoredForm): boolean {
  if (base.channels.size !== stored.channels.size) return false;
  for (const [channel, form] of stored.channels) {
    const header = base.channels.get(channel)?.header;
    if (!header || header.sidsDigest !== form.header.sidsDigest || header.namesDigest !== form.header.namesDigest || header.count !== form.header.count) return false;
  }
  return true;
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
  const stored = storedForm(snapshot, start.sequence);
  const sent: Sent = { requests: 0, bytesSent: 0 };
  let bytesRead = 0;
  const channels = snapshot.record.channels;
  const total = [...stored.channels.values()].reduce((sum, form) => sum + form.sids.length, 0);
  const newBase = (): WriteBase => ({
    workspaceSid: snapshot.workspaceSid,
    sequence: start.sequence,
    readAtMs: snapshot.record.readAtMs,
    channels: new Map([...stored.channels].map(([channel, form]) => [channel, { sids: form.sids, header: form.header, records: form.records }])),
  });
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
    // Queues, names or channels that changed: the slots of the state move, so everything is rewritten.
    if (!diffable(base, stored)) return full();
    // fullWriteAtMs is left out of the pairs: a diff keeps the live one.
    const pairs = recordPairs(fullRecord(snapshot, start, 0)).filter((_, index, all) => all[index - (index % 2)] !== 'fullWriteAtMs');
    const args = [String(start.sequence), String(base.sequence), String(ttlSeconds), String(start.redisNowMs), stampOf(snapshot, start), String(pairs.length / 2), ...pairs, '1', String(stored.names.size)];
    let written = 0;
    for (const channel of channels) {
      const form = stored.channels.get(channel)!;
      const { sets, patches } = channelChanges(base.channels.get(channel)!, form);
      written += sets.length / 2;
      args.push('1', headerText(base.channels.get(channel)!.header), headerText(form.header), String(form.header.count), String(sets.length / 2), ...sets, String(patches.length / 2), ...patches);
    }
    const keys = [live.refresh, live.names, ...channels.flatMap((channel) => [live.wait(channel), live.state(channel), live.queues(channel), live.inputs(channel)])];
    if (requestBytes(['EVAL', DIFF_SCRIPT, keys.length, ...keys, ...args]) > MAX_DIFF_BYTES) return full();
    const result = Number(await evalScript(redis, DIFF_SCRIPT, keys, args, 'Writing the snapshot', sent));
    if (result === -1) continue;
    if (result === -2) return full();
    if (result === 0) return { report: { outcome: 'superseded', mode: 'diff', entriesWritten: 0, entriesDeleted: 0, ...sent, bytesRead }, base: null };
    return { report: { outcome: 'written', mode: 'diff', entriesWritten: written, entriesDeleted: 0, ...sent, bytesRead }, base: newBase() };
  }
  throw new CacheError('Writing the snapshot failed: other refreshes kept changing the live data meanwhile');
}
