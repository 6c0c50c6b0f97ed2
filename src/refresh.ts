/**
 * One refresh: read every queue from TaskRouter, estimate each wait, write what changed. A read that
 * fails or comes back partial throws before anything is written, so the previous data stays.
 */
import type { Redis } from '@upstash/redis';
import type { RefresherConfig, TwilioCredentials } from './config';
import { advanceHistory, decodeHistory, DEFAULT_PARAMETERS, encodeHistory, estimateWait, poolViews, windowWaitFor, type EstimatorParameters, type QueueObservation } from './estimator';
import type { QueueWaitEntry } from './cache/entry';
import { alignBase, basePools, beginRefresh, previousHistories, readBase, sortedSids, writeSnapshot, type RefreshStart, type Snapshot, type WriteBase, type WriteReport } from './cache/write';
import { ConfigError } from './errors';
import { readWorkspace, type WorkspaceReading } from './taskrouter/reader';
import { TaskRouterRest } from './taskrouter/rest';
import { targetsDigest } from './cache/state';

/**
 * Pools learned from the Workers list are reused for this long (kept in the state with the queues'
 * `target_workers`): skills change rarely, and the list is the largest read of a refresh (10 pages at
 * 10,000 workers). A change of any queue's `target_workers`, or of the queues, reads it again at once.
 */
export const POOLS_MAX_AGE_MS = 10 * 60_000;

export interface RefreshReport {
  outcome: WriteReport['outcome'] | 'dry-run';
  queues: number;
  channels: string[];
  /** TaskRouter requests, retries included. */
  requests: number;
  retries: number;
  durationMs: number;
  /** Queues left out: deleted while the lists were read, or past the limit of one-by-one reads. */
  skippedQueues: number;
  /** Queues in a pool of two or more, and the share of queues whose target_workers could be read (pools.ts). */
  pooledQueues: number;
  poolsResolved: number;
  /** Whether the pools came from the last run's state (POOLS_MAX_AGE_MS) rather than the Workers list. */
  poolsReused: boolean;
  /** What the write sent; null for a dry run. */
  cache: Omit<WriteReport, 'outcome'> | null;
  snapshot: Snapshot;
}

/**
 * What a refresher keeps between runs in one process: the base its next diff is computed against,
 * the packed state that holds the queues' histories too (cache/state.ts). A new process starts empty
 * and reads the base back from Redis once, before it estimates, so its estimates go on from the last
 * run's history; a looping one reads nothing back.
 */
export interface RefreshState {
  base: WriteBase | null;
}

export interface RefreshOptions {
  /** The cache; a dry run needs none. */
  redis?: Redis;
  dryRun?: boolean;
  /** Kept across runs by a looping refresher; without it every run reads its diff base back. */
  state?: RefreshState;
  /** Told about each retry: the request path and status, never a URL with credentials. */
  onRetry?: (info: { path: string; status: number | undefined; attempt: number; delayMs: number }) => void;
  /** The clock that stamps the read (tests skew it); timeouts always use the process's own clock. */
  now?: () => number;
  /** Write everything, not a diff (tests and benchmarks). */
  forceFull?: boolean;
  /** The credentials TaskRouter is read with; default: the configured ones (a Function passes the runtime's). */
  credentials?: TwilioCredentials;
}

/** The last run's histories as stored (per channel, queue SID → text) and when it read. */
export interface PreviousRun {
  history: Map<string, Map<string, string>>;
  readAtMs: number;
}

/**
 * Builds the snapshot from a workspace reading: each queue's history advanced by this reading (from
 * `previous`, the last run's stored histories and when it read), then its estimate.
 */
export function buildSnapshot(
  config: Pick<RefresherConfig, 'estimator' | 'channels'>,
  workspaceSid: string,
  reading: WorkspaceReading,
  run: { sequence: number; startedAtMs: number; durationMs: number; requests: number },
  previous: PreviousRun | null = null,
  parameters: EstimatorParameters = DEFAULT_PARAMETERS,
): Snapshot {
  const entries = new Map<string, QueueWaitEntry[]>();
  const inputs = new Map<string, Map<string, QueueObservation>>();
  const history = new Map<string, Map<string, string>>();
  const queueSids = new Set<string>();
  const readAtMs = Date.parse(reading.readAt);
  const elapsedSeconds = previous ? (readAtMs - previous.readAtMs) / 1000 : 0;
  for (const [channel, readings] of reading.readings) {
    const channelInputs = new Map<string, QueueObservation>();
    const channelHistory = new Map<string, string>();
    const stored = previous?.history.get(channel);
    const advanced = readings.map((queue) => ({ queueSid: queue.queueSid, observation: queue.observation, history: advanceHistory(decodeHistory(stored?.get(queue.queueSid)), queue.observation, elapsedSeconds, readAtMs) }));
    // Queues that share workers are estimated from their pool's reading (estimator/pool.ts).
    const pools = poolViews(advanced, reading.poolOf);
    entries.set(
      channel,
      readings.map((queue, index) => {
        queueSids.add(queue.queueSid);
        channelInputs.set(queue.queueSid, queue.observation);
        const queueHistory = advanced[index]!.history;
        if (queueHistory) channelHistory.set(queue.queueSid, encodeHistory(queueHistory));
        const { estimatedWaitSeconds, waitRange, waitShape, confidence, reason } = estimateWait(config.estimator, queue.observation, queueHistory, parameters, pools.get(queue.queueSid) ?? null);
        const entry: QueueWaitEntry = { queueSid: queue.queueSid, queueName: queue.queueName, channel, estimatedWaitSeconds, waitRange, waitShape, confidence, tasksWaiting: queue.observation.tasksWaiting, availableWorkers: queue.observation.availableWorkers };
        if (reason) entry.reason = reason;
        // What an aged reading moves towards (estimator/answer.ts).
        const window = windowWaitFor(config.estimator, estimatedWaitSeconds, queue.observation);
        if (window !== null) entry.windowWaitSeconds = window;
        return entry;
      }),
    );
    inputs.set(channel, channelInputs);
    history.set(channel, channelHistory);
  }
  return {
    workspaceSid,
    entries,
    inputs,
    history,
    pools: { poolOf: reading.poolOf, resolvedShare: reading.poolsResolved, readAtMs: reading.poolsReadAtMs, targetsDigest: targetsDigest(reading.targets) },
    record: {
      sequence: run.sequence,
      readAtMs,
      refreshedAt: new Date(run.startedAtMs + run.durationMs).toISOString(),
      queueCount: queueSids.size,
      channels: config.channels,
      estimator: config.estimator,
      windowMinutes: reading.windowMinutes,
      durationMs: run.durationMs,
      requests: run.requests,
    },
  };
}

