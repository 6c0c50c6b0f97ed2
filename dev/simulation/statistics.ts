/**
 * The statistics TaskRouter serves, computed from what happened in the simulation, with TaskRouter's
 * meanings: real-time (waiting tasks, eligible workers in any Activity, available ones whether busy
 * or not, eligible workers per Activity) and cumulative over a window (acceptances, cancellations,
 * waits, and the split by wait time when asked for).
 */
import { sidFor, type StatisticsQuery } from '../workspace-model';
import { taskSidOf, type LedgerTask, type LedgerWorker, type TaskLedger } from './model';
import { ACTIVITIES, type ActivityName } from './workforce';

/**
 * Real-time statistics with TaskRouter's meanings: eligible workers in any Activity, available ones
 * in an available Activity whether busy or not, and the eligible workers per Activity. Without a
 * channel, the queue's workers on any channel (`queueWorkers`) are its eligible ones.
 */
export function realtimeStatistics(queueWorkers: readonly LedgerWorker[], channels: TaskLedger[], taskChannel: string | undefined, clock: number, workspaceSid: string): Record<string, unknown> {
  let pending = 0;
  let reserved = 0;
  let assigned = 0;
  let wrapping = 0;
  const byPriority: Record<string, number> = {};
  let oldest: LedgerTask | undefined;
  for (const channel of channels) {
    pending += channel.pending;
    reserved += channel.reserved;
    assigned += channel.assigned;
    wrapping += channel.wrapping;
    for (const [priority, count] of channel.pendingByPriority) if (count > 0) byPriority[priority] = (byPriority[priority] ?? 0) + count;
    for (const deque of channel.waiting) {
      const head = deque.peek();
      if (head && (!oldest || head.arrivedAt < oldest.arrivedAt)) oldest = head;
    }
  }
  const eligible = taskChannel === undefined ? queueWorkers : (channels[0]?.eligible ?? []);
  const perActivity = new Map<ActivityName, number>(ACTIVITIES.map((activity) => [activity.name, 0]));
  for (const worker of eligible) perActivity.set(worker.activity, perActivity.get(worker.activity)! + 1);
  const available = ACTIVITIES.reduce((sum, activity) => sum + (activity.available ? perActivity.get(activity.name)! : 0), 0);
  const oldestAge = oldest ? Math.floor((clock - oldest.arrivedAt) / 1000) : 0;
  const oldestSid = oldest ? taskSidOf(oldest.id) : null;
  return {
    longest_task_waiting_age: oldestAge,
    longest_task_waiting_sid: oldestSid,
    longest_relative_task_age_in_queue: oldestAge,
    longest_relative_task_sid_in_queue: oldestSid,
    tasks_by_priority: byPriority,
    tasks_by_status: { pending, reserved, assigned, wrapping },
    total_available_workers: available,
    total_eligible_workers: eligible.length,
    total_tasks: pending + reserved + assigned + wrapping,
    activity_statistics: ACTIVITIES.map((activity) => ({ sid: sidFor('WA', `${workspaceSid}-${activity.name}`), friendly_name: activity.name, workers: perActivity.get(activity.name)! })),
  };
}

/** Cumulative statistics of these channels over the query's window. */
export function cumulativeStatistics(channels: TaskLedger[], query: StatisticsQuery): Record<string, unknown> {
  const { startMs, endMs } = query;
  const acceptedWaits: number[] = [];
  const canceledWaits: number[] = [];
  let entered = 0;
  let reservations = 0;
  let completed = 0;
  for (const channel of channels) {
    entered += channel.entered.each(startMs, endMs, () => undefined);
    reservations += channel.reservations.each(startMs, endMs, () => undefined);
    completed += channel.completed.each(startMs, endMs, () => undefined);
    channel.accepted.each(startMs, endMs, (wait) => acceptedWaits.push(wait));
    channel.canceled.each(startMs, endMs, (wait) => canceledWaits.push(wait));
  }
  const durations = (waits: number[]) => {
    if (waits.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
    let total = 0;
    let min = Infinity;
    let max = 0;
    for (const wait of waits) {
      total += wait;
      min = Math.min(min, wait);
      max = Math.max(max, wait);
    }
    return { avg: Math.round(total / waits.length), min: Math.floor(min), max: Math.ceil(max), total: Math.round(total) };
  };
  const accepted = durations(acceptedWaits);
  const split = query.splitByWaitTime
    ? Object.fromEntries(
        query.splitByWaitTime.map((threshold) => [
          String(threshold),
          {
            above: { tasks_canceled: canceledWaits.filter((wait) => wait > threshold).length, reservations_accepted: acceptedWaits.filter((wait) => wait > threshold).length },
            below: { tasks_canceled: canceledWaits.filter((wait) => wait <= threshold).length, reservations_accepted: acceptedWaits.filter((wait) => wait <= threshold).length },
          },
        ]),
      )
    : null;
  return {
    avg_task_acceptance_time: accepted.avg,
    start_time: new Date(startMs).toISOString(),
    end_time: new Date(endMs).toISOString(),
    reservations_created: reservations,
    reservations_accepted: acceptedWaits.length,
    reservations_rejected: 0,
    reservations_timed_out: 0,
    reservations_canceled: 0,
    reservations_rescinded: 0,
    split_by_wait_time: split,
    wait_duration_until_accepted: accepted,
    wait_duration_in_queue_until_accepted: accepted,
    wait_duration_until_canceled: durations(canceledWaits),
    tasks_canceled: canceledWaits.length,
    tasks_completed: completed,
    tasks_deleted: 0,
    tasks_entered: entered,
    tasks_moved: 0,
  };
}
