/**
 * The core of get-queue-times and hold-music: validate what Studio sent, read one queue from the
 * snapshot, and describe its wait for a flow (JSON) or a caller (a phrase).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { CHANNEL_PATTERN, DEFAULT_CHANNEL, type WaitTimeConfig } from '../config';
import { CacheError } from '../errors';
import { answerAt, spokenWait, type Confidence, type EstimateReason, type WaitRange } from '../estimator';
import { isSid } from '../sids';
import { announce, roundMinutes, type SpeechWords } from '../speech';
import { normaliseQueueName } from '../cache/layout';
import { cacheHost, createRedis } from '../cache/redis';
import { refreshAgeMs } from '../cache/entry';
import { readQueue, type QueueKey, type QueueLookup } from '../cache/read';
import { HttpError, stringParameter } from './http';

export interface WaitTimeRequest {
  queue: QueueKey;
  channel: string;
}

/** What get-queue-times answers with 200. Field names are a contract with Studio flows. */
export interface QueueWaitTime {
  queueSid: string | null;
  queueName: string | null;
  channel: string;
  /** Whole seconds, or null when unknown. */
  waitTime: number | null;
  /** The same value, for flows built on the original project. */
  waittime: number | null;
  /** The minutes the approximate phrase says (chosen from the wait's predicted distribution): 0 for "less than a minute". */
  waitMinutes: number | null;
  /** Where about 80% of callers' waits should fall, seconds; null when unknown. */
  waitRange: WaitRange | null;
  tasksWaiting: number | null;
  availableWorkers: number | null;
  updatedAt: string | null;
  ageSeconds: number | null;
  stale: boolean;
  /** ok: a fresh-enough estimate; no_agents / no_data: unknown, and why; fallback: the configured default. */
  status: 'ok' | 'no_agents' | 'no_data' | 'fallback';
  confidence: Confidence;
  reason: EstimateReason | 'cache_unavailable' | null;
  /** Ready for a Say widget; null when the wait is unknown. */
  phrase: string | null;
  offerCallback: boolean;
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Reads and validates queueSid / queueName / channel. Throws HttpError 400. */
export function parseWaitTimeRequest(event: Record<string, unknown>): WaitTimeRequest {
  const queueSid = stringParameter(event, 'queueSid', 'the TaskQueue SID, WQ followed by 32 hex digits');
  const queueName = stringParameter(event, 'queueName', "the TaskQueue's friendly name");
  const channel = (stringParameter(event, 'channel', 'the task channel, e.g. voice or chat') ?? DEFAULT_CHANNEL).toLowerCase();
  if (!CHANNEL_PATTERN.test(channel)) throw new HttpError(400, 'invalid_parameter', 'channel must be a task channel name such as voice or chat');
  // Both would leave one of them silently ignored, and they could name different queues.
  if (queueSid !== undefined && queueName !== undefined) throw new HttpError(400, 'invalid_parameter', 'give queueSid or queueName, not both');
  if (queueSid !== undefined) {
    if (!isSid(queueSid, 'WQ')) throw new HttpError(400, 'invalid_parameter', 'queueSid must be WQ followed by 32 hex digits');
    return { queue: { queueSid }, channel };
  }
  if (queueName !== undefined) {
    if (CONTROL_CHARACTERS.test(queueName)) throw new HttpError(400, 'invalid_parameter', 'queueName must not contain control characters');
    return { queue: { queueName }, channel };
  }
  throw new HttpError(400, 'missing_parameter', 'queueSid or queueName is required');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** When WAIT_TIME_API_KEY is set, the request's `key` must equal it (compared in constant time). */
export function checkApiKey(config: Pick<WaitTimeConfig, 'apiKey'>, event: Record<string, unknown>): void {
  if (config.apiKey === undefined) return;
  const supplied = event['key'];
  if (typeof supplied !== 'string' || !timingSafeEqual(digest(supplied), digest(config.apiKey))) {
    throw new HttpError(401, 'unauthorized', 'a valid key parameter is required');
  }
}

/** One Upstash client per warm container and configuration. */
const clients = new Map<string, Redis>();

export function redisFor(config: WaitTimeConfig): Redis {
  const id = `${config.cache.url}\n${config.cache.token}\n${config.cacheTimeoutMs}`;
  let redis = clients.get(id);
  if (!redis) {
    // One network retry at most: the timeout bounds the request, retries included.
    redis = createRedis(config.cache, { timeoutMs: config.cacheTimeoutMs, retries: 1 });
    clients.set(id, redis);
  }
  return redis;
}

/** Most entries one container keeps; the oldest go first. */
const LOCAL_CACHE_MAX_ENTRIES = 10_000;
const localCache = new Map<string, { lookup: QueueLookup; expiresAt: number }>();

/**
 * readQueue with an optional per-container memo (LOCAL_CACHE_SECONDS): answers, including "unknown
 * queue", are reused for a few seconds; failures never are. Ages stay honest because they are computed
 * from the entry's readAt at answer time.
 */
export async function readQueueCached(config: WaitTimeConfig, redis: Redis, request: WaitTimeRequest, nowMs: number): Promise<QueueLookup> {
  if (config.localCacheSeconds === 0) return readQueue(redis, config.cache.workspaceSid, request.channel, request.queue);
  const key = `${config.cache.url}\n${config.cache.workspaceSid}\n${request.channel}\n${'queueSid' in request.queue ? `sid:${request.queue.queueSid}` : `name:${normaliseQueueName(request.queue.queueName)}`}`;
  const cached = localCache.get(key);
  if (cached && cached.expiresAt > nowMs) return cached.lookup;
  const lookup = await readQueue(redis, config.cache.workspaceSid, request.channel, request.queue);
  localCache.delete(key);
  localCache.set(key, { lookup, expiresAt: nowMs + config.localCacheSeconds * 1000 });
  if (localCache.size > LOCAL_CACHE_MAX_ENTRIES) localCache.delete(localCache.keys().next().value!);
  return lookup;
}

/** The whole minutes a fallback wait (no model behind it) is told as: 0 under a minute, else rounded as people say them. */
function spokenMinutes(seconds: number): number {
  return seconds < 60 ? 0 : roundMinutes(seconds);
}

/**
 * Describes a found entry for a flow. Its age is the last refresh's, measured on Redis's clock, so a
 * refresher or a Function with a wrong clock neither makes it negative nor hides staleness.
 */
export function describeEntry(config: WaitTimeConfig, lookup: Extract<QueueLookup, { found: true }>, nowMs: number, words: SpeechWords): QueueWaitTime {
  const { entry, refresh, clock } = lookup;
  const ageMs = refreshAgeMs(refresh, clock, nowMs);
  const ageSeconds = Math.round(ageMs / 1000);
  // The answer at this moment: the reading's, moving towards the window's wait as the reading ages.
  const answer = answerAt(entry, ageMs / 1000);
  const waitTime = answer?.seconds ?? null;
  const waitRange = answer?.range ?? null;
  // The approximate phrase gives waitMinutes, and is the phrase too in the default style: chosen once.
  // The range style speaks the range the flow also gets.
  const approximate = answer === null ? null : spokenWait(answer.model, 'approximate', words);
  let phrase: string | null = null;
  if (answer !== null && approximate !== null) {
    if (config.speechStyle === 'approximate') phrase = approximate.phrase;
    else if (config.speechStyle === 'range' && answer.range) phrase = announce(answer.seconds, 'range', words, answer.range).phrase;
    else phrase = spokenWait(answer.model, config.speechStyle, words).phrase;
  }
  const status = waitTime !== null ? 'ok' : entry.reason === 'no_eligible_workers' || entry.reason === 'all_agents_logged_out' ? 'no_agents' : 'no_data';
  return {
    queueSid: entry.queueSid,
    queueName: entry.queueName,
    channel: entry.channel,
    waitTime,
    waittime: waitTime,
    waitMinutes: approximate === null ? null : approximate.minutes,
    waitRange,
    tasksWaiting: entry.tasksWaiting,
    availableWorkers: entry.availableWorkers,
    updatedAt: new Date(refresh.readAtMs).toISOString(),
    ageSeconds,
    stale: ageSeconds > config.staleAfterSeconds,
    status,
    confidence: entry.confidence,
    reason: entry.reason ?? null,
    phrase,
    offerCallback: waitTime !== null && config.callbackThresholdSeconds !== undefined && waitTime > config.callbackThresholdSeconds,
  };
}

/** The answer when the cache cannot be read and DEFAULT_WAIT_TIME is configured. */
function fallback(config: WaitTimeConfig, request: WaitTimeRequest, defaultWaitTime: number, words: SpeechWords): QueueWaitTime {
  return {
    queueSid: 'queueSid' in request.queue ? request.queue.queueSid : null,
    queueName: 'queueName' in request.queue ? request.queue.queueName : null,
    channel: request.channel,
    waitTime: defaultWaitTime,
    waittime: defaultWaitTime,
    waitMinutes: spokenMinutes(defaultWaitTime),
    waitRange: null,
    tasksWaiting: null,
    availableWorkers: null,
    updatedAt: null,
    ageSeconds: null,
    stale: true,
    status: 'fallback',
    confidence: 'low',
    reason: 'cache_unavailable',
    phrase: announce(defaultWaitTime, config.speechStyle, words).phrase,
    offerCallback: config.callbackThresholdSeconds !== undefined && defaultWaitTime > config.callbackThresholdSeconds,
  };
}

/**
 * Looks the queue up and describes its wait. Throws HttpError: 404 unknown queue or channel, 503 no snapshot or
 * cache unreachable (unless DEFAULT_WAIT_TIME is set, then a fallback answer). `log` is told, in one line,
 * why an answer was not the cache's (the host and cause; never a secret).
 */
export async function getQueueWaitTime(config: WaitTimeConfig, redis: Redis, request: WaitTimeRequest, nowMs: number, log: (line: string) => void = () => undefined): Promise<QueueWaitTime> {
  const words = config.speechWords;
  let lookup;
  try {
    lookup = await readQueueCached(config, redis, request, nowMs);
  } catch (error) {
    if (!(error instanceof CacheError)) throw error;
    if (config.defaultWaitTime !== undefined) {
      log(`answered DEFAULT_WAIT_TIME (fallback): ${error.message}`);
      return fallback(config, request, config.defaultWaitTime, words);
    }
    log(`503 cache_unavailable: ${error.message}`);
    throw new HttpError(503, 'cache_unavailable', 'wait times are unavailable right now; try again shortly');
  }
  if (lookup.found) return describeEntry(config, lookup, nowMs, words);
  if (lookup.reason === 'unknown_channel') throw new HttpError(404, 'unknown_channel', `channel ${request.channel} is not among the refreshed channels (TASK_CHANNELS)`);
  if (lookup.reason === 'no_snapshot') {
    const why = `no snapshot for channel ${request.channel} of workspace ${config.cache.workspaceSid} at ${cacheHost(config.cache.url)} (expired, or the refresher never ran)`;
    if (config.defaultWaitTime !== undefined) {
      log(`answered DEFAULT_WAIT_TIME (fallback): ${why}`);
      return fallback(config, request, config.defaultWaitTime, words);
    }
    log(`503 no_snapshot: ${why}`);
    throw new HttpError(503, 'no_snapshot', `no wait times are cached for channel ${request.channel}; is the refresher running?`);
  }
  throw new HttpError(404, 'unknown_queue', 'queueSid' in request.queue ? 'no queue with that queueSid is in the snapshot' : 'no queue with that queueName is in the snapshot');
}
