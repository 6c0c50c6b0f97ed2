/**
 * The simulation's state: tasks, queues on their channels, workers, and the two small data structures
 * that keep the history (TimeLog) and the waiting line (Deque) cheap at 5,000 queues.
 */
import type { QueueSpec } from './scenario';
import type { ActivityName } from './workforce';

export type TaskState = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

export interface SimTask {
  id: number;
  /** Fixed handle time (scripted tasks); otherwise drawn at acceptance. */
  handleSeconds: number | null;
  queue: SimQueue;
  channel: ChannelState;
  priority: number;
  arrivedAt: number;
  state: TaskState;
  worker: SimWorker | null;
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
export class Deque {
  items: SimTask[] = [];
  head = 0;
  constructor(readonly priority: number) {}
  peek(): SimTask | undefined {
    while (this.head < this.items.length && this.items[this.head]!.state !== 'pending') this.head++;
    if (this.head > 32 && this.head > this.items.length / 2) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
  shift(): SimTask | undefined {
    const task = this.peek();
    if (task) this.head++;
    return task;
  }
}

/** One queue on one channel: what waits, who can serve, and the history. */
export interface ChannelState {
  channel: string;
  queue: SimQueue;
  /** Highest priority first. */
  waiting: Deque[];
  pending: number;
  reserved: number;
  assigned: number;
  wrapping: number;
  pendingByPriority: Map<number, number>;
  /** Workers serving this queue who can be offered a task on this channel now. */
  free: Set<SimWorker>;
  /** Workers serving this queue with capacity on this channel, in any Activity (TaskRouter's eligible). */
  eligible: SimWorker[];
  entered: TimeLog;
  reservations: TimeLog;
  accepted: TimeLog;
  canceled: TimeLog;
  completed: TimeLog;
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
  queues: SimQueue[];
  capacity: Map<string, number>;
  busy: Map<string, number>;
  /** Tasks held on all channels (reserved, assigned or wrapping). */
  holding: number;
  onShift: boolean;
  onBreak: boolean;
  activity: ActivityName;
}

