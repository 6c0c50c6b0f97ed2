/**
 * A workspace's exported Events (`npm run export:events`) as a timeline: each task from its
 * task.created, the reservation a worker accepted, its cancellation, wrap-up and completion; each
 * worker's Activities as recorded (the one before the first change in the period, then every change);
 * who is eligible for what from the TaskQueues' `target_workers` matched against the Workers'
 * attributes, or, where an expression cannot be read, from the queues the worker took tasks of.
 */
import { EXPORT_FORMAT, EXPORT_VERSION, type ActivityLine, type EventLine, type ExportHeader, type ExportLine, type QueueLine, type WorkerLine } from '../../src/taskrouter/events-export';
import { compileTargetWorkers } from '../../src/taskrouter/target-workers';
import { ACTIVITY_AVAILABLE, type ActivityName } from '../simulation/workforce';
import { readSourceText, SourceError } from './sources';
import { timelineOf, type ActivityChange, type SourceReport, type Timeline, type TimelineTask, type TimelineWorker } from './timeline';

export interface EventsSource {
  timeline: Timeline;
  report: SourceReport;
  workspaceSid: string;
  /** Queue name → SID. */
  queueSids: Map<string, string>;
  /** Share of (queue, worker) eligibilities decided from `target_workers`; the rest from what workers took. */
  eligibilityResolved: number;
}

/** The export's lines, checked: its header first, its trailer last. Throws SourceError. */
function exportLines(path: string): ExportLine[] {
  const texts = readSourceText(path).split('\n').filter((line) => line.trim() !== '');
  const lines = texts.map((text, index) => {
    try {
      return JSON.parse(text) as ExportLine;
    } catch {
      throw new SourceError(`${path}: line ${index + 1} is not JSON: not an events export, or a damaged one`);
    }
  });
  const header = lines[0] as Partial<ExportHeader> | undefined;
  if (header?.kind !== 'export' || header.format !== EXPORT_FORMAT) throw new SourceError(`${path}: not an events export (its first line is not the header npm run export:events writes)`);
  if (header.version !== EXPORT_VERSION) throw new SourceError(`${path}: export version ${String(header.version)}, this backtest reads version ${EXPORT_VERSION}`);
  if (lines[lines.length - 1]?.kind !== 'trailer') throw new SourceError(`${path}: the export is incomplete (no trailer line): it was cut short; run npm run export:events again`);
  return lines;
}

/** The replay's Activity for a workspace Activity: the replay's own names stay, others by availability. */
function activityFor(name: string, available: ReadonlyMap<string, boolean>): ActivityName {
  if (ACTIVITY_AVAILABLE.has(name as ActivityName)) return name as ActivityName;
  return available.get(name) ? 'Available' : 'Unavailable';
}

