/**
 * Rates read from one reading and the queue's history: how fast the queue drains now, how fast
 * waiting callers give up, and whether a slot is free for the next caller.
 */
import type { QueueHistory } from './history';
import type { QueueObservation } from './observation';

/** Acceptances per second over the window; null when not reported. */
export function throughputPerSecond(o: QueueObservation): number | null {
  if (o.tasksAccepted === null || o.windowSeconds <= 0) return null;
  return o.tasksAccepted / o.windowSeconds;
}

/**
 * Mean seconds a task holds a slot (handle time with wrap-up), by Little's law: time-averaged tasks in
 * service over the window's acceptance rate. null without acceptances or history.
 */
export function handleSeconds(o: QueueObservation, history: QueueHistory | null): number | null {
  const throughput = throughputPerSecond(o);
  if (!history || !throughput || history.busy <= 0) return null;
  return history.busy / throughput;
}

/**
 * Tasks per second the queue drains now. The window's throughput understates it whenever the queue
 * was partly idle in the window (arrivals, not agents, limited it): tasks in service now over the
 * handle time corrects that, and follows agents who just logged in or out. How far to trust the
 * correction grows with the history's coverage and the window's acceptances (`evidence` of them gives
 * half weight), so a thin window falls back to its plain throughput.
 */
export function drainRatePerSecond(o: QueueObservation, history: QueueHistory | null, evidence: number): number | null {
  const throughput = throughputPerSecond(o);
  if (throughput === null || throughput <= 0) return null;
  const handle = handleSeconds(o, history);
  if (handle === null || o.tasksInService === null || o.tasksInService <= 0) return throughput;
  const accepted = o.tasksAccepted ?? 0;
  const trust = history!.coverage * (accepted / (accepted + evidence));
  return throughput + trust * (o.tasksInService / handle - throughput);
}

/**
 * Abandonment rate per waiting caller per second: tasks canceled over the seconds all callers spent
 * waiting in the window (the maximum-likelihood rate of exponential patience).
 */
export function abandonmentPerSecond(o: QueueObservation): number {
  const waited = (o.totalWaitAcceptedSeconds ?? 0) + (o.totalWaitCanceledSeconds ?? 0);
  if (!o.tasksCanceled || waited <= 0) return 0;
  return o.tasksCanceled / waited;
}

/**
 * Whether a caller joining now finds a free slot: nobody waiting, and a worker who can take the task.
 * Single-tasking: an Available worker is a free one (TaskRouter moves busy workers out of Available).
 * Multitasking: Available workers may be busy; the queue has a free slot when it holds fewer tasks than
 * its Available workers held per head the last time callers had to wait (its capacity). Without that evidence yet, fewer tasks in
 * service than Available workers means at least one of them holds none.
 */
export function freeSlot(o: QueueObservation, history: QueueHistory | null): boolean {
  if (o.tasksWaiting !== 0 || !o.availableWorkers) return false;
  if (o.multitasking === false) return true;
  if (o.tasksInService === null) return false;
  const slots = history?.slotsPerWorker ?? null;
  // Counts are whole tasks: a slot is free when at least one whole task fits (half a task of rounding slack).
  if (slots !== null && slots > 0) return o.tasksInService < slots * o.availableWorkers - 0.5;
  return o.tasksInService < o.availableWorkers;
}
