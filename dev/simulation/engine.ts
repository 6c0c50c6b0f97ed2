/**
 * A discrete-event simulation of a TaskRouter workspace. Tasks arrive per queue (Poisson with a rate
 * that follows the scenario's curve, by thinning), carry a channel and a priority, wait, are reserved
 * by an eligible worker with free capacity on their channel (highest priority first, then oldest),
 * accepted after the reservation delay, handled (log-normal), wrapped up, or abandoned (exponential
 * patience). Every statistic served is computed from what happened, with TaskRouter's meaning.
 * Deterministic for a seed. Memory stays bounded: logs older than the retention are dropped.
 */
import { curveAt, meanHandleSeconds, type Scenario, type ScriptedTask } from './scenario';
import { EventQueue, type TimedEvent } from './event-queue';
import { seededRandom, sidFor, type ActivityRecord, type EventRecord, type QueueRecord, type StatisticsQuery, type WorkerRecord, type WorkflowRecord, type WorkspaceModel } from '../workspace-model';
import { Draws, picker } from './arrivals';
import { acceptTask, cancelTask, taskSidOf, completeTask, emptyLedger, enqueueTask, enterTask, finishTask, pruneLedger, reserveTask, type ChannelState, type SimQueue, type SimTask, type SimWorker } from './model';
import { cumulativeStatistics, realtimeStatistics } from './statistics';
import { ACTIVITIES, ACTIVITY_AVAILABLE, isOffered, settle } from './workforce';

export { ACTIVITIES, type ActivityName } from './workforce';

const activitySid = (workspaceSid: string, name: string) => sidFor('WA', `${workspaceSid}-${name}`);
/** The Worker fields of an event. */
function workerData(worker: SimWorker, workspaceSid: string): Record<string, unknown> {
  return { worker_sid: worker.sid, worker_name: worker.name, worker_activity_name: worker.activity, worker_activity_sid: activitySid(workspaceSid, worker.activity), worker_attributes: JSON.stringify({ routing: { skills: worker.queues.map((queue) => queue.spec.name) } }) };
}

/** What the accuracy benchmark learns about each caller once their wait is over. */
export interface ResolvedTask {
  taskId: number;
  queueSid: string;
  channel: string;
  priority: number;
  arrivedAtMs: number;
  /** Seconds from arrival to acceptance, or to abandonment. */
  waitSeconds: number;
  outcome: 'accepted' | 'abandoned';
}

export interface ArrivedTask {
  taskId: number;
  queueSid: string;
  channel: string;
  priority: number;
  arrivedAtMs: number;
}

export interface SimulationOptions {
  /** Epoch ms at which the scenario's minute 0 falls. */
  startMs: number;
  /** Logs older than this are dropped (statistics windows cannot reach further back). */
  retentionMinutes?: number;
  onArrival?: (task: ArrivedTask) => void;
  onResolved?: (task: ResolvedTask) => void;
  /** Keep TaskRouter's Events of every task and worker (for the Events list); off by default, as they grow with the run. */
  recordEvents?: boolean;
}

type SimEvent = TimedEvent &
  (
    | { kind: 'arrival'; queue: SimQueue }
    | { kind: 'scripted'; queue: SimQueue; task: ScriptedTask }
    | { kind: 'accept' | 'complete' | 'wrapDone' | 'abandon'; task: SimTask }
    | { kind: 'staffing'; workers: SimWorker[]; count: number }
    | { kind: 'breakStart'; workers: SimWorker[]; count: number; minutes: number }
    | { kind: 'breakEnd'; workers: SimWorker[] }
  );

export class Simulation implements WorkspaceModel {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly friendlyName: string;
  readonly multiTaskEnabled: boolean;
  readonly scenario: Scenario;
  private clock: number;
  private readonly startMs: number;
  private readonly retentionMs: number;
  private readonly random: () => number;
  private readonly draws: Draws;
  private readonly events = new EventQueue<SimEvent>();
  private readonly queueList: SimQueue[] = [];
  private readonly queueBySid = new Map<string, SimQueue>();
  private readonly records: QueueRecord[] = [];
  private readonly workflowRecords: WorkflowRecord[];
  private readonly options: SimulationOptions;
  private nextTaskId = 1;
  private readonly eventLog: EventRecord[] = [];
  private readonly activitySince = new Map<SimWorker, number>();
  private readonly workerList: SimWorker[] = [];
  private lastPruneAt = 0;
  /** Counters for benchmarks. */
  readonly counters = { events: 0, tasks: 0, accepted: 0, abandoned: 0 };