export function readEventsExport(path: string): EventsSource {
  const lines = exportLines(path);
  const header = lines[0] as ExportHeader;
  const of = <K extends ExportLine['kind']>(kind: K) => lines.filter((line): line is Extract<ExportLine, { kind: K }> => line.kind === kind);
  const activityAvailable = new Map(of('activity').map((activity: ActivityLine) => [activity.friendly_name, activity.available]));
  const queues: QueueLine[] = of('queue');
  const queueName = new Map(queues.map((queue) => [queue.sid, queue.friendly_name]));
  const events: EventLine[] = of('event').sort((a, b) => a.event_date_ms - b.event_date_ms || (a.sid < b.sid ? -1 : 1));
  const startMs = Date.parse(header.startDate);
  const endMs = Date.parse(header.endDate);

  const tasks = new Map<string, TimelineTask>();
  const reservedAt = new Map<string, number>();
  const took = new Map<string, Set<string>>();
  const changes = new Map<string, { first: string | null; list: ActivityChange[] }>();
  const notes: Record<string, number> = {};
  const before = new Set<string>();
  const note = (what: string) => (notes[what] = (notes[what] ?? 0) + 1);
  for (const event of events) {
    const data = event.event_data;
    const at = event.event_date_ms;
    const taskSid = typeof data['task_sid'] === 'string' ? data['task_sid'] : null;
    const task = taskSid ? tasks.get(taskSid) : undefined;
    switch (event.event_type) {
      case 'task.created': {
        const queue = queueName.get(String(data['task_queue_sid']));
        if (!taskSid || queue === undefined) {
          note('tasks in no exported TaskQueue');
          break;
        }
        tasks.set(taskSid, { queue, channel: String(data['task_channel_unique_name'] ?? 'default'), priority: Number(data['task_priority'] ?? 0), enteredAtMs: at, reservedAtMs: null, acceptedAtMs: null, canceledAtMs: null, wrapUpAtMs: null, completedAtMs: null, worker: null, line: tasks.size + 1 });
        break;
      }
      case 'reservation.created':
        if (typeof data['reservation_sid'] === 'string') reservedAt.set(data['reservation_sid'], at);
        break;
      case 'reservation.accepted':
        if (task) {
          const worker = String(data['worker_sid']);
          task.reservedAtMs = reservedAt.get(String(data['reservation_sid'])) ?? at;
          task.acceptedAtMs = at;
          task.worker = worker;
          const queuesTaken = took.get(worker) ?? new Set<string>();
          queuesTaken.add(task.queue);
          took.set(worker, queuesTaken);
        }
        break;
      case 'task.canceled':
        if (task && task.acceptedAtMs === null) task.canceledAtMs = at;
        break;
      case 'task.wrapup':
        if (task) task.wrapUpAtMs = at;
        break;
      case 'task.completed':
        if (task) {
          task.wrapUpAtMs ??= at;
          task.completedAtMs = at;
        }
        break;
      case 'worker.activity.update': {
        const worker = String(data['worker_sid']);
        const entry = changes.get(worker) ?? { first: typeof data['worker_previous_activity_name'] === 'string' ? data['worker_previous_activity_name'] : null, list: [] };
        entry.list.push({ atMs: at, activity: activityFor(String(data['worker_activity_name']), activityAvailable) });
        changes.set(worker, entry);
        break;
      }
    }
    if (taskSid && !task && event.event_type !== 'task.created') before.add(taskSid);
  }
  if (before.size > 0) notes['tasks created before the period (their later events left out)'] = before.size;

  // Each expression is read once, then matched against every worker.
  const targets = queues.map((queue) => ({ queue, matches: queue.target_workers === null ? () => null : compileTargetWorkers(queue.target_workers) }));
  let decided = 0;
  let pairs = 0;
  const workers: TimelineWorker[] = of('worker').map((worker: WorkerLine) => {
    let attributes: Record<string, unknown> = {};
    try {
      attributes = JSON.parse(worker.attributes) as Record<string, unknown>;
    } catch {
      note('workers whose attributes are not JSON');
    }
    const eligible = targets.filter(({ queue, matches }) => {
      pairs++;
      const matched = matches(attributes);
      if (matched !== null) decided++;
      return matched ?? took.get(worker.sid)?.has(queue.friendly_name) ?? false;
    });
    const recorded = changes.get(worker.sid);
    const initial = activityFor(recorded?.first ?? worker.activity_name, activityAvailable);
    return {
      name: worker.sid,
      queues: eligible.map(({ queue }) => queue.friendly_name),
      capacity: Object.fromEntries(worker.channels.map((channel) => [channel.task_channel_unique_name, channel.available ? channel.configured_capacity : 0])),
      activities: [{ atMs: startMs, activity: initial }, ...(recorded?.list ?? [])],
      loggedIn: [],
    };
  });
  const taskList = [...tasks.values()];
  const timeline = { ...timelineOf(taskList, workers, header.multiTaskEnabled, startMs), endMs: Math.max(endMs, startMs) };
  // Every exported queue is read by the refresher, with or without tasks in the period.
  timeline.queues = queues.map((queue) => queue.friendly_name).sort();
  return {
    timeline,
    report: { format: 'TaskRouter Events export', rows: events.length, tasks: taskList.length, notes, skipped: [] },
    workspaceSid: header.workspaceSid,
    queueSids: new Map(queues.map((queue) => [queue.friendly_name, queue.sid])),
    eligibilityResolved: pairs === 0 ? 1 : decided / pairs,
  };
}
