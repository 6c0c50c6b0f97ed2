/**
 * Queues that share workers, seen as one: TaskRouter offers a free worker the highest-priority, then
 * oldest, task of all the queues it serves, so a caller's wait depends on the work ahead in the whole
 * pool of queues their workers serve, drained at the pool's rate, not on their own queue's throughput.
 * A pool's observation and history are its queues' summed (counts, totals, work in service) or taken
 * at their extreme (the oldest waiting caller, the most workers).
 */
import type { QueueHistory } from './history';
import type { QueueObservation } from './observation';

/** What the estimator sees of a queue's pool: the pool's summed reading and history, and how many queues it has. */
export interface PoolView {
  observation: QueueObservation;
  history: QueueHistory | null;
  queues: number;
}

const sum = (values: (number | null)[]): number | null => (values.includes(null) ? null : values.reduce<number>((total, value) => total + value!, 0));
const max = (values: (number | null)[]): number | null => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
};

/** The pool's reading: counts and totals summed, the oldest wait and the worker counts at their largest. */
export function poolObservation(members: readonly QueueObservation[]): QueueObservation {
  const field = <K extends keyof QueueObservation>(key: K) => members.map((member) => member[key]) as (number | null)[];
  const accepted = sum(field('tasksAccepted'));
  const totalAccepted = sum(field('totalWaitAcceptedSeconds'));
  return {
    windowSeconds: members[0]!.windowSeconds,
    tasksWaiting: sum(field('tasksWaiting')),
    longestWaitSeconds: max(field('longestWaitSeconds')),
    availableWorkers: max(field('availableWorkers')),
    eligibleWorkers: max(field('eligibleWorkers')),
    loggedInWorkers: max(field('loggedInWorkers')),
    multitasking: members[0]!.multitasking,
    tasksInService: sum(field('tasksInService')),
    acceptedQuickly: sum(field('acceptedQuickly')),
    waitDurationsReported: members.every((member) => member.waitDurationsReported),
    avgWaitUntilAcceptedSeconds: accepted && totalAccepted !== null ? totalAccepted / accepted : null,
    tasksEntered: sum(field('tasksEntered')),
    tasksAccepted: accepted,
    tasksCanceled: sum(field('tasksCanceled')),
    totalWaitCanceledSeconds: sum(field('totalWaitCanceledSeconds')),
    totalWaitAcceptedSeconds: totalAccepted,
  };
}

/** The pool's history: work in service summed; as covered as its least covered queue. null if any queue has none. */
export function poolHistory(members: readonly (QueueHistory | null)[]): QueueHistory | null {
  if (members.length === 0 || members.includes(null)) return null;
  const known = members as QueueHistory[];
  return {
    busy: known.reduce((total, history) => total + history.busy, 0),
    coverage: Math.min(...known.map((history) => history.coverage)),
    startedAtMs: Math.max(...known.map((history) => history.startedAtMs)),
    slotsPerWorker: null,
  };
}

/**
 * Each queue's pool view, for queues whose pool has more than one queue (`poolOf`: queue SID → pool
 * key; queues without a key stand alone).
 */
export function poolViews(members: readonly { queueSid: string; observation: QueueObservation; history: QueueHistory | null }[], poolOf: ReadonlyMap<string, string>): Map<string, PoolView> {
  const byPool = new Map<string, typeof members[number][]>();
  for (const member of members) {
    const key = poolOf.get(member.queueSid);
    if (key === undefined) continue;
    const list = byPool.get(key) ?? [];
    list.push(member);
    byPool.set(key, list);
  }
  const views = new Map<string, PoolView>();
  for (const list of byPool.values()) {
    if (list.length < 2) continue;
    const view = { observation: poolObservation(list.map((member) => member.observation)), history: poolHistory(list.map((member) => member.history)), queues: list.length };
    for (const member of list) views.set(member.queueSid, view);
  }
  return views;
}
