/**
 * Replays a timeline as a TaskRouter workspace: each task enters, waits, is accepted or abandoned and
 * handled at its recorded times, through the same ledger transitions the simulation uses
 * (dev/simulation/model.ts), and statistics come from the same code (dev/simulation/statistics.ts).
 * It is a WorkspaceModel, so the TaskRouter API double can serve it like a simulation.
 *
 * Workers' Activities, from their logins (timeline.ts) and what they hold, as TaskRouter would report
 * them in a single-tasking workspace:
 * - Offline outside their logins;
 * - Unavailable while holding a task;
 * - Break while logged in, holding nothing, and a caller they could take is waiting: TaskRouter would
 *   have offered them that caller, so they cannot have been Available;
 * - Available otherwise.
 */
import { acceptTask, cancelTask, completeTask, emptyLedger, enqueueTask, enterTask, finishTask, pruneLedger, reserveTask, type LedgerTask, type LedgerWorker, type TaskLedger } from '../simulation/model';
import { cumulativeStatistics, realtimeStatistics } from '../simulation/statistics';
import type { ActivityName } from '../simulation/workforce';
import { sidFor, type QueueRecord, type StatisticsQuery, type WorkflowRecord, type WorkspaceModel } from '../workspace-model';
import type { Timeline, TimelineTask, TimelineWorker } from './timeline';

/** The channel every replayed task is on. */
export const REPLAY_CHANNEL = 'voice';

interface ReplayTask extends LedgerTask {
  source: TimelineTask;
  ledger: TaskLedger;
  worker: ReplayWorker | null;
}

interface ReplayWorker extends LedgerWorker {
  source: TimelineWorker;
  ledgers: TaskLedger[];
  holding: number;
  /** Index of the first login span that has not ended before the clock. */
  span: number;
}

type EventKind = 'handled' | 'enter' | 'leave';
/** At equal times: a worker frees up, then tasks arrive, then tasks leave the queue. */
const KIND_ORDER: Record<EventKind, number> = { handled: 0, enter: 1, leave: 2 };

interface ReplayEvent {
  time: number;
  kind: EventKind;
  task: ReplayTask;
}

export interface ReplayOptions {
  /** Names the workspace (its SIDs are derived from it). */
  name: string;
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
  private readonly ledgers = new Map<string, TaskLedger>();
  private readonly workers: ReplayWorker[];
  private readonly queueWorkers = new Map<string, ReplayWorker[]>();

  constructor(readonly timeline: Timeline, options: ReplayOptions) {
    this.accountSid = sidFor('AC', `replay-account-${options.name}`);
    this.workspaceSid = sidFor('WS', `replay-workspace-${options.name}`);
    this.friendlyName = `Replay of ${options.name}`;
    this.multiTaskEnabled = timeline.multiTaskEnabled;
    this.clock = timeline.startMs;
    this.lastPruneAt = timeline.startMs;
    this.retentionMs = (options.retentionMinutes ?? 24 * 60) * 60_000;
    const created = new Date(timeline.startMs).toISOString();
    this.records = timeline.queues.map((queue) => ({ sid: this.queueSid(queue), friendlyName: queue, targetWorkers: `routing.skills HAS "${queue}"`, dateCreated: created }));
    const priorities = [...new Set(timeline.tasks.map((task) => task.priority))];
    for (const queue of timeline.queues) {
      this.ledgers.set(queue, emptyLedger(priorities));
      this.queueWorkers.set(queue, []);
    }
    const byName = new Map<string, ReplayWorker>();
    this.workers = timeline.workers.map((source) => {
      const worker: ReplayWorker = { source, activity: 'Offline', ledgers: [], holding: 0, span: 0 };
      for (const queue of source.queues) {
        const ledger = this.ledgers.get(queue);
        if (!ledger) continue;
        worker.ledgers.push(ledger);
        ledger.eligible.push(worker);
        this.queueWorkers.get(queue)!.push(worker);
      }
      byName.set(source.name, worker);
      return worker;
    });
    timeline.tasks.forEach((source, index) => {
      const task: ReplayTask = { id: index + 1, priority: source.priority, arrivedAt: source.enteredAtMs, state: 'pending', source, ledger: this.ledgers.get(source.queue)!, worker: source.worker === null ? null : (byName.get(source.worker) ?? null) };
      this.events.push({ time: source.enteredAtMs, kind: 'enter', task });
      if (source.leftQueueAtMs > source.enteredAtMs || source.outcome === 'abandoned') this.events.push({ time: source.leftQueueAtMs, kind: 'leave', task });
      if (source.outcome === 'accepted' && source.handledUntilMs !== null && source.handledUntilMs > source.leftQueueAtMs) this.events.push({ time: source.handledUntilMs, kind: 'handled', task });
    });
    this.events.sort((a, b) => a.time - b.time || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.task.id - b.task.id);
  }

