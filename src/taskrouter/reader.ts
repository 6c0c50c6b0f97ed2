/**
 * Reads every TaskQueue's statistics in a workspace through the list endpoints: one pass over
 * `TaskQueues/Statistics` per channel, one over `TaskQueues` for the names and `target_workers`, and
 * one over `Workers` for their attributes (which queues share workers), 1,000 a page. A 5,000-queue
 * workspace of 10,000 workers costs 5 statistics pages per channel, 5 name pages and 10 worker pages;
 * the worker pages only when the pools the last run learned cannot be reused (refresh.ts). Pages are
 * read with the refresher's own client (rest.ts), split into items as they stream in (list-page.ts).
 */
import { TaskRouterError } from '../errors';
import { DEFAULT_LOGGED_OUT_ACTIVITIES } from '../config';
import { QUICK_ANSWER_SECONDS, type QueueObservation } from '../estimator';
import { queuePools, workerAttributes } from './pools';
import type { TaskRouterRest } from './rest';

/** The largest page TaskRouter serves. */
export const MAX_PAGE_SIZE = 1000;

/** One queue's statistics on one channel, normalised. */
export interface QueueReading {
  queueSid: string;
  queueName: string;
  channel: string;
  observation: QueueObservation;
}

export interface WorkspaceReading {
  /** Queue SID → friendly name, for every queue listed. */
  queueNames: Map<string, string>;
  /** Per channel, one reading per queue present in both lists. */
  readings: Map<string, QueueReading[]>;
  /** Queues present in one list but not the other (created or deleted during the read). */
  skippedQueueSids: string[];
  /** Queue SID → its pool's key, for queues that share workers with others (taskrouter/pools.ts). */
  poolOf: ReadonlyMap<string, string>;
  /** Share of queues whose `target_workers` could be matched against every worker. */
  poolsResolved: number;
  /** When the Workers list the pools come from was read (ms): this read's start, or earlier when the pools were reused. */
  poolsReadAtMs: number;
  /** Whether the pools were reused (`reusePools`) and the Workers list not read. */
  poolsReused: boolean;
  /** Every queue listed, with its `target_workers`. */
  targets: { sid: string; targetWorkers: string | null }[];
  windowMinutes: number;
  /** When the read started (ISO 8601): the moment the statistics describe. */
  readAt: string;
}

type StatsObject = Record<string, unknown> | null | undefined;

/** A non-negative finite number, or null when absent, null or malformed. Strings of digits count. */
function count(value: unknown): number | null {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : null;
}

/** A JSON object, or null for anything else. */
const asObject = (value: unknown): Record<string, unknown> | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null);

const nested = (stats: StatsObject, key: string): StatsObject => asObject(stats?.[key]);

/** How the statistics are read: which Activities mean "logged out" (matched case-insensitively), and the workspace's mode. */
export interface ObservationOptions {
  loggedOutActivities: readonly string[];
  /** The Workspace's `multi_task_enabled`; null when unknown. */
  multitasking: boolean | null;
}

/** Eligible workers not in a logged-out Activity, or null without `activity_statistics`. */
function loggedInWorkers(realtime: StatsObject, eligible: number | null, loggedOut: ReadonlySet<string>): number | null {
  const activities = realtime?.['activity_statistics'];
  if (!Array.isArray(activities) || activities.length === 0 || eligible === null) return null;
  let out = 0;
  for (const activity of activities as unknown[]) {
    if (typeof activity !== 'object' || activity === null) return null;
    const { friendly_name: name, workers } = activity as Record<string, unknown>;
    const counted = count(workers);
    if (typeof name !== 'string' || counted === null) return null;
    if (loggedOut.has(name.trim().toLowerCase())) out += counted;
  }
  return Math.max(0, eligible - out);
}

