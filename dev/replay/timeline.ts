/**
 * A timeline: what happened in a contact center, task by task, and when each worker was logged in or
 * in which Activity. A published call log, a CSV of your own and a workspace's exported Events are
 * sources of it (bank-log.ts, task-csv.ts, events.ts); replay.ts turns it into what TaskRouter would
 * have reported at any moment.
 */
import type { ActivityName } from '../simulation/workforce';

/** One caller's task. Times are epoch ms; null where it did not happen (or the source does not say). */
export interface TimelineTask {
  /** The TaskQueue it waited in (its friendly name). */
  queue: string;
  /** Its task channel's unique name. */
  channel: string;
  /** TaskRouter priority (higher first). */
  priority: number;
  /** When the task was created in its queue: the caller left the voice menu. Never after its service started. */
  enteredAtMs: number;
  /** When a worker was reserved for it (a call log records one moment for this and acceptance). */
  reservedAtMs: number | null;
  acceptedAtMs: number | null;
  /** When the caller hung up unanswered. */
  canceledAtMs: number | null;
  /** When the conversation ended and wrap-up began. */
  wrapUpAtMs: number | null;
  /** When the worker was free again. */
  completedAtMs: number | null;
  /** The worker who took it (null when nobody did, or the source does not say). */
  worker: string | null;
  /** The source's line, for messages. */
  line: number;
}

/** What became of a task: answered, abandoned, or neither by the end of the source (still waiting or reserved). */
export function outcomeOf(task: TimelineTask): 'accepted' | 'abandoned' | 'unresolved' {
  return task.acceptedAtMs !== null ? 'accepted' : task.canceledAtMs !== null ? 'abandoned' : 'unresolved';
}

/** A task answered at `acceptedAtMs` and handled until `handledUntilMs` (wrap-up included), as a call log records it. */
export function answeredTask(base: Pick<TimelineTask, 'queue' | 'channel' | 'priority' | 'enteredAtMs' | 'worker' | 'line'>, acceptedAtMs: number, handledUntilMs: number): TimelineTask {
  return { ...base, reservedAtMs: acceptedAtMs, acceptedAtMs, canceledAtMs: null, wrapUpAtMs: handledUntilMs, completedAtMs: handledUntilMs };
}

/** A task abandoned at `canceledAtMs`. */
export function abandonedTask(base: Pick<TimelineTask, 'queue' | 'channel' | 'priority' | 'enteredAtMs' | 'line'>, canceledAtMs: number): TimelineTask {
  return { ...base, reservedAtMs: null, acceptedAtMs: null, canceledAtMs, wrapUpAtMs: null, completedAtMs: null, worker: null };
}

/** A span of time, epoch ms, both ends included. */
export interface Span {
  fromMs: number;
  toMs: number;
}

/** A worker's Activity from `atMs` on. */
export interface ActivityChange {
  atMs: number;
  activity: ActivityName;
}

export interface TimelineWorker {
  name: string;
  /** Queues the worker is eligible for. */
  queues: string[];
  /** Tasks at once per channel (a call log's agents: one voice call). */
  capacity: Record<string, number>;
  /**
   * Where the source records Activities (a workspace's Events): the Activity at the start and every
   * change, in time order. Otherwise null, and the Activity follows from `loggedIn` and what the worker
   * holds (replay.ts).
   */
  activities: ActivityChange[] | null;
  /** When the worker was logged in (not Offline), in time order, not overlapping (the login rule). */
  loggedIn: Span[];
}

export interface Timeline {
  /** Tasks by `enteredAtMs`. */
  tasks: TimelineTask[];
  workers: TimelineWorker[];
  /** Queue names, sorted. */
  queues: string[];
  /** Task channels, sorted: the refresher reads each. */
  channels: string[];
  /** Single-tasking: a worker holding a task is in an unavailable Activity (TaskRouter's `multi_task_enabled` false). */
  multiTaskEnabled: boolean;
  /** The period the source covers; readings are taken from `startMs` on, and its first window is warm-up. */
  startMs: number;
  endMs: number;
}

/** Rows a source skipped, by reason, with the first few line numbers of each. */
export interface SkippedRows {
  reason: string;
  count: number;
  firstLines: number[];
}

/** What a source was, and what of it became the timeline. */
export interface SourceReport {
  format: string;
  /** Data rows read (the header not counted). */
  rows: number;
  /** Rows that became tasks. */
  tasks: number;
  /**
   * Rows the format's own rules handled, by what was done: not tasks (a virtual call, a hang-up before
   * the queue), or tasks completed by a stated assumption (no service times recorded).
   */
  notes: Record<string, number>;
  /** Rows skipped as bad, by reason. */
  skipped: SkippedRows[];
}