  queueSid(queue: string): string {
    return sidFor('WQ', `${this.workspaceSid}-${queue}`);
  }

  now(): number {
    return this.clock;
  }

  queues(): QueueRecord[] {
    return this.records;
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
      this.play(event);
    }
    this.clock = Math.max(this.clock, timeMs);
    for (const worker of this.workers) worker.activity = this.activityOf(worker);
    if (this.clock - this.lastPruneAt > 60_000) {
      this.lastPruneAt = this.clock;
      for (const ledger of this.ledgers.values()) pruneLedger(ledger, this.clock - this.retentionMs);
    }
  }

  private play({ kind, task, time }: ReplayEvent): void {
    const { ledger, source } = task;
    if (kind === 'enter') {
      enterTask(ledger, time);
      if (source.outcome === 'accepted' && source.leftQueueAtMs === source.enteredAtMs) this.take(task, time, false);
      else enqueueTask(ledger, task);
    } else if (kind === 'leave') {
      if (source.outcome === 'accepted') this.take(task, time, true);
      else cancelTask(ledger, task, time);
    } else {
      this.handled(task, time);
      if (task.worker) task.worker.holding--;
    }
  }

  /** A worker takes the task: reserved and accepted at once (the log records one moment). */
  private take(task: ReplayTask, time: number, wasPending: boolean): void {
    reserveTask(task.ledger, task, time, wasPending);
    acceptTask(task.ledger, task, time);
    if (task.source.handledUntilMs !== null && task.source.handledUntilMs <= time) return this.handled(task, time);
    if (task.worker) task.worker.holding++;
  }

  private handled(task: ReplayTask, time: number): void {
    completeTask(task.ledger, task, time);
    finishTask(task.ledger, task);
  }

  private activityOf(worker: ReplayWorker): ActivityName {
    if (worker.holding > 0) return 'Unavailable';
    const spans = worker.source.loggedIn;
    while (worker.span < spans.length && spans[worker.span]!.toMs < this.clock) worker.span++;
    const span = spans[worker.span];
    if (!span || span.fromMs > this.clock) return 'Offline';
    return worker.ledgers.some((ledger) => ledger.pending > 0) ? 'Break' : 'Available';
  }

  private ledgerOf(queueSid: string): TaskLedger[] {
    const record = this.records.find((queue) => queue.sid === queueSid);
    return record ? [this.ledgers.get(record.friendlyName)!] : [];
  }

  realtime(queueSid: string, taskChannel: string | undefined): Record<string, unknown> {
    const record = this.records.find((queue) => queue.sid === queueSid);
    const ledgers = taskChannel === undefined || taskChannel === REPLAY_CHANNEL ? this.ledgerOf(queueSid) : [];
    const workers = record ? this.queueWorkers.get(record.friendlyName)! : [];
    return realtimeStatistics(workers, ledgers.length > 0 ? ledgers : [emptyLedger([])], taskChannel, this.clock, this.workspaceSid);
  }

  cumulative(queueSid: string, query: StatisticsQuery): Record<string, unknown> {
    const ledgers = query.taskChannel === undefined || query.taskChannel === REPLAY_CHANNEL ? this.ledgerOf(queueSid) : [];
    return cumulativeStatistics(ledgers, query);
  }
}