/** Accepted tasks that waited at most QUICK_ANSWER_SECONDS, from `split_by_wait_time`, or null. */
function acceptedQuickly(cumulative: StatsObject): number | null {
  const split = nested(nested(cumulative, 'split_by_wait_time'), String(QUICK_ANSWER_SECONDS));
  return count(nested(split, 'below')?.['reservations_accepted']);
}

/**
 * Turns the wire statistics (snake_case inside `cumulative`/`realtime`) into an observation. Every
 * field may be missing: the lean set of the spec's example has no `wait_duration_*`, so the mean wait
 * then comes from `avg_task_acceptance_time` and the estimate says its statistics were lean.
 */
export function observationFrom(cumulative: StatsObject, realtime: StatsObject, windowMinutes: number, options: ObservationOptions = { loggedOutActivities: DEFAULT_LOGGED_OUT_ACTIVITIES, multitasking: null }): QueueObservation {
  const inQueue = nested(cumulative, 'wait_duration_in_queue_until_accepted');
  const untilAccepted = nested(cumulative, 'wait_duration_until_accepted');
  const untilCanceled = nested(cumulative, 'wait_duration_until_canceled');
  const waitDurationsReported = (inQueue ?? untilAccepted) !== null;
  const accepted = count(cumulative?.['reservations_accepted']);
  const acceptanceAvg = count(cumulative?.['avg_task_acceptance_time']);
  const eligibleWorkers = count(realtime?.['total_eligible_workers']);
  const loggedOut = new Set(options.loggedOutActivities.map((name) => name.trim().toLowerCase()));
  const byStatus = nested(realtime, 'tasks_by_status');
  const held = ['reserved', 'assigned', 'wrapping'].map((status) => count(byStatus?.[status]));
  return {
    windowSeconds: windowMinutes * 60,
    tasksWaiting: count(byStatus?.['pending']),
    tasksInService: held.includes(null) ? null : held.reduce((sum: number, value) => sum + value!, 0),
    longestWaitSeconds: count(realtime?.['longest_relative_task_age_in_queue']) ?? count(realtime?.['longest_task_waiting_age']),
    availableWorkers: count(realtime?.['total_available_workers']),
    eligibleWorkers,
    loggedInWorkers: loggedInWorkers(realtime, eligibleWorkers, loggedOut),
    multitasking: options.multitasking,
    acceptedQuickly: acceptedQuickly(cumulative),
    waitDurationsReported,
    avgWaitUntilAcceptedSeconds: count(inQueue?.['avg']) ?? count(untilAccepted?.['avg']) ?? acceptanceAvg,
    tasksEntered: count(cumulative?.['tasks_entered']),
    tasksAccepted: accepted,
    tasksCanceled: count(cumulative?.['tasks_canceled']),
    totalWaitCanceledSeconds: count(untilCanceled?.['total']),
    totalWaitAcceptedSeconds: count(inQueue?.['total']) ?? count(untilAccepted?.['total']) ?? (acceptanceAvg !== null && accepted !== null ? acceptanceAvg * accepted : null),
  };
}

/** Queues read one by one at most, per refresh, when the lists disagree; beyond it they are skipped. */
const MAX_INDIVIDUAL_READS = 100;

/** Runs `task` over `items`, a few at a time. */
async function forEachLimited<T>(items: T[], task: (item: T) => Promise<void>, limit = 5): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

/** The resource, or null when TaskRouter answers 404 (deleted meanwhile). Other failures throw. */
async function fetchOrGone<T>(fetch: () => Promise<T>, step: string): Promise<T | null> {
  try {
    return await fetch();
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return null;
    throw failure(step, error);
  }
}

/** Wraps whatever the client threw in a TaskRouterError that names the step. */
function failure(step: string, error: unknown): TaskRouterError {
  if (error instanceof TaskRouterError) return error;
  const status = (error as { status?: unknown }).status;
  const detail = error instanceof Error ? error.message : String(error);
  return new TaskRouterError(`${step} failed: ${detail}`, typeof status === 'number' ? status : undefined, { cause: error });
}

