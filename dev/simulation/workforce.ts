/**
 * Workers and their Activities, as TaskRouter has them: which Activity a worker is in (from its shift,
 * its break and, single-tasking, the task it holds) and so whether its queues may offer it a task.
 */
import type { WorkspaceMode } from './scenario';
import type { SimWorker } from './model';

/**
 * The Activities of the simulated workspace: the three TaskRouter puts in a new workspace (Offline,
 * Available, Unavailable; https://www.twilio.com/docs/taskrouter/activities) and a Break, each with
 * TaskRouter's `available` flag: only a worker in an available Activity is offered tasks.
 */
export const ACTIVITIES = [
  { name: 'Offline', available: false },
  { name: 'Available', available: true },
  { name: 'Unavailable', available: false },
  { name: 'Break', available: false },
] as const;
export type ActivityName = (typeof ACTIVITIES)[number]['name'];
export const ACTIVITY_AVAILABLE = new Map<ActivityName, boolean>(ACTIVITIES.map((activity) => [activity.name, activity.available]));


/**
 * Sets the worker's Activity from its shift, break and tasks, and whether each of its queues may
 * offer it a task. Multitasking: the Activity follows shift and break only, and the worker takes
 * tasks while it has capacity on the channel. Single-tasking: one task at a time, in Unavailable
 * while it holds one; a worker whose shift or break begins mid-task changes Activity when done.
 */
export function settle(worker: SimWorker, mode: WorkspaceMode): void {
  const single = mode === 'single-tasking';
  if (single && worker.holding > 0) worker.activity = 'Unavailable';
  else worker.activity = !worker.onShift ? 'Offline' : worker.onBreak ? 'Break' : 'Available';
  const offered = ACTIVITY_AVAILABLE.get(worker.activity)! && (!single || worker.holding === 0);
  for (const queue of worker.queues) {
    for (const [channelName, capacity] of worker.capacity) {
      const channel = queue.channels.get(channelName);
      if (!channel || capacity <= 0) continue;
      if (offered && worker.busy.get(channelName)! < capacity) channel.free.add(worker);
      else channel.free.delete(worker);
    }
  }
}

/** Whether any of the worker's queues may offer it a task on this channel. */
export function isOffered(worker: SimWorker, channelName: string): boolean {
  return worker.queues.some((queue) => queue.channels.get(channelName)?.free.has(worker));
}
