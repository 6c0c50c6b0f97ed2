/**
 * What the cache holds per queue: the compact entry get-queue-times answers from, and the refresh
 * record that dates every entry. An entry carries no time of its own: its age is the refresh
 * record's, so an entry that did not change stays as fresh as the last refresh.
 */
import { CacheError } from '../errors';
import type { Confidence, EstimateReason, EstimatorName, QueueObservation, WaitRange } from '../estimator';

/** One queue on one channel, as served. */
export interface QueueWaitEntry {
  queueSid: string;
  queueName: string;
  channel: string;
  /** Whole seconds, or null when the data cannot support an estimate. */
  estimatedWaitSeconds: number | null;
  /** Where about 80% of callers' waits should fall, seconds; null when the estimate is. */
  waitRange: WaitRange | null;
  /** The gamma shape of the wait model behind the range (hold music's remaining wait); absent in older entries. */
  waitShape?: number | null;
  /**
   * The queue's mean wait of the window, two significant figures: what the answer moves towards as the
   * reading ages (estimator/answer.ts). Absent in older entries, from other estimators, and when the
   * window accepted nothing.
   */
  windowWaitSeconds?: number;
  confidence: Confidence;
  reason?: EstimateReason;
  tasksWaiting: number | null;
  availableWorkers: number | null;
}

/** The stored JSON of an entry: everything but the SID (the hash field) and the channel (the key). */
export function encodeEntry(entry: QueueWaitEntry): string {
  const { queueSid: _sid, channel: _channel, ...stored } = entry;
  return JSON.stringify(stored);
}

/** Parses a stored entry; a malformed one is reported, not served. */
export function decodeEntry(queueSid: string, channel: string, raw: unknown): QueueWaitEntry {
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : null;
  } catch {
    parsed = null;
  }
  const candidate = parsed as Partial<QueueWaitEntry> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.queueName !== 'string' || !('estimatedWaitSeconds' in candidate)) {
    throw new CacheError('The cache holds a malformed queue entry');
  }
  return { ...(candidate as Omit<QueueWaitEntry, 'queueSid' | 'channel'>), queueSid, channel };
}

/** When the entries of a wait:{channel} hash were written: the part of the refresh record a read needs. */
export type RefreshStamp = Pick<RefreshRecord, 'sequence' | 'readAtMs' | 'clockOffsetMs'>;

export function encodeStamp(stamp: RefreshStamp): string {
  return `${stamp.sequence},${stamp.readAtMs},${stamp.clockOffsetMs}`;
}

/** The stamp from its stored text, or null when it is absent or malformed. */
export function decodeStamp(raw: unknown): RefreshStamp | null {
  if (typeof raw !== 'string') return null;
  const [sequence, readAtMs, clockOffsetMs] = raw.split(',').map(Number) as [number, number, number];
  if (![sequence, readAtMs, clockOffsetMs].every(Number.isFinite)) return null;
  return { sequence, readAtMs, clockOffsetMs };
}

/** What one refresh stores about itself. */
export interface RefreshRecord {
  /** The run's number from Redis (INCR at its start): orders refreshes whatever the hosts' clocks say. */
  sequence: number;
  layout: number;
  /** Refresher's clock when the statistics were read, ms. */
  readAtMs: number;
  /** Redis's clock minus the refresher's, measured at the run's start, ms. */
  clockOffsetMs: number;
  refreshedAt: string;
  queueCount: number;
  channels: string[];
  estimator: EstimatorName;
  windowMinutes: number;
  durationMs: number;
  requests: number;
  /** Redis's clock at the last full write, ms: the safety net rewrites everything once per TTL. The inputs date from it. */
  fullWriteAtMs: number;
}

const NUMBER_FIELDS = ['sequence', 'layout', 'readAtMs', 'clockOffsetMs', 'queueCount', 'windowMinutes', 'durationMs', 'requests', 'fullWriteAtMs'] as const;
/** Field names of the record, in the order `recordPairs` writes them. */
export const RECORD_FIELDS = [...NUMBER_FIELDS, 'refreshedAt', 'channels', 'estimator'] as const;

export function recordPairs(record: RefreshRecord): string[] {
  return RECORD_FIELDS.flatMap((field) => [field, field === 'channels' ? record.channels.join(',') : String(record[field])]);
}

/** The record from its hash fields (in RECORD_FIELDS order), or null when there is none. */
export function recordFrom(values: readonly unknown[]): RefreshRecord | null {
  if (values[0] === null || values[0] === undefined) return null;
  const field = (name: (typeof RECORD_FIELDS)[number]) => values[RECORD_FIELDS.indexOf(name)];
  const record = Object.fromEntries(NUMBER_FIELDS.map((name) => [name, Number(field(name) ?? NaN)])) as Record<(typeof NUMBER_FIELDS)[number], number>;
  return {
    ...record,
    refreshedAt: String(field('refreshedAt') ?? ''),
    channels: String(field('channels') ?? '').split(',').filter(Boolean),
    estimator: String(field('estimator') ?? 'default') as EstimatorName,
  };
}

/** Every field of the estimator inputs, in the order they are stored. */
const INPUT_FIELDS = Object.keys({
  windowSeconds: 0, tasksWaiting: 0, longestWaitSeconds: 0, availableWorkers: 0, eligibleWorkers: 0, loggedInWorkers: 0, multitasking: 0, tasksInService: 0,
  acceptedQuickly: 0, waitDurationsReported: 0, avgWaitUntilAcceptedSeconds: 0, tasksEntered: 0, tasksAccepted: 0, tasksCanceled: 0, totalWaitCanceledSeconds: 0, totalWaitAcceptedSeconds: 0,
} satisfies Record<keyof QueueObservation, 0>) as (keyof QueueObservation)[];

/**
 * The estimator inputs as stored: a JSON array of the values in INPUT_FIELDS order (about 60 bytes; as
 * an object, 370). A full write stores 5,000 of them, and their size is what it holds in memory.
 */
export function encodeInputs(inputs: QueueObservation): string {
  return JSON.stringify(INPUT_FIELDS.map((field) => inputs[field]));
}

/** The inputs from their stored text (an array, or an object as layouts before 4 stored them), or null when malformed. */
export function decodeInputs(raw: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (Array.isArray(parsed)) return parsed.length === INPUT_FIELDS.length ? Object.fromEntries(INPUT_FIELDS.map((field, index) => [field, parsed[index]])) : null;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
}

/** Redis's clock at a read and this process's clock at the same moment, so ages need no other clock. */
export interface SnapshotClock {
  redisNowMs: number;
  localNowMs: number;
}

/**
 * Milliseconds since the refresh's statistics were read, on Redis's clock: the read time moved onto
 * Redis's clock with the offset measured when the refresh started. Never negative.
 */
export function refreshAgeMs(record: Pick<RefreshRecord, 'readAtMs' | 'clockOffsetMs'>, clock: SnapshotClock, localNowMs: number): number {
  return Math.max(0, clock.redisNowMs + (localNowMs - clock.localNowMs) - (record.readAtMs + record.clockOffsetMs));
}
