/**
 * What the TaskRouter API double serves: a workspace's queues, workflows and statistics. The static
 * model below gives fixed numbers for any number of queues; the simulation gives computed ones.
 */
import { createHash } from 'node:crypto';

export interface QueueRecord {
  sid: string;
  friendlyName: string;
  targetWorkers: string;
  dateCreated: string;
}

export interface WorkflowRecord {
  sid: string;
  friendlyName: string;
  /** The routing configuration (served as a JSON string, as TaskRouter does). */
  configuration: object;
  dateCreated: string;
}

/** A Worker as the Workers list serves it, with its task channels (Workers/{sid}/Channels). */
export interface WorkerRecord {
  sid: string;
  friendlyName: string;
  /** Routing attributes (served as a JSON string, as TaskRouter does). */
  attributes: object;
  activityName: string;
  available: boolean;
  dateCreated: string;
  channels: { taskChannel: string; capacity: number; available: boolean }[];
}

/** An Activity of the workspace: its name and whether a worker in it can be offered tasks. */
export interface ActivityRecord {
  sid: string;
  friendlyName: string;
  available: boolean;
}

/** One TaskRouter Event: what the Events list serves, `event_data` in its wire (snake_case) form. */
export interface EventRecord {
  sid: string;
  eventType: string;
  atMs: number;
  resourceType: 'Task' | 'Reservation' | 'Worker';
  resourceSid: string;
  description: string;
  data: Record<string, unknown>;
}

/** The statistics window and filter of a request. */
export interface StatisticsQuery {
  /** Window start and end, epoch ms. */
  startMs: number;
  endMs: number;
  taskChannel: string | undefined;
  splitByWaitTime: number[] | undefined;
}

export interface WorkspaceModel {
  accountSid: string;
  workspaceSid: string;
  friendlyName: string;
  /** The Workspace's `multi_task_enabled`. */
  multiTaskEnabled: boolean;
  /** The model's clock, epoch ms (the simulation's clock can run faster than the wall's). */
  now(): number;
  queues(): QueueRecord[];
  workflows(): WorkflowRecord[];
  /** `cumulative` of one queue, snake_case as on the wire. */
  cumulative(queueSid: string, query: StatisticsQuery): Record<string, unknown>;
  /** `realtime` of one queue, snake_case as on the wire. */
  realtime(queueSid: string, taskChannel: string | undefined): Record<string, unknown>;
  /** Workers, Activities and Events, where the model keeps them (the simulation, when asked to record). */
  listWorkers?(): WorkerRecord[];
  listActivities?(): ActivityRecord[];
  /** Events from `startMs` to `endMs` (both included), oldest first. */
  listEvents?(startMs: number, endMs: number): EventRecord[];
}

