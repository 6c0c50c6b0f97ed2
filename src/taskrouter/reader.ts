/**
 * Reads every TaskQueue's statistics in a workspace through the list endpoints: one pass over
 * `TaskQueues/Statistics` per channel and one over `TaskQueues` for the names, 1,000 queues a page.
 * A 5,000-queue workspace costs 5 statistics pages per channel plus 5 name pages.
 */
import type { Twilio } from 'twilio';
import { TaskRouterError } from '../errors';
import type { QueueObservation } from '../estimator';

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

/** Turns the wire statistics (snake_case inside `cumulative`/`realtime`) into an observation. */
export function observationFrom(cumulative: StatsObject, realtime: StatsObject, windowMinutes: number): QueueObservation {
  const inQueue = nested(cumulative, 'wait_duration_in_queue_until_accepted');
  const untilAccepted = nested(cumulative, 'wait_duration_until_accepted');
  const untilCanceled = nested(cumulative, 'wait_duration_until_canceled');
  return {
    windowSeconds: windowMinutes * 60,
    tasksWaiting: count(nested(realtime, 'tasks_by_status')?.['pending']),
    longestWaitSeconds: count(realtime?.['longest_relative_task_age_in_queue']) ?? count(realtime?.['longest_task_waiting_age']),
    availableWorkers: count(realtime?.['total_available_workers']),
    eligibleWorkers: count(realtime?.['total_eligible_workers']),
    avgWaitUntilAcceptedSeconds: count(inQueue?.['avg']) ?? count(untilAccepted?.['avg']),
    tasksEntered: count(cumulative?.['tasks_entered']),
    tasksAccepted: count(cumulative?.['reservations_accepted']),
    tasksCanceled: count(cumulative?.['tasks_canceled']),
    totalWaitCanceledSeconds: count(untilCanceled?.['total']),
    totalWaitAcceptedSeconds: count(inQueue?.['total']) ?? count(untilAccepted?.['total']),
  };
}

/** Wraps whatever the client threw in a TaskRouterError that names the step. */
function failure(step: string, error: unknown): TaskRouterError {
  if (error instanceof TaskRouterError) return error;
  const status = (error as { status?: unknown }).status;
  const detail = error instanceof Error ? error.message : String(error);
  return new TaskRouterError(`${step} failed: ${detail}`, typeof status === 'number' ? status : undefined, { cause: error });
}

/** Reads names and statistics of every queue, channels in parallel. Throws TaskRouterError. */
export async function readWorkspace(client: Twilio, workspaceSid: string, channels: string[], windowMinutes: number): Promise<WorkspaceReading> {
  const workspace = client.taskrouter.v1.workspaces(workspaceSid);
  const readAt = new Date().toISOString();
  const namesPromise = workspace.taskQueues.list({ pageSize: MAX_PAGE_SIZE }).catch((error: unknown) => {
    throw failure('Listing TaskQueues', error);
  });
  const statsPromises = channels.map((channel) =>
    workspace.taskQueues.statistics.list({ pageSize: MAX_PAGE_SIZE, minutes: windowMinutes, taskChannel: channel }).catch((error: unknown) => {
      throw failure(`Reading TaskQueue statistics (channel ${channel})`, error);
    }),
  );
  // allSettled first, so no request is left running unobserved when one fails.
  const [names, ...stats] = await Promise.allSettled([namesPromise, ...statsPromises]);
  for (const result of [names, ...stats]) if (result.status === 'rejected') throw result.reason;

  const queueNames = new Map<string, string>();
  for (const queue of (names as PromiseFulfilledResult<Awaited<typeof namesPromise>>).value) {
    if (typeof queue.sid !== 'string') throw new TaskRouterError('Listing TaskQueues returned a queue without a sid');
    queueNames.set(queue.sid, typeof queue.friendlyName === 'string' ? queue.friendlyName : queue.sid);
  }

  const skipped = new Set<string>();
  const readings = new Map<string, QueueReading[]>();
  channels.forEach((channel, index) => {
    const page = (stats[index] as PromiseFulfilledResult<Awaited<(typeof statsPromises)[number]>>).value;
    const seen = new Set<string>();
    const channelReadings: QueueReading[] = [];
    for (const item of page) {
      const queueSid = item.taskQueueSid;
      if (typeof queueSid !== 'string') throw new TaskRouterError(`TaskQueue statistics (channel ${channel}) contained an entry without task_queue_sid`);
      seen.add(queueSid);
      const queueName = queueNames.get(queueSid);
      if (queueName === undefined) {
        skipped.add(queueSid);
        continue;
      }
      channelReadings.push({
        queueSid,
        queueName,
        channel,
        observation: observationFrom(item.cumulative as StatsObject, item.realtime as StatsObject, windowMinutes),
      });
    }
    for (const queueSid of queueNames.keys()) if (!seen.has(queueSid)) skipped.add(queueSid);
    readings.set(channel, channelReadings);
  });
  return { queueNames, readings, skippedQueueSids: [...skipped], windowMinutes, readAt };
}
