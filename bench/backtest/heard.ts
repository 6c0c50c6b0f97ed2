/**
 * What every caller of a timeline would have heard: the timeline replayed as TaskRouter statistics
 * (dev/replay/replay.ts), read every `refreshSeconds` as the refresher reads them (observationFrom),
 * each reading turned into a snapshot by the refresher's own `buildSnapshot`, its history carried from
 * the reading before as a looping refresher carries it. A caller hears the last snapshot taken before
 * their task appears in the statistics, aged by the time between that reading and their call, as
 * get-queue-times ages it.
 */
import { Replay } from '../../dev/replay/replay';
import { outcomeOf, type Timeline } from '../../dev/replay/timeline';
import { answerAt, decodeHistory, estimateWait, freeSlot, noAgents, QUICK_ANSWER_SECONDS, type EstimatorName, type EstimatorParameters, type QueueHistory, type QueueObservation, type WaitModel, type WaitRange } from '../../src/estimator';
import { DEFAULT_LOGGED_OUT_ACTIVITIES } from '../../src/config';
import { buildSnapshot } from '../../src/refresh';
import { queuePools, workerAttributes } from '../../src/taskrouter/pools';
import type { Snapshot } from '../../src/cache/write';
import { observationFrom, type QueueReading } from '../../src/taskrouter/reader';
import type { QueueWaitEntry } from '../../src/cache/entry';

/** The estimators scored besides the default, each from the same reading and history. */
export const OTHER_ESTIMATORS = ['original', 'head-of-line', 'queue-length'] as const satisfies readonly EstimatorName[];

/**
 * What a caller's queue looked like in the reading they heard, as the default saw it: a free slot
 * (rates.ts `freeSlot`: told 0), nobody waiting in the queue but no free slot (every agent busy, or
 * the queue's pool has callers waiting in its other queues), callers waiting in the queue, or no
 * estimate possible (no agents, no statistics of the line).
 */
export const FOUND = ['free slot', 'own line empty, no free slot', 'callers waiting in its line', 'no agents or no line statistics'] as const;
export type Found = (typeof FOUND)[number];

/** What the caller found, from the reading and history the default used. */
export function foundBy(observation: QueueObservation, history: QueueHistory | null): Found {
  if (noAgents(observation) !== null || observation.tasksWaiting === null) return 'no agents or no line statistics';
  if (freeSlot(observation, history)) return 'free slot';
  return observation.tasksWaiting === 0 ? 'own line empty, no free slot' : 'callers waiting in its line';
}

/** One caller: what they were told and what happened. */
export interface HeardCaller {
  queue: string;
  channel: string;
  /** Days since the timeline's first midnight: the bootstrap's blocks. */
  day: number;
  outcome: 'accepted' | 'abandoned';
  /** The task's TaskRouter priority (higher first; the bank log's priority customers are 1). */
  priority: number;
  /** Seconds from joining the queue to an agent (accepted) or to hanging up (abandoned). */
  waitSeconds: number;
  /** Each estimator's estimate, seconds; null where it gave no number. */
  estimates: Record<EstimatorName, number | null>;
  /** The default's range and model shape (its phrase comes from them). */
  range: WaitRange | null;
  shape: number | null;
  /** The default's whole model as the caller heard it (estimator/answer.ts); absent: the estimate and shape alone. */
  model?: WaitModel;
  /** What the caller's queue looked like in the reading they heard. */
  found: Found;
  /** Agents Available for the caller's queue in that reading (`total_available_workers`); null when not reported. */
  availableWorkers: number | null;
}

export interface HeardOptions {
  refreshSeconds: number;
  windowMinutes: number;
  /** Names the replayed workspace. */
  name: string;
  /** Where the source has them (an export): its workspace and queue SIDs. */
  workspaceSid?: string;
  queueSids?: ReadonlyMap<string, string>;
  /** The default's parameters (tuning on January); default DEFAULT_PARAMETERS. */
  parameters?: EstimatorParameters;
}

/**
 * Every task that joined after the warm-up (the first window, when the refresher has no history yet)
 * and was answered or abandoned, with what each estimator told it. Readings are taken at the
 * timeline's start plus whole cadences.
 */