/** A deterministic SID: the prefix and 32 hex digits derived from the seed text. */
export function sidFor(prefix: string, seed: string): string {
  return prefix + createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

/** A small deterministic PRNG (mulberry32), so models are repeatable for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function duration(avg: number, min: number, max: number, count: number) {
  return { avg, min, max, total: Math.round(avg * count) };
}

/**
 * Fixed, plausible statistics for `queueCount` queues, for tests and the refresh benchmark: the same
 * numbers on every call, so a refresh's output is predictable.
 */
export function staticWorkspace(options: { queueCount: number; seed?: number; accountSid?: string; workspaceSid?: string; workerCount?: number }): WorkspaceModel {
  const seed = options.seed ?? 1;
  const accountSid = options.accountSid ?? sidFor('AC', `account-${seed}`);
  const workspaceSid = options.workspaceSid ?? sidFor('WS', `workspace-${seed}`);
  const created = '2026-01-01T00:00:00Z';
  const random = seededRandom(seed);
  const queues: QueueRecord[] = [];
  const numbers = new Map<string, { waiting: number; longest: number; available: number; eligible: number; accepted: number; canceled: number; avgWait: number }>();
  for (let index = 0; index < options.queueCount; index++) {
    const friendlyName = `Queue ${String(index + 1).padStart(4, '0')}`;
    const sid = sidFor('WQ', `${workspaceSid}-${friendlyName}`);
    queues.push({ sid, friendlyName, targetWorkers: `skills HAS "q${index + 1}"`, dateCreated: created });
    const eligible = Math.floor(random() * 20);
    const waiting = Math.floor(random() * 12);
    numbers.set(sid, {
      waiting,
      longest: waiting > 0 ? Math.floor(random() * 600) : 0,
      available: waiting > 0 ? 0 : Math.floor(random() * eligible),
      eligible,
      accepted: Math.floor(random() * 60),
      canceled: Math.floor(random() * 6),
      avgWait: Math.floor(random() * 300),
    });
  }
  const workflow: WorkflowRecord = {
    sid: sidFor('WW', `${workspaceSid}-workflow`),
    friendlyName: 'Inbound',
    configuration: {
      task_routing: {
        filters: queues.slice(0, 50).map((queue) => ({ filter_friendly_name: `${queue.friendlyName} filter`, expression: `queue == "${queue.friendlyName}"`, targets: [{ queue: queue.sid }] })),
        default_filter: { queue: queues[0]?.sid ?? sidFor('WQ', 'none') },
      },
    },
    dateCreated: created,
  };
  // Workers serve queues in pairs (1-2, 3-4, …), so the refresher learns pools of two queues each.
  const workers: WorkerRecord[] = Array.from({ length: options.workerCount ?? 0 }, (_, index) => {
    const first = 2 * (index % Math.max(1, Math.floor(options.queueCount / 2))) + 1;
    return {
      sid: sidFor('WK', `${workspaceSid}-worker-${index}`),
      friendlyName: `Worker ${index + 1}`,
      attributes: { skills: [`q${first}`, `q${first + 1}`] },
      activityName: 'Available',
      available: true,
      dateCreated: created,
      channels: [{ taskChannel: 'voice', capacity: 1, available: true }],
    };
  });
  return {
    accountSid,
    workspaceSid,
    friendlyName: `Static workspace of ${options.queueCount} queues`,
    listWorkers: () => workers,
    multiTaskEnabled: true,
    now: () => Date.now(),
    queues: () => queues,
    workflows: () => [workflow],
    cumulative: (queueSid, query) => {
      const n = numbers.get(queueSid)!;
      return {
        avg_task_acceptance_time: n.avgWait,
        start_time: new Date(query.startMs).toISOString(),
        end_time: new Date(query.endMs).toISOString(),
        reservations_created: n.accepted + 2,
        reservations_accepted: n.accepted,
        reservations_rejected: 1,
        reservations_timed_out: 1,
        reservations_canceled: 0,
        reservations_rescinded: 0,
        split_by_wait_time: null,
        wait_duration_until_accepted: duration(n.avgWait, 0, n.avgWait * 3, n.accepted),
        wait_duration_in_queue_until_accepted: duration(n.avgWait, 0, n.avgWait * 3, n.accepted),
        wait_duration_until_canceled: duration(n.avgWait * 2, 0, n.avgWait * 4, n.canceled),
        tasks_canceled: n.canceled,
        tasks_completed: n.accepted,
        tasks_deleted: 0,
        tasks_entered: n.accepted + n.canceled + n.waiting,
        tasks_moved: 0,
      };
    },
    realtime: (queueSid) => {
      const n = numbers.get(queueSid)!;
      return {
        longest_task_waiting_age: n.longest,
        longest_task_waiting_sid: n.waiting > 0 ? sidFor('WT', `${queueSid}-oldest`) : null,
        longest_relative_task_age_in_queue: n.longest,
        longest_relative_task_sid_in_queue: n.waiting > 0 ? sidFor('WT', `${queueSid}-oldest`) : null,
        tasks_by_priority: n.waiting > 0 ? { '0': n.waiting } : {},
        tasks_by_status: { pending: n.waiting, reserved: 0, assigned: n.eligible - n.available, wrapping: 0 },
        total_available_workers: n.available,
        total_eligible_workers: n.eligible,
        total_tasks: n.waiting + n.eligible - n.available,
        // TaskRouter's meaning: eligible workers per Activity; a third of those not Available are Offline.
        activity_statistics: [
          { sid: sidFor('WA', `${workspaceSid}-Offline`), friendly_name: 'Offline', workers: Math.floor((n.eligible - n.available) / 3) },
          { sid: sidFor('WA', `${workspaceSid}-Available`), friendly_name: 'Available', workers: n.available },
          { sid: sidFor('WA', `${workspaceSid}-Unavailable`), friendly_name: 'Unavailable', workers: n.eligible - n.available - Math.floor((n.eligible - n.available) / 3) },
        ],
      };
    },
  };
}

/** A static workspace whose queues can change between refreshes: more callers waiting, or gone. */
export interface ChangingWorkspace extends WorkspaceModel {
  /** One more caller waiting on each of these queues. */
  bump(queueSids: string[]): void;
  /** The queue disappears from TaskRouter. */
  drop(queueSid: string): void;
}

export function changingWorkspace(options: { queueCount: number; seed?: number; workerCount?: number }): ChangingWorkspace {
  const base = staticWorkspace(options);
  const extra = new Map<string, number>();
  const dropped = new Set<string>();
  return {
    ...base,
    queues: () => base.queues().filter((queue) => !dropped.has(queue.sid)),
    realtime: (queueSid, taskChannel) => {
      const realtime = base.realtime(queueSid, taskChannel);
      const byStatus = realtime['tasks_by_status'] as Record<string, number>;
      return { ...realtime, tasks_by_status: { ...byStatus, pending: byStatus['pending']! + (extra.get(queueSid) ?? 0) } };
    },
    bump: (queueSids) => {
      for (const sid of queueSids) extra.set(sid, (extra.get(sid) ?? 0) + 1);
    },
    drop: (queueSid) => void dropped.add(queueSid),
  };
}
