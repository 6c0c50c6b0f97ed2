/**
 * Reads every TaskQueue's statistics in a workspace through the list endpoints: one pass over
 * `TaskQueues/Statistics` per channel, one over `TaskQueues` for the names and `target_workers`, and
 * one over `Workers` for their attributes (which queues share workers), 1,000 a page. A 5,000-queue
 * workspace of 10,000 workers costs 5 statistics pages per channel, 5 name pages and 10 worker pages.
 */
import type { Twilio } from 'twilio';
import { TaskRouterError } from '../errors';
import { DEFAULT_LOGGED_OUT_ACTIVITIES } from '../config';
import { QUICK_ANSWER_SECONDS, type QueueObservation } from '../estimator';
import { queuePools, workerAttributes } from './pools';

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

function nested(stats: StatsObject, key: string): StatsObject {
  const value = stats?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

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

/** A single-queue statistics resource back in wire shape: the client camelCases top-level keys only. */
function wireShape(resource: object): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key.startsWith('_') || typeof value === 'function') continue;
    wire[key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)] = value;
  }
  return wire;
}

/** Wraps whatever the client threw in a TaskRouterError that names the step. */
function failure(step: string, error: unknown): TaskRouterError {
  if (error instanceof TaskRouterError) return error;
  const status = (error as { status?: unknown }).status;
  const detail = error instanceof Error ? error.message : String(error);
  return new TaskRouterError(`${step} failed: ${detail}`, typeof status === 'number' ? status : undefined, { cause: error });
}

interface StatisticsPage {
  instances: { taskQueueSid?: unknown; cumulative?: unknown; realtime?: unknown }[];
  nextPage(): Promise<StatisticsPage> | undefined;
}

/**
 * Every page of the bulk statistics list (following next_page_url), each entry made its observation as
 * its page arrives: a 5,000-queue workspace never holds more than one page of the client's objects.
 */
async function readStatisticsPages(list: { page(params: object): Promise<StatisticsPage> }, params: object, channel: string, observe: (cumulative: StatsObject, realtime: StatsObject) => Promise<QueueObservation>): Promise<Map<string, QueueObservation>> {
  const byQueue = new Map<string, QueueObservation>();
  let page: StatisticsPage | undefined = await list.page(params);
  while (page) {
    for (const item of page.instances) {
      if (typeof item.taskQueueSid !== 'string') throw new TaskRouterError(`TaskQueue statistics (channel ${channel}) contained an entry without task_queue_sid`);
      byQueue.set(item.taskQueueSid, await observe(item.cumulative as StatsObject, item.realtime as StatsObject));
    }
    page = await page.nextPage();
  }
  return byQueue;
}

/** Every worker's attributes, page by page (1,000 a page), keeping nothing else of the client's objects. */
async function readWorkerAttributes(list: { page(params: object): Promise<WorkerPage> }): Promise<Record<string, unknown>[]> {
  const attributes: Record<string, unknown>[] = [];
  let page: WorkerPage | undefined = await list.page({ pageSize: MAX_PAGE_SIZE });
  while (page) {
    for (const worker of page.instances) attributes.push(workerAttributes(worker.attributes));
    page = await page.nextPage();
  }
  return attributes;
}

interface WorkerPage {
  instances: { attributes?: unknown }[];
  nextPage(): Promise<WorkerPage> | undefined;
}

/**
 * Reads names, `target_workers` and statistics of every queue, channels in parallel, and the Workers'
 * attributes, to learn which queues share workers. Throws TaskRouterError.
 */