export function heardCallers(timeline: Timeline, options: HeardOptions): HeardCaller[] {
  const { refreshSeconds, windowMinutes } = options;
  const cadenceMs = refreshSeconds * 1000;
  const windowMs = windowMinutes * 60_000;
  const replay = new Replay(timeline, { name: options.name, retentionMinutes: windowMinutes + 5, ...(options.workspaceSid ? { workspaceSid: options.workspaceSid } : {}), ...(options.queueSids ? { queueSids: options.queueSids } : {}) });
  const queueRecords = replay.queues();
  const queueNames = new Map(queueRecords.map((queue) => [queue.sid, queue.friendlyName]));
  const sidOf = new Map(queueRecords.map((queue) => [queue.friendlyName, queue.sid]));
  const { channels } = timeline;
  // As the refresher learns them: the queues' target_workers matched against the Workers' attributes.
  const pools = queuePools(queueRecords, replay.listWorkers().map((worker) => ({ attributes: workerAttributes(worker.attributes) })));
  const config = { estimator: 'default' as const, channels };
  const warmUpEndsMs = timeline.startMs + windowMs;
  const heard: HeardCaller[] = [];
  let previous: Snapshot | null = null;
  let next = 0;
  const tasks = timeline.tasks;
  for (let readAtMs = timeline.startMs, run = 1; next < tasks.length; readAtMs += cadenceMs, run++) {
    replay.advanceTo(readAtMs);
    const readings = new Map<string, QueueReading[]>();
    for (const channel of channels) {
      readings.set(channel, queueRecords.map((queue) => {
        const cumulative = replay.cumulative(queue.sid, { startMs: readAtMs - windowMs, endMs: readAtMs, taskChannel: channel, splitByWaitTime: [QUICK_ANSWER_SECONDS] });
        const realtime = replay.realtime(queue.sid, channel);
        const observation = observationFrom(cumulative, realtime, windowMinutes, { loggedOutActivities: DEFAULT_LOGGED_OUT_ACTIVITIES, multitasking: replay.multiTaskEnabled });
        return { queueSid: queue.sid, queueName: queue.friendlyName, channel, observation };
      }));
    }
    const snapshot = buildSnapshot(
      config,
      replay.workspaceSid,
      { queueNames, readings, skippedQueueSids: [], poolOf: pools.poolOf, poolsResolved: pools.resolvedShare, poolsReadAtMs: timeline.startMs, poolsReused: false, targets: queueRecords, windowMinutes, readAt: new Date(readAtMs).toISOString() },
      { sequence: run, startedAtMs: readAtMs, durationMs: 0, requests: 0 },
      previous === null ? null : { history: previous.history, readAtMs: previous.record.readAtMs },
      options.parameters,
    );
    previous = snapshot;
    // Tasks that appear in the next reading heard this one.
    const entries = new Map<string, QueueWaitEntry>();
    for (const [channel, list] of snapshot.entries) for (const entry of list) entries.set(`${entry.queueSid} ${channel}`, entry);
    while (next < tasks.length && tasks[next]!.enteredAtMs <= readAtMs + cadenceMs) {
      const task = tasks[next++]!;
      const outcome = outcomeOf(task);
      if (task.enteredAtMs < warmUpEndsMs || outcome === 'unresolved') continue;
      const queueSid = sidOf.get(task.queue)!;
      const entry = entries.get(`${queueSid} ${task.channel}`)!;
      const observation: QueueObservation = snapshot.inputs.get(task.channel)!.get(queueSid)!;
      const history = decodeHistory(snapshot.history.get(task.channel)!.get(queueSid));
      // What get-queue-times would have answered when the caller asked: the reading aged by then.
      const answer = answerAt(entry, (task.enteredAtMs - readAtMs) / 1000);
      const estimates = { default: answer?.seconds ?? null } as Record<EstimatorName, number | null>;
      for (const name of OTHER_ESTIMATORS) estimates[name] = estimateWait(name, observation, history).estimatedWaitSeconds;
      heard.push({
        queue: task.queue,
        channel: task.channel,
        day: Math.floor((task.enteredAtMs - timeline.startMs) / 86_400_000),
        outcome,
        priority: task.priority,
        waitSeconds: ((task.acceptedAtMs ?? task.canceledAtMs)! - task.enteredAtMs) / 1000,
        estimates,
        range: answer?.range ?? null,
        shape: entry.waitShape ?? null,
        ...(answer ? { model: answer.model } : {}),
        found: foundBy(observation, history),
        availableWorkers: observation.availableWorkers,
      });
    }
  }
  return heard;
}
