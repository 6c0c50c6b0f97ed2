/**
 * Replays a timeline as a TaskRouter workspace: each task enters, waits, is reserved, accepted or
 * abandoned, wrapped up and completed at its recorded times, through the same ledger transitions the
 * simulation uses (dev/simulation/model.ts), and statistics come from the same code
 * (dev/simulation/statistics.ts). It is a WorkspaceModel, so the TaskRouter API double can serve it
 * like a simulation.
 *
 * Workers' Activities are the recorded ones where the source has them (a workspace's Events).
 * Otherwise they follow from the login rule (timeline.ts) and what each worker holds, as TaskRouter
 * would report them in a single-tasking workspace:
 * - Offline outside their logins;
 * - Unavailable while holding a task;
 * - Break while logged in, holding nothing, and a caller they could take is waiting: TaskRouter would
 *   have offered them that caller, so they cannot have been Available;
 * - Available otherwise.
 */
import { acceptTask, cancelTask, completeTask, emptyLedger, enqueueTask, enterTask, finishTask, pruneLedger, reserveTask, type LedgerTask, type LedgerWorker, type TaskLedger } from '../simulation/model';
import { cumulativeStatistics, realtimeStatistics } from '../simulation/statistics';
import { ACTIVITY_AVAILABLE, type ActivityName } from '../simulation/workforce';
import { sidFor, type QueueRecord, type StatisticsQuery, type WorkerRecord, type WorkflowRecord, type WorkspaceModel } from '../workspace-model';
import type { Timeline, TimelineTask, TimelineWorker } from './timeline';

interface ReplayTask extends LedgerTask {
  source: TimelineTask;
  ledger: TaskLedger;
  worker: ReplayWorker | null;
}

interface ReplayWorker extends LedgerWorker {
  source: TimelineWorker;
  ledgers: TaskLedger[];
  holding: number;
  /** Index of the current login span or recorded Activity. */
  cursor: number;
}

/** A task's events in the order they happen to it; at equal times, tasks' events keep this order. */
const KINDS = ['enter', 'reserve', 'accept', 'cancel', 'wrapup', 'complete'] as const;
type EventKind = (typeof KINDS)[number];
const TIME_OF: Record<EventKind, (task: TimelineTask) => number | null> = {
  enter: (task) => task.enteredAtMs,
  reserve: (task) => task.reservedAtMs,
  accept: (task) => task.acceptedAtMs,
  cancel: (task) => task.canceledAtMs,
  wrapup: (task) => task.wrapUpAtMs,
  complete: (task) => task.completedAtMs,
};

interface ReplayEvent {
  time: number;
  kind: number;
  task: ReplayTask;
}

export interface ReplayOptions {
  /** Names the workspace (its SIDs are derived from it) unless `workspaceSid` is given. */
  name: string;
  workspaceSid?: string;
  /** Queue name → SID, where the source has SIDs (an export); otherwise derived from the name. */
  queueSids?: ReadonlyMap<string, string>;
  /** Ledger entries older than this are dropped (statistics windows cannot reach further back). */
  retentionMinutes?: number;
}

export class Replay implements WorkspaceModel {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly friendlyName: string;
  readonly multiTaskEnabled: boolean;
  private clock: number;
  private next = 0;
  private lastPruneAt: number;
  private readonly retentionMs: number;
  private readonly events: ReplayEvent[] = [];
  private readonly records: QueueRecord[];
  private readonly recordBySid: Map<string, QueueRecord>;
  /** Per queue name, its ledger on each channel. */
  private readonly ledgers = new Map<string, Map<string, TaskLedger>>();
  private readonly workers: ReplayWorker[];
  private readonly queueWorkers = new Map<string, ReplayWorker[]>();

  constructor(readonly timeline: Timeline, options: ReplayOptions) {
    this.accountSid = sidFor('AC', `replay-account-${options.name}`);
    this.workspaceSid = options.workspaceSid ?? sidFor('WS', `replay-workspace-${options.name}`);
    this.friendlyName = `Replay of ${options.name}`;
    this.multiTaskEnabled = timeline.multiTaskEnabled;
    this.clock = timeline.startMs;
    this.lastPruneAt = timeline.startMs;
    this.retentionMs = (options.retentionMinutes ?? 24 * 60) * 60_000;
    const created = new Date(timeline.startMs).toISOString();
    this.records = timeline.queues.map((queue) => ({ sid: options.queueSids?.get(queue) ?? sidFor('WQ', `${this.workspaceSid}-${queue}`), friendlyName: queue, targetWorkers: `routing.skills HAS "${queue}"`, dateCreated: created }));
    this.recordBySid = new Map(this.records.map((record) => [record.sid, record]));
    const priorities = [...new Set(timeline.tasks.map((task) => task.priority))];
    for (const queue of timeline.queues) {
      this.ledgers.set(queue, new Map(timeline.channels.map((channel) => [channel, emptyLedger(priorities)])));
      this.queueWorkers.set(queue, []);
    }
    const byName = new Map<string, ReplayWorker>();
    this.workers = timeline.workers.map((source) => {
      const worker: ReplayWorker = { source, activity: source.activities?.[0]?.activity ?? 'Offline', ledgers: [], holding: 0, cursor: 0 };
      for (const queue of source.queues) {
        const channels = this.ledgers.get(queue);
        if (!channels) continue;
        this.queueWorkers.get(queue)!.push(worker);
        for (const [channel, ledger] of channels) {
          if (!((source.capacity[channel] ?? 0) > 0)) continue;
          worker.ledgers.push(ledger);
          ledger.eligible.push(worker);
        }
      }
      byName.set(source.name, worker);
      return worker;
    });
    timeline.tasks.forEach((source, index) => {
      const ledger = this.ledgers.get(source.queue)!.get(source.channel)!;
      const task: ReplayTask = { id: index + 1, priority: source.priority, arrivedAt: source.enteredAtMs, state: 'pending', source, ledger, worker: source.worker === null ? null : (byName.get(source.worker) ?? null) };
      KINDS.forEach((kind, order) => {
        const time = TIME_OF[kind](source);
        if (time !== null) this.events.push({ time, kind: order, task });
      });
    });
    this.events.sort((a, b) => a.time - b.time || a.kind - b.kind || a.task.id - b.task.id);
  }