/** Runs one refresh. Throws TaskRouterError or CacheError; on any throw the cache is untouched. */
export async function refreshOnce(config: RefresherConfig, options: RefreshOptions): Promise<RefreshReport> {
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const credentials = options.credentials ?? config.twilio;
  if (!credentials) throw new ConfigError(['TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or an API key) are required to read TaskRouter']);
  const client = new TaskRouterRest(credentials, {
    baseUrl: config.taskRouterApiUrl,
    requestTimeoutMs: config.requestTimeoutMs,
    // A local bound, so measured on this process's own clock, never on the (possibly skewed) stamp clock.
    deadline: Date.now() + config.refreshTimeoutSeconds * 1000,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  try {
    return await refreshWith(client, config, options, startedAtMs);
  } finally {
    client.close();
  }
}

async function refreshWith(client: TaskRouterRest, config: RefresherConfig, options: RefreshOptions, startedAtMs: number): Promise<RefreshReport> {
  const now = options.now ?? Date.now;
  // The run's place in line comes from Redis, not from this host's clock, so hosts whose clocks
  // disagree still order their refreshes correctly; Redis's clock comes with it.
  let start: RefreshStart | null = null;
  const redis = options.redis;
  if (!options.dryRun) {
    if (!redis) throw new ConfigError(['the cache (UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN) is required unless --dry-run']);
    start = await beginRefresh(redis, config.cache.workspaceSid, config.snapshotTtlSeconds);
    // Ages are measured on Redis's clock: the offset relates the stamp clock to it.
    start = { ...start, localNowMs: start.localNowMs + (now() - Date.now()) };
  }
  const state = options.state ?? { base: null };
  // A process without a base reads it now, not at write time: its histories feed the estimates.
  let bytesReadForBase = 0;
  let baseJustRead = false;
  if (start && state.base?.workspaceSid !== config.cache.workspaceSid) {
    baseJustRead = true;
    const read = await readBase(redis!, config.cache.workspaceSid, config.channels);
    state.base = read.base;
    bytesReadForBase = read.bytesRead;
  }
  const base = state.base?.workspaceSid === config.cache.workspaceSid ? state.base : null;
  const reuse = base ? (targets: readonly { sid: string; targetWorkers: string | null }[]) => basePools(base, targets, targetsDigest(targets), startedAtMs, POOLS_MAX_AGE_MS) : undefined;
  const reading = await readWorkspace(client, config.cache.workspaceSid, config.channels, config.windowMinutes, startedAtMs, config.loggedOutActivities, reuse);
  let previous: PreviousRun | null = null;
  if (base) {
    const sids = sortedSids(reading.readings);
    // Queues came or went since the base: its records are in the old order, read once to carry the histories over.
    if (redis) bytesReadForBase += await alignBase(redis, base, sids);
    previous = { history: previousHistories(base, sids), readAtMs: base.readAtMs };
  }
  const snapshot = buildSnapshot(config, config.cache.workspaceSid, reading, { sequence: start?.sequence ?? 0, startedAtMs, durationMs: now() - startedAtMs, requests: client.counters.requests }, previous);
  let outcome: RefreshReport['outcome'] = 'dry-run';
  let cache: RefreshReport['cache'] = null;
  if (start) {
    const { report, base } = await writeSnapshot(redis!, snapshot, { ttlSeconds: config.snapshotTtlSeconds, start, base: state.base, baseJustRead, ...(options.forceFull ? { forceFull: true } : {}) });
    report.bytesRead += bytesReadForBase;
    if (base) state.base = base;
    ({ outcome, ...cache } = report);
  }
  return {
    outcome,
    queues: snapshot.record.queueCount,
    channels: config.channels,
    requests: client.counters.requests,
    retries: client.counters.retries,
    durationMs: now() - startedAtMs,
    skippedQueues: reading.skippedQueueSids.length,
    pooledQueues: reading.poolOf.size,
    poolsResolved: reading.poolsResolved,
    poolsReused: reading.poolsReused,
    cache,
    snapshot,
  };
}