  constructor(scenario: Scenario, options: SimulationOptions) {
    this.scenario = scenario;
    this.options = options;
    this.startMs = options.startMs;
    this.clock = options.startMs;
    this.retentionMs = (options.retentionMinutes ?? 24 * 60) * 60_000;
    this.random = seededRandom(scenario.seed);
    this.draws = new Draws(this.random);
    this.accountSid = sidFor('AC', `sim-account-${scenario.name}`);
    this.workspaceSid = sidFor('WS', `sim-workspace-${scenario.name}`);
    this.friendlyName = `Simulated ${scenario.name}`;
    this.multiTaskEnabled = scenario.workspaceMode === 'multitasking';
    const created = new Date(options.startMs).toISOString();

    for (const spec of scenario.queues) {
      const queue: SimQueue = {
        index: this.queueList.length,
        sid: sidFor('WQ', `${this.workspaceSid}-${spec.name}`),
        spec,
        channels: new Map(),
        channelPick: picker(spec.channels, (key) => key).map(({ value, upTo }) => ({ channel: value, upTo })),
        priorityPick: picker(spec.priorities, Number).map(({ value, upTo }) => ({ priority: value, upTo })),
        maxRatePerMs: Math.max(...spec.arrivalsPerHour.map(([, rate]) => rate)) / 3_600_000,
        workers: [],
      };
      const priorities = Object.keys(spec.priorities).map(Number);
      for (const channel of Object.keys(spec.channels)) {
        queue.channels.set(channel, { ...emptyLedger<SimTask>(priorities), channel, queue, free: new Set(), eligible: [] });
      }
      this.queueList.push(queue);
      this.queueBySid.set(queue.sid, queue);
      this.records.push({ sid: queue.sid, friendlyName: spec.name, targetWorkers: `routing.skills HAS "${spec.name}"`, dateCreated: created });
      this.scheduleArrival(queue);
      for (const task of spec.script) this.events.push({ time: this.startMs + task.atSeconds * 1000, kind: 'scripted', queue, task });
    }
    const byName = new Map(this.queueList.map((queue) => [queue.spec.name, queue]));
    for (const group of scenario.workers) {
      const most = Math.max(...group.staffing.map(([, count]) => count));
      const workers: SimWorker[] = [];
      for (let index = 0; index < most; index++) {
        workers.push({
          sid: sidFor('WK', `${this.workspaceSid}-${group.name}-${index}`),
          name: `${group.name}-${index}`,
          queues: group.queues.map((name) => byName.get(name)!),
          capacity: new Map(Object.entries(group.capacity)),
          busy: new Map(Object.keys(group.capacity).map((channel) => [channel, 0])),
          holding: 0,
          onShift: false,
          onBreak: false,
          activity: 'Offline',
        });
      }
      this.workerList.push(...workers);
      for (const worker of workers) {
        for (const served of worker.queues) {
          served.workers.push(worker);
          for (const [channelName, capacity] of worker.capacity) if (capacity > 0) served.channels.get(channelName)?.eligible.push(worker);
        }
      }
      for (const [minute, count] of group.staffing) this.events.push({ time: this.startMs + minute * 60_000, kind: 'staffing', workers, count });
      for (const { atMinute, minutes, workers: count } of group.breaks) this.events.push({ time: this.startMs + atMinute * 60_000, kind: 'breakStart', workers, count, minutes });
    }
    this.workflowRecords = [
      {
        sid: sidFor('WW', `${this.workspaceSid}-inbound`),
        friendlyName: 'Inbound',
        dateCreated: created,
        configuration: {
          task_routing: {
            filters: this.queueList.slice(0, 100).map((queue) => ({
              filter_friendly_name: `${queue.spec.name} line`,
              expression: `department == "${queue.spec.name}"`,
              targets: [{ queue: queue.sid, timeout: 3600 }],
            })),
            default_filter: { queue: this.queueList[0]!.sid },
          },
        },
      },
    ];
    this.advanceTo(this.startMs);
  }

  now(): number {
    return this.clock;
  }

  queues(): QueueRecord[] {
    return this.records;
  }

  workflows(): WorkflowRecord[] {
    return this.workflowRecords;
  }

  /** Processes every event up to `timeMs` and moves the clock there. */
  advanceTo(timeMs: number): void {
    while (this.events.peekTime() <= timeMs) {
      const event = this.events.pop()!;
      this.clock = event.time;
      this.counters.events++;
      this.handle(event);
    }
    this.clock = Math.max(this.clock, timeMs);
    if (this.clock - this.lastPruneAt > 60_000) this.prune();
  }