export async function readWorkspace(client: Twilio, workspaceSid: string, channels: string[], windowMinutes: number, readAtMs: number = Date.now(), loggedOutActivities: readonly string[] = DEFAULT_LOGGED_OUT_ACTIVITIES): Promise<WorkspaceReading> {
  const workspace = client.taskrouter.v1.workspaces(workspaceSid);
  const readAt = new Date(readAtMs).toISOString();
  // One small request: whether a busy worker stays Available (multitasking) or not.
  const modePromise = workspace.fetch().catch((error: unknown) => {
    throw failure('Reading the Workspace', error);
  });
  const optionsPromise = modePromise.then(({ multiTaskEnabled }): ObservationOptions => ({ loggedOutActivities, multitasking: typeof multiTaskEnabled === 'boolean' ? multiTaskEnabled : null }));
  // A failed Workspace read is reported through modePromise below, not by each page that waited for it.
  optionsPromise.catch(() => undefined);
  // Observations need the Workspace's mode; its request is one small read, usually answered first.
  const observe = async (cumulative: StatsObject, realtime: StatsObject) => observationFrom(cumulative, realtime, windowMinutes, await optionsPromise);
  const namesPromise = workspace.taskQueues.list({ pageSize: MAX_PAGE_SIZE }).catch((error: unknown) => {
    throw failure('Listing TaskQueues', error);
  });
  const workersPromise = readWorkerAttributes(workspace.workers as unknown as { page(params: object): Promise<WorkerPage> }).catch((error: unknown) => {
    throw failure('Listing Workers', error);
  });
  const statsPromises = channels.map((channel) =>
    readStatisticsPages(workspace.taskQueues.statistics, { pageSize: MAX_PAGE_SIZE, minutes: windowMinutes, taskChannel: channel, splitByWaitTime: String(QUICK_ANSWER_SECONDS) }, channel, observe).catch((error: unknown) => {
      throw failure(`Reading TaskQueue statistics (channel ${channel})`, error);
    }),
  );
  // allSettled first, so no request is left running unobserved when one fails.
  const [mode, names, workers, ...stats] = await Promise.allSettled([modePromise, namesPromise, workersPromise, ...statsPromises]);
  for (const result of [mode, names, workers, ...stats]) if (result.status === 'rejected') throw result.reason;

  const queueNames = new Map<string, string>();
  const targets: { sid: string; targetWorkers: string | null }[] = [];
  for (const queue of (names as PromiseFulfilledResult<Awaited<typeof namesPromise>>).value) {
    if (typeof queue.sid !== 'string') throw new TaskRouterError('Listing TaskQueues returned a queue without a sid');
    queueNames.set(queue.sid, typeof queue.friendlyName === 'string' ? queue.friendlyName : queue.sid);
    targets.push({ sid: queue.sid, targetWorkers: typeof queue.targetWorkers === 'string' ? queue.targetWorkers : null });
  }
  const pools = queuePools(targets, (workers as PromiseFulfilledResult<Record<string, unknown>[]>).value.map((attributes) => ({ attributes })));

  // The lists are read page by page while queues may be created or deleted: a queue can be in one list
  // and not the other. Those few are read one by one; a 404 means the queue is gone.
  const statsBySid = channels.map((_, index) => (stats[index] as PromiseFulfilledResult<Map<string, QueueObservation>>).value);
  const unnamed = new Set(statsBySid.flatMap((byQueue) => [...byQueue.keys()].filter((sid) => !queueNames.has(sid))));
  const skipped = new Set<string>();
  let individualReads = 0;
  await forEachLimited([...unnamed], async (queueSid) => {
    if (++individualReads > MAX_INDIVIDUAL_READS) return void skipped.add(queueSid);
    const name = await fetchOrGone(() => workspace.taskQueues(queueSid).fetch(), `Reading TaskQueue ${queueSid}`);
    if (name === null) skipped.add(queueSid);
    else queueNames.set(queueSid, name.friendlyName);
  });
  for (const sid of skipped) queueNames.delete(sid);

  const readings = new Map<string, QueueReading[]>();
  for (const [index, channel] of channels.entries()) {
    const byQueue = statsBySid[index]!;
    const missing = [...queueNames.keys()].filter((sid) => !byQueue.has(sid));
    await forEachLimited(missing, async (queueSid) => {
      if (++individualReads > MAX_INDIVIDUAL_READS) return void skipped.add(queueSid);
      const queue = workspace.taskQueues(queueSid);
      const pair = await fetchOrGone(
        () => Promise.all([queue.cumulativeStatistics().fetch({ minutes: windowMinutes, taskChannel: channel, splitByWaitTime: String(QUICK_ANSWER_SECONDS) }), queue.realTimeStatistics().fetch({ taskChannel: channel })]),
        `Reading statistics of TaskQueue ${queueSid}`,
      );
      if (pair === null) skipped.add(queueSid);
      else byQueue.set(queueSid, await observe(wireShape(pair[0]), wireShape(pair[1])));
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
  return { queueNames, readings, skippedQueueSids: [...skipped], poolOf: pools.poolOf, poolsResolved: pools.resolvedShare, windowMinutes, readAt };
}
