/**
 * The refresher's own state in Redis, packed so a fresh process reads back kilobytes, not the whole
 * snapshot: per channel one string of fixed-width records, one per queue in SID order, each the
 * digest of the queue's served entry and its estimator history. From it a process that has never
 * written knows which entries changed (their digests differ) and goes on from the last run's
 * histories, without reading the entries themselves.
 *
 * The string is `{sequence},{sids digest},{names digest},{count},{targets digest},{pools read at},
 * {pools resolved};` then `count` records of RECORD_WIDTH characters (base64url, so JSON and Lua carry
 * them as they are):
 *   entry digest   5 chars  the first 30 bits of the MD5 of the stored entry JSON (a change is missed
 *                           once in 2^30, and the full write once per TTL repairs even that)
 *   busy           4 chars  history busy × 100; NO_HISTORY when the queue has no history
 *   started        4 chars  history start, epoch seconds mod 2^24 (a start is never 194 days old:
 *                           it is within one statistics window, at most 30 days, of the reading);
 *                           COVERED once the average has seen a whole window
 *   slots          3 chars  history slots per worker × 100; UNKNOWN_SLOTS when unknown
 *   pool           3 chars  the record index of the queue's pool key (its smallest SID), NO_POOL when
 *                           the queue shares no workers: with the header's targets digest and the
 *                           time the Workers were read, a refresh reuses the pools without reading
 *                           the Workers list again
 * The sequence names the run that wrote the string, as the wait hash's stamp names the run that wrote
 * the entries: the diff script writes both at once and refuses (full write) when they differ.
 */
import { createHash } from 'node:crypto';

export const RECORD_WIDTH = 19;
const DIGEST_CHARS = 5;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NO_HISTORY = 64 ** 4 - 1;
const COVERED = 0;
const UNKNOWN_SLOTS = 64 ** 3 - 1;
const NO_POOL = 64 ** 3 - 1;
/** Records a state can hold with pools: a pool key's index fits the pool field. */
export const MAX_POOLED_RECORDS = NO_POOL;
const STARTED_MODULUS = 64 ** 4;
/** The largest values a record holds; a history beyond them is stored at the bound. */
const MAX_BUSY_CENTI = NO_HISTORY - 1;
const MAX_SLOTS_CENTI = UNKNOWN_SLOTS - 1;

function fixed(value: number, width: number): string {
  let text = '';
  for (let index = 0; index < width; index++) {
    text = ALPHABET[value % 64]! + text;
    value = Math.floor(value / 64);
  }
  return text;
}

function unfixed(text: string): number {
  let value = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return NaN;
    value = value * 64 + digit;
  }
  return value;
}

/** A short digest of a stored entry: equal entries, equal digests; a changed entry changes it but for 1 in 2^30. */
export function entryDigest(storedEntry: string): string {
  return createHash('md5').update(storedEntry).digest('base64url').slice(0, DIGEST_CHARS);
}

/** A digest of a list of texts, order included (the SIDs of a channel, the name pairs). */
export function listDigest(items: readonly string[]): string {
  const hash = createHash('md5');
  for (const item of items) hash.update(item).update('\n');
  return hash.digest('base64url');
}

/**
 * The record of one queue from its entry digest, its stored history text (estimator/history.ts
 * `encodeHistory`: "busy,started seconds,slots", started 0 once covered) or none, and the index of its
 * pool's key record, or null.
 */
export function packRecord(digest: string, history: string | undefined, poolIndex: number | null): string {
  const pool = fixed(poolIndex ?? NO_POOL, 3);
  const parts = history?.split(',');
  if (!parts || parts.length !== 3) return digest + fixed(NO_HISTORY, 4) + fixed(COVERED, 4) + fixed(UNKNOWN_SLOTS, 3) + pool;
  const busy = Math.min(MAX_BUSY_CENTI, Math.round(Number(parts[0]) * 100));
  const started = Number(parts[1]) % STARTED_MODULUS;
  const slots = parts[2] === '' ? UNKNOWN_SLOTS : Math.min(MAX_SLOTS_CENTI, Math.round(Number(parts[2]) * 100));
  return digest + fixed(busy, 4) + fixed(started, 4) + fixed(slots, 3) + pool;
}