/** How many line numbers of each kind of bad row are kept for the report. */
export const FIRST_LINES_SHOWN = 5;

/** Collects bad rows by reason, in the order reasons were first met. */
export class SkipCounter {
  private readonly byReason = new Map<string, SkippedRows>();
  add(reason: string, line: number): void {
    const entry = this.byReason.get(reason) ?? { reason, count: 0, firstLines: [] };
    entry.count++;
    if (entry.firstLines.length < FIRST_LINES_SHOWN) entry.firstLines.push(line);
    this.byReason.set(reason, entry);
  }
  list(): SkippedRows[] {
    return [...this.byReason.values()];
  }
}

/**
 * Every data row after the header, split on its separator (a trailing CR dropped, blank lines passed
 * over): a row with another number of fields is skipped as malformed; `visit` gets the fields and the
 * row's 1-based line number. Returns the number of data rows.
 */
export function eachRow(lines: readonly string[], separator: { char: string; name: string }, fieldCount: number, skipped: SkipCounter, visit: (fields: string[], line: number) => void): number {
  let rows = 0;
  for (let index = 1; index < lines.length; index++) {
    const text = lines[index]!.replace(/\r$/, '');
    if (text.trim() === '') continue;
    rows++;
    const fields = text.split(separator.char);
    if (fields.length === fieldCount) visit(fields, index + 1);
    else skipped.add(`malformed (not ${fieldCount} ${separator.name}-separated fields)`, index + 1);
  }
  return rows;
}

/** The default login rule's gap: a worker idle longer than this between services had logged out. */
export const DEFAULT_LOGIN_GAP_MINUTES = 30;

/**
 * The login rule, for sources that record who served but not who was logged in: a worker was logged in
 * from the start of a service to the end of the last service of a stretch whose services are never more
 * than `gapMinutes` apart (end of one to start of the next), and is eligible for every queue it served
 * in the source. Tasks without a worker or handle end are left out.
 */
export function reconstructLogins(tasks: readonly TimelineTask[], gapMinutes: number): TimelineWorker[] {
  const gapMs = gapMinutes * 60_000;
  const services = new Map<string, { queues: Set<string>; spans: Span[] }>();
  for (const task of tasks) {
    if (task.acceptedAtMs === null || task.worker === null || task.completedAtMs === null) continue;
    const worker = services.get(task.worker) ?? { queues: new Set<string>(), spans: [] };
    worker.queues.add(task.queue);
    worker.spans.push({ fromMs: task.acceptedAtMs, toMs: Math.max(task.acceptedAtMs, task.completedAtMs) });
    services.set(task.worker, worker);
  }
  const workers: TimelineWorker[] = [];
  for (const [name, { queues, spans }] of [...services].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    spans.sort((a, b) => a.fromMs - b.fromMs);
    const loggedIn: Span[] = [];
    for (const span of spans) {
      const last = loggedIn[loggedIn.length - 1];
      if (last && span.fromMs - last.toMs <= gapMs) last.toMs = Math.max(last.toMs, span.toMs);
      else loggedIn.push({ ...span });
    }
    workers.push({ name, queues: [...queues].sort(), capacity: { [LOG_CHANNEL]: 1 }, activities: null, loggedIn });
  }
  return workers;
}

/** The channel of every task of a call log. */
export const LOG_CHANNEL = 'voice';

/**
 * Orders tasks by creation and fixes the period: from `startMs` (default: midnight, UTC, before the
 * first task) to the last recorded moment.
 */
export function timelineOf(tasks: TimelineTask[], workers: TimelineWorker[], multiTaskEnabled: boolean, startMs?: number): Timeline {
  tasks.sort((a, b) => a.enteredAtMs - b.enteredAtMs || a.line - b.line);
  const first = tasks[0]?.enteredAtMs ?? 0;
  let endMs = first;
  for (const task of tasks) endMs = Math.max(endMs, task.acceptedAtMs ?? 0, task.canceledAtMs ?? 0, task.completedAtMs ?? 0);
  const queues = [...new Set(tasks.map((task) => task.queue))].sort();
  const channels = [...new Set(tasks.map((task) => task.channel))].sort();
  return { tasks, workers, queues, channels, multiTaskEnabled, startMs: startMs ?? first - (first % 86_400_000), endMs };
}
