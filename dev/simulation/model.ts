/**
 * The simulation's state: tasks, queues on their channels, workers, and the two small data structures
 * that keep the history (TimeLog) and the waiting line (Deque) cheap at 5,000 queues. A queue's task
 * counts live in a TaskLedger, changed only by the transitions below: the simulation and the replay of
 * a real log (dev/replay/) both drive it, so statistics.ts is the one place statistics come from.
 */
import type { QueueSpec } from './scenario';
import type { ActivityName } from './workforce';

export type TaskState = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

/** What the ledger and the statistics read of a task. */
export interface LedgerTask {
  id: number;
  priority: number;
  arrivedAt: number;
  state: TaskState;
}

export interface SimTask extends LedgerTask {
  /** Fixed handle time (scripted tasks); otherwise drawn at acceptance. */
  handleSeconds: number | null;
  queue: SimQueue;
  channel: ChannelState;
  worker: SimWorker | null;
}

/** A task's SID: its number in hex. */
export const taskSidOf = (id: number) => `WT${id.toString(16).padStart(32, '0')}`;

/** What the statistics read of a worker: its Activity. */
export interface LedgerWorker {
  activity: ActivityName;
}

/** Times (ms) with an optional value each, appended in time order; old entries pruned. */
export class TimeLog {
  times: number[] = [];
  values: number[] = [];
  head = 0;
  push(time: number, value = 0): void {
    this.times.push(time);
    this.values.push(value);
  }
  /** Index of the first entry at or after `time`. */
  private lowerBound(time: number): number {
    let low = this.head;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.times[mid]! < time) low = mid + 1;
      else high = mid;
    }
    return low;
  }
  /** Calls `visit` with each value whose time is in [start, end]. */
  each(start: number, end: number, visit: (value: number) => void): number {
    const from = this.lowerBound(start);
    const to = this.lowerBound(end + 1);
    for (let index = from; index < to; index++) visit(this.values[index]!);
    return to - from;
  }
  prune(before: number): void {
    this.head = this.lowerBound(before);
    // Compact once half the array is dead: amortised O(1), and small per-queue logs shrink too.
    if (this.head > 32 && this.head > this.times.length / 2) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }
}