/** The index of the record's pool key, or null when the queue shares no workers (or the record is malformed). */
export function recordPool(record: string): number | null {
  const pool = unfixed(record.slice(DIGEST_CHARS + 11, RECORD_WIDTH));
  return Number.isFinite(pool) && pool !== NO_POOL ? pool : null;
}

/** The entry digest of a record. */
export function recordDigest(record: string): string {
  return record.slice(0, DIGEST_CHARS);
}

/**
 * The history text of a record, or undefined when it holds none or is malformed. `referenceSeconds`
 * is a time at or after the start, less than 194 days later (the run that read the state's reading
 * time): it undoes the modulus.
 */
export function recordHistory(record: string, referenceSeconds: number): string | undefined {
  const busy = unfixed(record.slice(DIGEST_CHARS, DIGEST_CHARS + 4));
  const started = unfixed(record.slice(DIGEST_CHARS + 4, DIGEST_CHARS + 8));
  const slots = unfixed(record.slice(DIGEST_CHARS + 8, DIGEST_CHARS + 11));
  if (record.length !== RECORD_WIDTH || !Number.isFinite(busy + started + slots) || busy === NO_HISTORY) return undefined;
  const startedSeconds = started === COVERED ? 0 : referenceSeconds - ((((referenceSeconds - started) % STARTED_MODULUS) + STARTED_MODULUS) % STARTED_MODULUS);
  return `${busy / 100},${startedSeconds},${slots === UNKNOWN_SLOTS ? '' : slots / 100}`;
}

/** What the header of a channel's state says. */
export interface StateHeader {
  sequence: number;
  sidsDigest: string;
  namesDigest: string;
  count: number;
  /** The digest of every queue's `target_workers` when the pools were learned (`targetsDigest`). */
  targetsDigest: string;
  /** When the Workers list the pools come from was read (ms, the reading clock); 0 when the records hold no pools. */
  poolsReadAtMs: number;
  /** The share of queues whose `target_workers` could be matched then. */
  poolsResolved: number;
}

export function encodeState(header: StateHeader, records: string): string {
  return `${header.sequence},${header.sidsDigest},${header.namesDigest},${header.count},${header.targetsDigest},${header.poolsReadAtMs},${header.poolsResolved};${records}`;
}

/** The digest of every queue's `target_workers`: when it changes, the pools are learned again. */
export function targetsDigest(targets: readonly { sid: string; targetWorkers: string | null }[]): string {
  return listDigest(targets.map((target) => `${target.sid}\t${target.targetWorkers ?? ''}`).sort());
}

/** The header and records of a stored state, or null when absent or malformed (then a full write follows). */
export function decodeState(raw: unknown): { header: StateHeader; records: string } | null {
  if (typeof raw !== 'string') return null;
  const end = raw.indexOf(';');
  const fields = raw.slice(0, Math.max(0, end)).split(',');
  if (end < 0 || fields.length !== 7) return null;
  const [sequence, sidsDigest, namesDigest, count, targets, poolsReadAtMs, poolsResolved] = fields as [string, string, string, string, string, string, string];
  const header = { sequence: Number(sequence), sidsDigest, namesDigest, count: Number(count), targetsDigest: targets, poolsReadAtMs: Number(poolsReadAtMs), poolsResolved: Number(poolsResolved) };
  const records = raw.slice(end + 1);
  if (!Number.isInteger(header.sequence) || !Number.isInteger(header.count) || !Number.isFinite(header.poolsReadAtMs) || !Number.isFinite(header.poolsResolved) || records.length !== header.count * RECORD_WIDTH) return null;
  return { header, records };
}