/** Pools learned earlier, offered for reuse: given every queue's `target_workers`, the pools if still valid, else null. */
export type ReusePools = (targets: readonly { sid: string; targetWorkers: string | null }[]) => { poolOf: ReadonlyMap<string, string>; resolvedShare: number; readAtMs: number } | null;

/**
 * Reads names, `target_workers` and statistics of every queue, channels in parallel, and the Workers'
 * attributes, to learn which queues share workers, unless `reusePools` vouches for pools learned
 * before (then the Workers are read only if it does not, after the queues). Each page is turned into
 * what the estimate needs as it arrives and dropped. Throws TaskRouterError.
 */
export async function readWorkspace(client: TaskRouterRest, workspaceSid: string, channels: string[], windowMinutes: number, readAtMs: number = Date.now(), loggedOutActivities: readonly string[] = DEFAULT_LOGGED_OUT_ACTIVITIES, reusePools?: ReusePools): Promise<WorkspaceReading> {
  const root = `/v1/Workspaces/${workspaceSid}`;
  const readAt = new Date(readAtMs).toISOString();
  // One small request: whether a busy worker stays Available (multitasking) or not. Observations are
  // made as pages stream in, before it answers, and told the mode once it has.
  const modePromise = client.get(root).catch((error: unknown) => {
    throw failure('Reading the Workspace', error);
  });
  const pending: ObservationOptions = { loggedOutActivities, multitasking: null };

  const queueNames = new Map<string, string>();
  const targets: { sid: string; targetWorkers: string | null }[] = [];
  const namesPromise = client
    .eachPage(`${root}/TaskQueues`, { PageSize: MAX_PAGE_SIZE }, 'task_queues', (queue) => {
      const sid = queue['sid'];
      if (typeof sid !== 'string') throw new TaskRouterError('Listing TaskQueues returned a queue without a sid');
      const name = queue['friendly_name'];
      return { sid, name: typeof name === 'string' ? name : sid, targetWorkers: typeof queue['target_workers'] === 'string' ? queue['target_workers'] : null };
    }, (queues) => {
      for (const queue of queues) {
        queueNames.set(queue.sid, queue.name);
        targets.push({ sid: queue.sid, targetWorkers: queue.targetWorkers });
      }
    })
    .catch((error: unknown) => {
      throw failure('Listing TaskQueues', error);
    });
  const workers: { attributes: Record<string, unknown> }[] = [];
  const readWorkers = () =>
    client
      .eachPage(`${root}/Workers`, { PageSize: MAX_PAGE_SIZE }, 'workers', (worker) => ({ attributes: workerAttributes(worker['attributes']) }), (page) => {
        for (const worker of page) workers.push(worker);
      })
      .catch((error: unknown) => {
        throw failure('Listing Workers', error);
      });
  const workersPromise = reusePools ? Promise.resolve() : readWorkers();
  const statsPromises = channels.map(async (channel) => {
    const byQueue = new Map<string, QueueObservation>();
    await client
      .eachPage(
        `${root}/TaskQueues/Statistics`,
        { PageSize: MAX_PAGE_SIZE, Minutes: windowMinutes, TaskChannel: channel, SplitByWaitTime: String(QUICK_ANSWER_SECONDS) },
        'task_queues_statistics',
        (item) => {
          const sid = item['task_queue_sid'];
          if (typeof sid !== 'string') throw new TaskRouterError(`TaskQueue statistics (channel ${channel}) contained an entry without task_queue_sid`);
          return { sid, observation: observationFrom(asObject(item['cumulative']), asObject(item['realtime']), windowMinutes, pending) };
        },
        (page) => {
          for (const { sid, observation } of page) byQueue.set(sid, observation);
        },
      )
      .catch((error: unknown) => {
        throw failure(`Reading TaskQueue statistics (channel ${channel})`, error);
      });
    return byQueue;
  });
  // allSettled first, so no request is left running unobserved when one fails.
  const [mode, names, workersRead, ...stats] = await Promise.allSettled([modePromise, namesPromise, workersPromise, ...statsPromises]);
  for (const result of [mode, names, workersRead, ...stats]) if (result.status === 'rejected') throw result.reason;
  const workspace = (mode as PromiseFulfilledResult<Record<string, unknown>>).value;
  const options: ObservationOptions = { loggedOutActivities, multitasking: typeof workspace['multi_task_enabled'] === 'boolean' ? workspace['multi_task_enabled'] : null };
  const observe = (cumulative: StatsObject, realtime: StatsObject) => observationFrom(cumulative, realtime, windowMinutes, options);
  const reused = reusePools?.(targets) ?? null;
  if (reusePools && !reused) await readWorkers();
  const pools = reused ?? queuePools(targets, workers);

  // The lists are read page by page while queues may be created or deleted: a queue can be in one list
  // and not the other. Those few are read one by one; a 404 means the queue is gone.
  const statsBySid = channels.map((_, index) => (stats[index] as PromiseFulfilledResult<Map<string, QueueObservation>>).value);
  for (const byQueue of statsBySid) for (const observation of byQueue.values()) observation.multitasking = options.multitasking;
  const unnamed = new Set(statsBySid.flatMap((byQueue) => [...byQueue.keys()].filter((sid) => !queueNames.has(sid))));
  const skipped = new Set<string>();
  let individualReads = 0;
  await forEachLimited([...unnamed], async (queueSid) => {
    if (++individualReads > MAX_INDIVIDUAL_READS) return void skipped.add(queueSid);
    const queue = await fetchOrGone(() => client.get(`${root}/TaskQueues/${queueSid}`), `Reading TaskQueue ${queueSid}`);
    if (queue === null) skipped.add(queueSid);
    else queueNames.set(queueSid, typeof queue['friendly_name'] === 'string' ? queue['friendly_name'] : queueSid);
  });
  for (const sid of skipped) queueNames.delete(sid);

  const readings = new Map<string, QueueReading[]>();
  for (const [index, channel] of channels.entries()) {
    const byQueue = statsBySid[index]!;
    const missing = [...queueNames.keys()].filter((sid) => !byQueue.has(sid));
    await forEachLimited(missing, async (queueSid) => {
      if (++individualReads > MAX_INDIVIDUAL_READS) return void skipped.add(queueSid);
      const queue = `${root}/TaskQueues/${queueSid}`;
      const pair = await fetchOrGone(
        () => Promise.all([client.get(`${queue}/CumulativeStatistics`, { Minutes: windowMinutes, TaskChannel: channel, SplitByWaitTime: String(QUICK_ANSWER_SECONDS) }), client.get(`${queue}/RealTimeStatistics`, { TaskChannel: channel })]),
        `Reading statistics of TaskQueue ${queueSid}`,
      );
      if (pair === null) skipped.add(queueSid);
      else byQueue.set(queueSid, observe(pair[0], pair[1]));
    });
    const channelReadings: QueueReading[] = [];
    for (const [queueSid, observation] of byQueue) {
      const queueName = queueNames.get(queueSid);
      if (queueName === undefined || skipped.has(queueSid)) continue;
      channelReadings.push({ queueSid, queueName, channel, observation });
    }
    readings.set(channel, channelReadings);
  }
  // A queue found gone while reading a later channel leaves the earlier channels' readings too.
  for (const [channel, channelReadings] of readings) readings.set(channel, channelReadings.filter((queue) => !skipped.has(queue.queueSid)));
  for (const sid of skipped) queueNames.delete(sid);
  return { queueNames, readings, skippedQueueSids: [...skipped], poolOf: pools.poolOf, poolsResolved: pools.resolvedShare, poolsReadAtMs: reused?.readAtMs ?? readAtMs, poolsReused: reused !== null, targets, windowMinutes, readAt };
}