  private scheduleArrival(queue: SimQueue): void {
    if (queue.maxRatePerMs <= 0) return;
    this.events.push({ time: this.clock + this.draws.exponential(queue.maxRatePerMs), kind: 'arrival', queue });
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'arrival':
        return this.onArrival(event.queue);
      case 'scripted': {
        const { channel, priority, handleSeconds, patienceSeconds } = event.task;
        if (!event.queue.channels.has(channel)) throw new Error(`scripted task on ${event.queue.spec.name} uses channel ${channel}, which the queue does not carry`);
        return this.admit(event.queue, channel, priority, handleSeconds, patienceSeconds === null ? null : patienceSeconds * 1000);
      }
      case 'accept':
        return this.onAccept(event.task);
      case 'complete':
        return this.onComplete(event.task);
      case 'wrapDone':
        return this.onWrapDone(event.task);
      case 'abandon':
        return this.onAbandon(event.task);
      case 'staffing':
        return this.onStaffing(event.workers, event.count);
      case 'breakStart':
        return this.onBreakStart(event.workers, event.count, event.minutes);
      case 'breakEnd':
        return this.onBreakEnd(event.workers);
    }
  }

  private onArrival(queue: SimQueue): void {
    this.scheduleArrival(queue);
    const minute = (this.clock - this.startMs) / 60_000;
    // Thinning: a candidate at the maximum rate is kept with probability rate(t) / max rate.
    if (this.random() * queue.maxRatePerMs * 3_600_000 >= curveAt(queue.spec.arrivalsPerHour, minute)) return;
    const pickChannel = this.random();
    const channelName = (queue.channelPick.find((choice) => pickChannel <= choice.upTo) ?? queue.channelPick[queue.channelPick.length - 1]!).channel;
    const pickPriority = this.random();
    const priority = (queue.priorityPick.find((choice) => pickPriority <= choice.upTo) ?? queue.priorityPick[queue.priorityPick.length - 1]!).priority;
    const patienceMs = queue.spec.patienceSeconds === null ? null : this.draws.exponential(1 / (queue.spec.patienceSeconds * 1000));
    this.admit(queue, channelName, priority, null, patienceMs);
  }

  /** A task enters the queue: straight to a free worker, or into line with its patience running. */
  private admit(queue: SimQueue, channelName: string, priority: number, handleSeconds: number | null, patienceMs: number | null): void {
    const channel = queue.channels.get(channelName)!;
    const task: SimTask = { id: this.nextTaskId++, handleSeconds, queue, channel, priority, arrivedAt: this.clock, state: 'pending', worker: null };
    this.counters.tasks++;
    enterTask(channel, this.clock);
    this.record('task.created', task);
    this.options.onArrival?.({ taskId: task.id, queueSid: queue.sid, channel: channelName, priority, arrivedAtMs: this.clock });
    const worker = channel.free.values().next().value as SimWorker | undefined;
    if (worker) {
      this.reserve(task, worker, false);
      return;
    }
    enqueueTask(channel, task);
    if (patienceMs !== null) this.events.push({ time: this.clock + patienceMs, kind: 'abandon', task });
  }

  private reserve(task: SimTask, worker: SimWorker, wasPending: boolean): void {
    const channel = task.channel;
    reserveTask(channel, task, this.clock, wasPending);
    task.worker = worker;
    this.record('reservation.created', task);
    worker.busy.set(channel.channel, worker.busy.get(channel.channel)! + 1);
    worker.holding++;
    this.settle(worker);
    this.events.push({ time: this.clock + this.scenario.acceptSeconds * 1000, kind: 'accept', task });
  }

  private onAccept(task: SimTask): void {
    const channel = task.channel;
    const waitSeconds = acceptTask(channel, task, this.clock);
    this.record('reservation.accepted', task);
    this.counters.accepted++;
    this.options.onResolved?.({ taskId: task.id, queueSid: task.queue.sid, channel: channel.channel, priority: task.priority, arrivedAtMs: task.arrivedAt, waitSeconds, outcome: 'accepted' });
    const handleSeconds = task.handleSeconds ?? this.draws.handle(task.queue.spec.handleSeconds);
    this.events.push({ time: this.clock + handleSeconds * 1000, kind: 'complete', task });
  }

  private onComplete(task: SimTask): void {
    completeTask(task.channel, task, this.clock);
    this.record('task.wrapup', task);
    this.events.push({ time: this.clock + task.queue.spec.wrapUpSeconds * 1000, kind: 'wrapDone', task });
  }

  private onWrapDone(task: SimTask): void {
    finishTask(task.channel, task);
    this.record('task.completed', task);
    const worker = task.worker!;
    const channelName = task.channel.channel;
    worker.busy.set(channelName, worker.busy.get(channelName)! - 1);
    worker.holding--;
    task.worker = null;
    this.settle(worker);
    this.pullAll(worker);
  }

  private pullAll(worker: SimWorker): void {
    for (const channelName of worker.capacity.keys()) this.pull(worker, channelName);
  }

  private onAbandon(task: SimTask): void {
    const channel = task.channel;
    const waitSeconds = cancelTask(channel, task, this.clock);
    if (waitSeconds === null) return;
    this.record('task.canceled', task);
    this.counters.abandoned++;
    this.options.onResolved?.({ taskId: task.id, queueSid: task.queue.sid, channel: channel.channel, priority: task.priority, arrivedAtMs: task.arrivedAt, waitSeconds, outcome: 'abandoned' });
  }

  /** A worker who can be offered a task on `channelName` takes the best waiting task of its queues. */
  private pull(worker: SimWorker, channelName: string): void {
    while (isOffered(worker, channelName)) {
      let best: { deque: ChannelState['waiting'][number]; task: SimTask } | undefined;
      for (const queue of worker.queues) {
        const channel = queue.channels.get(channelName);
        if (!channel || channel.pending === 0) continue;
        for (const deque of channel.waiting) {
          const task = deque.peek();
          if (!task) continue;
          if (!best || task.priority > best.task.priority || (task.priority === best.task.priority && task.arrivedAt < best.task.arrivedAt)) best = { deque, task };
          break; // deques are ordered by priority: the first non-empty one is this queue's best
        }
      }
      if (!best) return;
      best.deque.shift();
      this.reserve(best.task, worker, true);
    }
  }

  /** The first `count` workers of the group are on shift; the others log out (Offline). */
  private onStaffing(workers: SimWorker[], count: number): void {
    workers.forEach((worker, index) => {
      const onShift = index < count;
      if (onShift === worker.onShift) return;
      worker.onShift = onShift;
      this.settle(worker);
      if (onShift) this.pullAll(worker);
    });
  }

  /** `count` on-shift workers of the group not already on a break go on one for `minutes`. */
  private onBreakStart(workers: SimWorker[], count: number, minutes: number): void {
    const going = workers.filter((worker) => worker.onShift && !worker.onBreak).slice(0, count);
    for (const worker of going) {
      worker.onBreak = true;
      this.settle(worker);
    }
    this.events.push({ time: this.clock + minutes * 60_000, kind: 'breakEnd', workers: going });
  }

  private onBreakEnd(workers: SimWorker[]): void {
    for (const worker of workers) {
      worker.onBreak = false;
      this.settle(worker);
      this.pullAll(worker);
    }
  }

  private prune(): void {
    this.lastPruneAt = this.clock;
    const before = this.clock - this.retentionMs;
    for (const queue of this.queueList) {
      for (const channel of queue.channels.values()) pruneLedger(channel, before);
    }
  }

  /** Sets the worker's Activity (workforce.ts) and, recording, logs a worker.activity.update when it changed. */
  private settle(worker: SimWorker): void {
    const before = worker.activity;
    settle(worker, this.scenario.workspaceMode);
    if (!this.options.recordEvents || worker.activity === before) return;
    const since = this.activitySince.get(worker) ?? this.startMs;
    this.activitySince.set(worker, this.clock);
    this.log('worker.activity.update', 'Worker', worker.sid, `Worker ${worker.name} updated to ${worker.activity} Activity`, {
      ...workerData(worker, this.workspaceSid),
      worker_previous_activity_name: before,
      worker_previous_activity_sid: activitySid(this.workspaceSid, before),
      worker_time_in_previous_activity: Math.floor((this.clock - since) / 1000),
      worker_time_in_previous_activity_ms: this.clock - since,
    });
  }

  /** Logs a task's or its reservation's event, with the fields TaskRouter's Event reference gives it. */
  private record(type: 'task.created' | 'reservation.created' | 'reservation.accepted' | 'task.wrapup' | 'task.completed' | 'task.canceled', task: SimTask): void {
    if (!this.options.recordEvents) return;
    const taskSid = taskSidOf(task.id);
    const data: Record<string, unknown> = {
      task_sid: taskSid,
      task_queue_sid: task.queue.sid,
      task_queue_name: task.queue.spec.name,
      task_queue_target_expression: `routing.skills HAS "${task.queue.spec.name}"`,
      task_channel_unique_name: task.channel.channel,
      task_priority: task.priority,
      task_age: Math.floor((this.clock - task.arrivedAt) / 1000),
      task_assignment_status: task.state,
      task_attributes: JSON.stringify({ department: task.queue.spec.name, caller: `+1555${String(task.id).padStart(7, '0')}` }),
      task_date_created: new Date(task.arrivedAt).toISOString(),
    };
    if (type === 'task.canceled') data['task_canceled_reason'] = 'hangup';
    if (type.startsWith('reservation.')) {
      const reservationSid = `WR${task.id.toString(16).padStart(32, '0')}`;
      Object.assign(data, { reservation_sid: reservationSid, ...workerData(task.worker!, this.workspaceSid) });
      this.log(type, 'Reservation', reservationSid, `Reservation ${reservationSid} ${type.slice('reservation.'.length)} for Worker ${task.worker!.name}`, data);
    } else {
      this.log(type, 'Task', taskSid, `Task ${taskSid} ${type.slice('task.'.length)}`, data);
    }
  }

  private log(eventType: string, resourceType: EventRecord['resourceType'], resourceSid: string, description: string, data: Record<string, unknown>): void {
    // Sequential SIDs: their order is the events' order, so the Events list's cursor pages follow time.
    const sid = `EV${this.eventLog.length.toString(16).padStart(32, '0')}`;
    this.eventLog.push({ sid, eventType, atMs: this.clock, resourceType, resourceSid, description, data });
  }

  listEvents(startMs: number, endMs: number): EventRecord[] {
    return this.eventLog.filter((event) => event.atMs >= startMs && event.atMs <= endMs);
  }

  listWorkers(): WorkerRecord[] {
    return this.workerList.map((worker) => ({
      sid: worker.sid,
      friendlyName: worker.name,
      attributes: { routing: { skills: worker.queues.map((queue) => queue.spec.name) } },
      activityName: worker.activity,
      available: ACTIVITY_AVAILABLE.get(worker.activity)!,
      dateCreated: new Date(this.startMs).toISOString(),
      channels: [...worker.capacity].map(([taskChannel, capacity]) => ({ taskChannel, capacity, available: capacity > 0 })),
    }));
  }

  listActivities(): ActivityRecord[] {
    return ACTIVITIES.map((activity) => ({ sid: activitySid(this.workspaceSid, activity.name), friendlyName: activity.name, available: activity.available }));
  }

  private channelsOf(queueSid: string, taskChannel: string | undefined): ChannelState[] {
    const queue = this.queueBySid.get(queueSid);
    if (!queue) return [];
    if (taskChannel === undefined) return [...queue.channels.values()];
    const channel = queue.channels.get(taskChannel);
    return channel ? [channel] : [];
  }

  realtime(queueSid: string, taskChannel: string | undefined): Record<string, unknown> {
    return realtimeStatistics(this.queueBySid.get(queueSid)!.workers, this.channelsOf(queueSid, taskChannel), taskChannel, this.clock, this.workspaceSid);
  }

  cumulative(queueSid: string, query: StatisticsQuery): Record<string, unknown> {
    return cumulativeStatistics(this.channelsOf(queueSid, query.taskChannel), query);
  }

  /**
   * The oracle's wait for a caller arriving now at `queueSid`/`channel` with `priority`: the
   * queue-length formula with the simulation's true service and abandonment rates.
   */
  oracleWaitSeconds(queueSid: string, channelName: string, priority: number): number | null {
    const queue = this.queueBySid.get(queueSid);
    const channel = queue?.channels.get(channelName);
    if (!queue || !channel) return null;
    if (channel.free.size > 0) return this.scenario.acceptSeconds;
    // Servers: each online worker's capacity on this channel, shared evenly among the queues it serves.
    let servers = 0;
    for (const worker of queue.workers) {
      if (!worker.onShift || worker.onBreak) continue;
      const sharing = worker.queues.filter((served) => served.channels.has(channelName)).length || 1;
      servers += (worker.capacity.get(channelName) ?? 0) / sharing;
    }
    if (servers === 0) return null;
    const meanBusySeconds = meanHandleSeconds(queue.spec.handleSeconds) + queue.spec.wrapUpSeconds + this.scenario.acceptSeconds;
    const serviceRate = servers / meanBusySeconds;
    const abandonRate = queue.spec.patienceSeconds === null ? 0 : 1 / queue.spec.patienceSeconds;
    let ahead = 0;
    for (const [taskPriority, count] of channel.pendingByPriority) if (taskPriority >= priority) ahead += count;
    let seconds = this.scenario.acceptSeconds;
    for (let k = ahead; k >= 0; k--) seconds += 1 / (serviceRate + k * abandonRate);
    return seconds;
  }

}