/** Waiting tasks of one priority, oldest first; tasks that left are skipped lazily. */
export class Deque<T extends LedgerTask = SimTask> {
  items: T[] = [];
  head = 0;
  constructor(readonly priority: number) {}
  peek(): T | undefined {
    while (this.head < this.items.length && this.items[this.head]!.state !== 'pending') this.head++;
    if (this.head > 32 && this.head > this.items.length / 2) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
  shift(): T | undefined {
    const task = this.peek();
    if (task) this.head++;
    return task;
  }
}

/**
 * One queue on one channel as TaskRouter counts it: its tasks by status, who waits in what order, the
 * workers eligible for it, and the logs the cumulative statistics are computed from.
 */
export interface TaskLedger<T extends LedgerTask = LedgerTask> {
  /** Highest priority first. */
  waiting: Deque<T>[];
  pending: number;
  reserved: number;
  assigned: number;
  wrapping: number;
  pendingByPriority: Map<number, number>;
  /** Workers with capacity on this channel for this queue, in any Activity (TaskRouter's eligible). */
  eligible: LedgerWorker[];
  entered: TimeLog;
  reservations: TimeLog;
  /** Acceptance times, each with the seconds the task waited. */
  accepted: TimeLog;
  /** Cancellation times, each with the seconds the task waited. */
  canceled: TimeLog;
  completed: TimeLog;
}

/** An empty ledger whose waiting lines are these priorities (more are added as tasks bring them). */
export function emptyLedger<T extends LedgerTask>(priorities: number[], eligible: LedgerWorker[] = []): TaskLedger<T> {
  return {
    waiting: [...priorities].sort((a, b) => b - a).map((priority) => new Deque<T>(priority)),
    pending: 0, reserved: 0, assigned: 0, wrapping: 0, pendingByPriority: new Map(), eligible,
    entered: new TimeLog(), reservations: new TimeLog(), accepted: new TimeLog(), canceled: new TimeLog(), completed: new TimeLog(),
  };
}

/** A task is created in the queue (TaskRouter's tasks_entered), before it waits or is reserved. */
export function enterTask(ledger: TaskLedger<LedgerTask>, now: number): void {
  ledger.entered.push(now);
}

/** The task waits in line for a worker. */
export function enqueueTask<T extends LedgerTask>(ledger: TaskLedger<T>, task: T): void {
  ledger.pending++;
  ledger.pendingByPriority.set(task.priority, (ledger.pendingByPriority.get(task.priority) ?? 0) + 1);
  let deque = ledger.waiting.find((candidate) => candidate.priority === task.priority);
  if (!deque) {
    deque = new Deque<T>(task.priority);
    ledger.waiting.push(deque);
    ledger.waiting.sort((a, b) => b.priority - a.priority);
  }
  deque.items.push(task);
}

/** A worker is reserved for the task; `wasPending` when it had waited in line. */
export function reserveTask(ledger: TaskLedger<LedgerTask>, task: LedgerTask, now: number, wasPending: boolean): void {
  if (wasPending) {
    ledger.pending--;
    ledger.pendingByPriority.set(task.priority, ledger.pendingByPriority.get(task.priority)! - 1);
  }
  task.state = 'reserved';
  ledger.reserved++;
  ledger.reservations.push(now);
}

/** The worker accepts: returns the seconds the task waited, from creation to acceptance. */
export function acceptTask(ledger: TaskLedger<LedgerTask>, task: LedgerTask, now: number): number {
  task.state = 'assigned';
  ledger.reserved--;
  ledger.assigned++;
  const waitSeconds = (now - task.arrivedAt) / 1000;
  ledger.accepted.push(now, waitSeconds);
  return waitSeconds;
}

/** The conversation ends; the task is in wrap-up. */
export function completeTask(ledger: TaskLedger<LedgerTask>, task: LedgerTask, now: number): void {
  task.state = 'wrapping';
  ledger.assigned--;
  ledger.wrapping++;
  ledger.completed.push(now);
}

/** Wrap-up ends: the task no longer holds its worker. */
export function finishTask(ledger: TaskLedger<LedgerTask>, task: LedgerTask): void {
  task.state = 'completed';
  ledger.wrapping--;
}

/** A waiting caller hangs up: returns the seconds waited, or null when the task was no longer waiting. */
export function cancelTask(ledger: TaskLedger<LedgerTask>, task: LedgerTask, now: number): number | null {
  if (task.state !== 'pending') return null;
  task.state = 'canceled';
  ledger.pending--;
  ledger.pendingByPriority.set(task.priority, ledger.pendingByPriority.get(task.priority)! - 1);
  const waitSeconds = (now - task.arrivedAt) / 1000;
  ledger.canceled.push(now, waitSeconds);
  return waitSeconds;
}

/** Drops log entries older than `before` (statistics windows cannot reach further back). */
export function pruneLedger(ledger: TaskLedger<LedgerTask>, before: number): void {
  ledger.entered.prune(before);
  ledger.reservations.prune(before);
  ledger.accepted.prune(before);
  ledger.canceled.prune(before);
  ledger.completed.prune(before);
}

/** One queue on one channel of the simulation: its ledger and who can serve. */
export interface ChannelState extends TaskLedger<SimTask> {
  channel: string;
  queue: SimQueue;
  /** Workers serving this queue who can be offered a task on this channel now. */
  free: Set<SimWorker>;
  eligible: SimWorker[];
}

export interface SimQueue {
  index: number;
  sid: string;
  spec: QueueSpec;
  channels: Map<string, ChannelState>;
  channelPick: { channel: string; upTo: number }[];
  priorityPick: { priority: number; upTo: number }[];
  /** Highest arrival rate of the curve, per ms (for thinning). */
  maxRatePerMs: number;
  /** Workers serving this queue, any channel, any Activity. */
  workers: SimWorker[];
}

export interface SimWorker {
  sid: string;
  /** Its friendly name: the group's and its index. */
  name: string;
  queues: SimQueue[];
  capacity: Map<string, number>;
  busy: Map<string, number>;
  /** Tasks held on all channels (reserved, assigned or wrapping). */
  holding: number;
  onShift: boolean;
  onBreak: boolean;
  activity: ActivityName;
}