  /** The SID of a queue by name. */
  queueSid(queue: string): string {
    return this.records.find((record) => record.friendlyName === queue)!.sid;
  }

  now(): number {
    return this.clock;
  }

  queues(): QueueRecord[] {
    return this.records;
  }

  /** The Workers list: each worker's skills are the queues it is eligible for (their target_workers match them). */
  listWorkers(): WorkerRecord[] {
    const created = new Date(this.timeline.startMs).toISOString();
    return this.workers.map((worker) => ({
      sid: sidFor('WK', `${this.workspaceSid}-${worker.source.name}`),
      friendlyName: worker.source.name,
      attributes: { routing: { skills: worker.source.queues } },
      activityName: worker.activity,
      available: ACTIVITY_AVAILABLE.get(worker.activity)!,
      dateCreated: created,
      channels: Object.entries(worker.source.capacity).map(([taskChannel, capacity]) => ({ taskChannel, capacity, available: capacity > 0 })),
    }));
  }

  workflows(): WorkflowRecord[] {
    return [
      {
        sid: sidFor('WW', `${this.workspaceSid}-inbound`),
        friendlyName: 'Inbound',
        dateCreated: new Date(this.timeline.startMs).toISOString(),
        configuration: {
          task_routing: {
            filters: this.records.map((queue) => ({ filter_friendly_name: `${queue.friendlyName} line`, expression: `type == "${queue.friendlyName}"`, targets: [{ queue: queue.sid }] })),
            default_filter: { queue: this.records[0]!.sid },
          },
        },
      },
    ];
  }

  /** Plays every event up to and including `timeMs`, then sets each worker's Activity as of then. */
  advanceTo(timeMs: number): void {
    while (this.next < this.events.length && this.events[this.next]!.time <= timeMs) {
      const event = this.events[this.next++]!;
      this.clock = event.time;
      this.play(KINDS[event.kind]!, event.task, event.time);
    }
    this.clock = Math.max(this.clock, timeMs);
    for (const worker of this.workers) worker.activity = this.activityOf(worker);
    if (this.clock - this.lastPruneAt > 60_000) {
      this.lastPruneAt = this.clock;
      for (const channels of this.ledgers.values()) for (const ledger of channels.values()) pruneLedger(ledger, this.clock - this.retentionMs);
    }
  }

  private play(kind: EventKind, task: ReplayTask, time: number): void {
    const { ledger } = task;
    switch (kind) {
      case 'enter':
        enterTask(ledger, time);
        // Reserved the moment it entered: it never waited (TaskRouter counts it entered, never pending).
        if (task.source.reservedAtMs !== time) enqueueTask(ledger, task);
        return;
      case 'reserve':
        reserveTask(ledger, task, time, task.source.enteredAtMs !== time);
        if (task.worker) task.worker.holding++;
        return;
      case 'accept':
        acceptTask(ledger, task, time);
        return;
      case 'cancel':
        cancelTask(ledger, task, time);
        return;
      case 'wrapup':
        completeTask(ledger, task, time);
        return;
      case 'complete':
        finishTask(ledger, task);
        if (task.worker) task.worker.holding--;
        return;
    }
  }

  private activityOf(worker: ReplayWorker): ActivityName {
    const recorded = worker.source.activities;
    if (recorded) {
      while (worker.cursor + 1 < recorded.length && recorded[worker.cursor + 1]!.atMs <= this.clock) worker.cursor++;
      return recorded[worker.cursor]?.activity ?? 'Offline';
    }
    if (worker.holding > 0) return 'Unavailable';
    const spans = worker.source.loggedIn;
    while (worker.cursor < spans.length && spans[worker.cursor]!.toMs < this.clock) worker.cursor++;
    const span = spans[worker.cursor];
    if (!span || span.fromMs > this.clock) return 'Offline';
    return worker.ledgers.some((ledger) => ledger.pending > 0) ? 'Break' : 'Available';
  }

  /** The queue's ledgers: on one channel, or on every channel. */
  private ledgersOf(queueSid: string, taskChannel: string | undefined): TaskLedger[] {
    const record = this.recordBySid.get(queueSid);
    const channels = record ? this.ledgers.get(record.friendlyName)! : new Map<string, TaskLedger>();
    if (taskChannel === undefined) return [...channels.values()];
    const ledger = channels.get(taskChannel);
    return ledger ? [ledger] : [];
  }

  realtime(queueSid: string, taskChannel: string | undefined): Record<string, unknown> {
    const record = this.recordBySid.get(queueSid);
    const workers = record ? this.queueWorkers.get(record.friendlyName)! : [];
    return realtimeStatistics(workers, this.ledgersOf(queueSid, taskChannel), taskChannel, this.clock, this.workspaceSid);
  }

  cumulative(queueSid: string, query: StatisticsQuery): Record<string, unknown> {
    return cumulativeStatistics(this.ledgersOf(queueSid, query.taskChannel), query);
  }
}
