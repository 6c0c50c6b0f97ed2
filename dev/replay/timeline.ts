/**
 * A timeline: what happened in a contact center, task by task, and when each worker was logged in. A
 * published call log and a CSV of your own are sources of it (bank-log.ts, task-csv.ts); replay.ts
 * turns it into what TaskRouter would have reported at any moment.
 */

/** One caller's task. Times are epoch ms. */
export interface TimelineTask {
  /** The TaskQueue it waited in (its friendly name). */
  queue: string;
  /** TaskRouter priority (higher first). */
  priority: number;
  /** When the task was created in its queue: the caller left the voice menu. Never after its service started. */
  enteredAtMs: number;
  outcome: 'accepted' | 'abandoned';
  /** Accepted: when a worker took it. Abandoned: when the caller hung up. */
  leftQueueAtMs: number;
  /** Accepted: the worker who took it (null when the source does not say). */
  worker: string | null;
  /** Accepted: when the worker was free again. */
  handledUntilMs: number | null;
  /** The source's line, for messages. */
  line: number;
}

/** A span of time, epoch ms, both ends included. */
export interface Span {
  fromMs: number;
  toMs: number;
}

export interface TimelineWorker {
  name: string;
  /** Queues the worker is eligible for. */
  queues: string[];
  /** When the worker was logged in (not Offline), in time order, not overlapping. */
  loggedIn: Span[];
}

export interface Timeline {
  /** Tasks by `enteredAtMs`. */
  tasks: TimelineTask[];
  workers: TimelineWorker[];
  /** Queue names, sorted. */
  queues: string[];
  /** Single-tasking: a worker holding a task is in an unavailable Activity (TaskRouter's `multi_task_enabled` false). */
  multiTaskEnabled: boolean;
  /** The period the source covers: midnight (UTC) before its first task to the last moment it records. */
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
    if (task.outcome !== 'accepted' || task.worker === null || task.handledUntilMs === null) continue;
    const worker = services.get(task.worker) ?? { queues: new Set<string>(), spans: [] };
    worker.queues.add(task.queue);
    worker.spans.push({ fromMs: task.leftQueueAtMs, toMs: Math.max(task.leftQueueAtMs, task.handledUntilMs) });
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
    workers.push({ name, queues: [...queues].sort(), loggedIn });
  }
  return workers;
}

/** Orders tasks by creation and fixes the period: midnight (UTC) before the first task to the last recorded moment. */
export function timelineOf(tasks: TimelineTask[], workers: TimelineWorker[], multiTaskEnabled: boolean): Timeline {
  tasks.sort((a, b) => a.enteredAtMs - b.enteredAtMs || a.line - b.line);
  const first = tasks[0]?.enteredAtMs ?? 0;
  let endMs = first;
  for (const task of tasks) endMs = Math.max(endMs, task.leftQueueAtMs, task.handledUntilMs ?? 0);
  const queues = [...new Set(tasks.map((task) => task.queue))].sort();
  return { tasks, workers, queues, multiTaskEnabled, startMs: first - (first % 86_400_000), endMs };
}
