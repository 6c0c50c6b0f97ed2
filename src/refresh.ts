/**
 * One refresh: read every queue from TaskRouter, estimate each wait, write the snapshot. A read that
 * fails or comes back partial throws before anything is written, so the previous snapshot stays.
 */
import type { Redis } from '@upstash/redis';
import type { RefresherConfig } from './config';
import { estimateWait } from './estimator';
import { nextSequence, writeSnapshot, type QueueWaitEntry, type Snapshot, type WriteOutcome } from './cache/snapshot';
import { createTaskRouterClient } from './taskrouter/client';
import { readWorkspace, type WorkspaceReading } from './taskrouter/reader';

export interface RefreshReport {
  outcome: WriteOutcome | 'dry-run';
  queues: number;
  channels: string[];
  requests: number;
  retries: number;
  durationMs: number;
  /** Queues left out: deleted while the lists were read, or past the limit of one-by-one reads. */
  skippedQueues: number;
  snapshot: Snapshot;
}

export interface RefreshOptions {
  redis: Redis;
  dryRun?: boolean;
  /** Told about each retry: the request path and status, never a URL with credentials. */
  onRetry?: (info: { path: string; status: number | undefined; attempt: number; delayMs: number }) => void;
  /** The clock that stamps `readAt` (tests skew it); timeouts always use the process's own clock. */
  now?: () => number;
}

/** Builds the snapshot from a workspace reading, estimating each queue with the configured estimator. */
export function buildSnapshot(config: Pick<RefresherConfig, 'estimator' | 'channels'>, workspaceSid: string, reading: WorkspaceReading, run: { startedAtMs: number; sequence: number; durationMs: number; requests: number }): Snapshot {
  const { startedAtMs, sequence, durationMs, requests } = run;
  const entries = new Map<string, QueueWaitEntry[]>();
  const queueSids = new Set<string>();
  for (const [channel, readings] of reading.readings) {
    entries.set(
      channel,
      readings.map((queue) => {
        queueSids.add(queue.queueSid);
        return {
          queueSid: queue.queueSid,
          queueName: queue.queueName,
          channel,
          ...estimateWait(config.estimator, queue.observation),
          estimator: config.estimator,
          inputs: queue.observation,
          windowMinutes: reading.windowMinutes,
          readAt: reading.readAt,
        };
      }),
    );
  }
  return {
    workspaceSid,
    entries,
    meta: {
      sequence,
      startedAtMs,
      refreshedAt: new Date(startedAtMs + durationMs).toISOString(),
      queueCount: queueSids.size,
      channels: config.channels,
      durationMs,
      requests,
    },
  };
}

/** Runs one refresh. Throws TaskRouterError or CacheError; on any throw the cache is untouched. */
export async function refreshOnce(config: RefresherConfig, options: RefreshOptions): Promise<RefreshReport> {
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const { client, http } = createTaskRouterClient(config.twilio, {
    baseUrl: config.taskRouterApiUrl,
    requestTimeoutMs: config.requestTimeoutMs,
    // A local bound, so measured on this process's own clock, never on the (possibly skewed) stamp clock.
    deadline: Date.now() + config.refreshTimeoutSeconds * 1000,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  // The run's place in line comes from Redis, not from this host's clock, so hosts whose clocks
  // disagree still order their snapshots correctly.
  const sequence = options.dryRun ? 0 : await nextSequence(options.redis, config.cache.workspaceSid, config.snapshotTtlSeconds);
  const reading = await readWorkspace(client, config.cache.workspaceSid, config.channels, config.windowMinutes, startedAtMs, config.loggedOutActivities);
  const snapshot = buildSnapshot(config, config.cache.workspaceSid, reading, { startedAtMs, sequence, durationMs: now() - startedAtMs, requests: http.counters.requests });
  const outcome = options.dryRun ? 'dry-run' : await writeSnapshot(options.redis, snapshot, config.snapshotTtlSeconds, { now });
  return {
    outcome,
    queues: snapshot.meta.queueCount,
    channels: config.channels,
    requests: http.counters.requests,
    retries: http.counters.retries,
    durationMs: now() - startedAtMs,
    skippedQueues: reading.skippedQueueSids.length,
    snapshot,
  };
}
