/**
 * A TaskRouter API double: the endpoints this project calls, with the wire shapes of the TaskRouter v1
 * OpenAPI spec (snake_case, `meta` paging with absolute `next_page_url`), HTTP basic auth, a rate
 * limit answered with 429 / code 20429, and injectable latency and faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sidFor, type EventRecord, type StatisticsQuery, type WorkspaceModel } from './workspace-model';

/** What a fault hook may do to one request instead of answering it normally. */
export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'reset' }
  | { kind: 'garbled' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  /** Answers only once `until` settles: tests order requests with it instead of sleeping. */
  | { kind: 'hold'; until: Promise<unknown> };

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  /** 1-based count of requests so far, this one included. */
  count: number;
  /** The basic-auth user (account SID or API key SID), as sent; '' without one. */
  user: string;
}

export interface TaskRouterDoubleOptions {
  model: WorkspaceModel;
  /** Basic-auth password accepted for the model's account SID (and for any `apiKeys`). */
  authToken: string;
  /** API key SID → secret, also accepted. */
  apiKeys?: Record<string, string>;
  /** Added to every response, ms. */
  latencyMs?: number;
  /** Added per item of a list page (queues or their statistics), ms: a 1,000-queue page costs more than one queue. */
  latencyPerItemMs?: number;
  /** Above this many requests in any one-second window: 429 with code 20429. */
  rateLimitPerSecond?: number;
  /** Sent as Retry-After with rate-limit 429s when set. */
  retryAfterSeconds?: number;
  fault?: (request: RequestInfo) => Fault | undefined;
  port?: number;
  /**
   * Serve the bulk `TaskQueues/Statistics` list with only the fields of the official spec's own
   * example (no `wait_duration_*`, `split_by_wait_time` or `longest_relative_*`): whether real bulk
   * responses carry more is not documented, so the refresher must cope with this set.
   */
  lean?: boolean;
}

/** The fields of `cumulative` and `realtime` in the spec's example of the bulk statistics list. */
export const LEAN_FIELDS = {
  cumulative: ['avg_task_acceptance_time', 'end_time', 'reservations_accepted', 'reservations_canceled', 'reservations_created', 'reservations_rejected', 'reservations_rescinded', 'reservations_timed_out', 'start_time', 'tasks_canceled', 'tasks_deleted', 'tasks_entered', 'tasks_moved'],
  realtime: ['activity_statistics', 'longest_task_waiting_age', 'longest_task_waiting_sid', 'tasks_by_status', 'total_available_workers', 'total_eligible_workers', 'total_tasks'],
} as const;

function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => field in source).map((field) => [field, source[field]]));
}

export interface TaskRouterDouble {
  url: string;
  server: Server;
  /** Requests answered, by endpoint kind, and rate-limited ones. */
  stats: { requests: number; rateLimited: number; byEndpoint: Record<string, number> };
  /** Changes latency or faults while running. */
  options: TaskRouterDoubleOptions;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const PAGE_SIZE_DEFAULT = 50;
const PAGE_SIZE_MAX = 1000;
const MINUTES_DEFAULT = 15;
const MINUTES_MAX = 43200;

function pageSizeOf(query: URLSearchParams): number {
  const raw = query.get('PageSize');
  if (raw === null) return PAGE_SIZE_DEFAULT;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > PAGE_SIZE_MAX) throw new ApiError(400, 20001, `PageSize must be between 1 and ${PAGE_SIZE_MAX}`);
  return size;
}

function pageOf(query: URLSearchParams): number {
  const raw = query.get('Page');
  if (raw === null) return 0;
  const page = Number(raw);
  if (!Number.isInteger(page) || page < 0) throw new ApiError(400, 20001, 'Page must be a non-negative integer');
  return page;
}

/** Reads Minutes or StartDate/EndDate (never both) into a window on the model's clock. */
function statisticsQueryOf(query: URLSearchParams, nowMs: number): StatisticsQuery {
  const minutesRaw = query.get('Minutes');
  const start = query.get('StartDate');
  const end = query.get('EndDate');
  if (minutesRaw !== null && (start !== null || end !== null)) throw new ApiError(400, 20001, 'Minutes cannot be combined with StartDate or EndDate');
  const taskChannel = query.get('TaskChannel') ?? undefined;
  const splitRaw = query.get('SplitByWaitTime');
  const splitByWaitTime = splitRaw === null ? undefined : splitRaw.split(',').map(Number);
  if (splitByWaitTime?.some((value) => !Number.isFinite(value) || value < 0)) throw new ApiError(400, 20001, 'SplitByWaitTime must be comma-separated seconds');
  if (start !== null || end !== null) {
    const startMs = start === null ? nowMs - MINUTES_DEFAULT * 60_000 : Date.parse(start);
    const endMs = end === null ? nowMs : Date.parse(end);
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || startMs > endMs) throw new ApiError(400, 20001, 'StartDate and EndDate must be ISO 8601 date-times, StartDate first');
    return { startMs, endMs: Math.min(endMs, nowMs), taskChannel, splitByWaitTime };
  }
  const minutes = minutesRaw === null ? MINUTES_DEFAULT : Number(minutesRaw);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MINUTES_MAX) throw new ApiError(400, 20001, `Minutes must be between 1 and ${MINUTES_MAX}`);
  return { startMs: nowMs - minutes * 60_000, endMs: nowMs, taskChannel, splitByWaitTime };
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic (.+)$/.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function authorised(credentials: { user: string; password: string } | undefined, options: TaskRouterDoubleOptions): boolean {
  if (!credentials) return false;
  const { user, password } = credentials;
  if (user === options.model.accountSid) return password === options.authToken;
  return options.apiKeys?.[user] !== undefined && options.apiKeys[user] === password;
}

export async function startTaskRouterDouble(options: TaskRouterDoubleOptions): Promise<TaskRouterDouble> {
  const stats = { requests: 0, rateLimited: 0, byEndpoint: {} as Record<string, number> };
  const recent: number[] = [];
  let baseUrl = '';

  /**
   * Pages like TaskRouter: `PageToken` is a cursor (here the SID of the last item of the previous page),
   * so a queue deleted between two page requests does not shift later items past the reader.
   */
  const paged = <T extends { sid: string }>(items: T[], key: string, path: string, query: URLSearchParams, render: (item: T) => object) => {
    const pageSize = pageSizeOf(query);
    const page = pageOf(query);
    const token = query.get('PageToken');
    const after = token?.startsWith('PT') ? token.slice(2) : undefined;
    const cursor = after === undefined ? -1 : items.findIndex((item) => item.sid > after);
    const start = after === undefined ? page * pageSize : cursor === -1 ? items.length : cursor;
    const slice = items.slice(start, start + pageSize);
    const pageUrl = (n: number, lastSid?: string) => {
      const params = new URLSearchParams(query);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(n));
      if (lastSid !== undefined) params.set('PageToken', `PT${lastSid}`);
      else params.delete('PageToken');
      return `${baseUrl}${path}?${params.toString()}`;
    };
    return {
      [key]: slice.map(render),
      meta: {
        page,
        page_size: pageSize,
        first_page_url: pageUrl(0),
        previous_page_url: page > 0 ? pageUrl(page - 1) : null,
        next_page_url: start + pageSize < items.length ? pageUrl(page + 1, slice[slice.length - 1]!.sid) : null,
        url: token === null ? pageUrl(page) : `${baseUrl}${path}?${query.toString()}`,
        key,
      },
    };
  };

  /** Queues in SID order, the order TaskRouter's cursor pages follow here. */
  const sortedQueues = () => [...options.model.queues()].sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));

  const route = (method: string, path: string, query: URLSearchParams): { endpoint: string; body: object } => {
    const model = options.model;
    if (method !== 'GET') throw new ApiError(405, 20004, 'Method not allowed');
    if (path === `/v1/Workspaces/${model.workspaceSid}`) {
      const url = `${baseUrl}${path}`;
      return {
        endpoint: 'workspace',
        body: {
          account_sid: model.accountSid, date_created: '2026-01-01T00:00:00Z', date_updated: '2026-01-01T00:00:00Z', default_activity_name: 'Offline', default_activity_sid: sidFor('WA', `${model.workspaceSid}-Offline`),
          event_callback_url: null, events_filter: null, friendly_name: model.friendlyName, multi_task_enabled: model.multiTaskEnabled, sid: model.workspaceSid,
          timeout_activity_name: 'Offline', timeout_activity_sid: sidFor('WA', `${model.workspaceSid}-Offline`), prioritize_queue_order: 'FIFO', url,
          links: { task_queues: `${url}/TaskQueues`, workflows: `${url}/Workflows`, statistics: `${url}/Statistics` },
        },
      };
    }
    const history = /^\/v1\/Workspaces\/([^/]+)\/(Events|Workers|Activities)(?:\/([^/]+)\/(Channels))?$/.exec(path);
    if (history && history[1] === model.workspaceSid) return historyRoute(model, history[2]!, history[3], path, query);
    const match = /^\/v1\/Workspaces\/([^/]+)\/(TaskQueues|Workflows)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (!match || match[1] !== model.workspaceSid) throw new ApiError(404, 20404, `The requested resource ${path} was not found`);
    const [, workspaceSid, collection, sid, sub] = match;
    const nowMs = model.now();
    const queueUrl = (queueSid: string) => `${baseUrl}/v1/Workspaces/${workspaceSid}/TaskQueues/${queueSid}`;
    if (collection === 'Workflows') {
      const workflow = model.workflows().find((candidate) => candidate.sid === sid);
      if (!workflow || sub !== undefined) throw new ApiError(404, 20404, `The requested resource ${path} was not found`);
      return {
        endpoint: 'workflow',
        body: {
          account_sid: model.accountSid, workspace_sid: workspaceSid, sid: workflow.sid, friendly_name: workflow.friendlyName,
          configuration: JSON.stringify(workflow.configuration), assignment_callback_url: null, fallback_assignment_callback_url: null,
          task_reservation_timeout: 120, document_content_type: 'application/json', date_created: workflow.dateCreated, date_updated: workflow.dateCreated,
          url: `${baseUrl}/v1/Workspaces/${workspaceSid}/Workflows/${workflow.sid}`, links: {},
        },
      };
    }
    if (sid === undefined) {
      return {
        endpoint: 'queues',
        body: paged(sortedQueues().filter((queue) => query.get('FriendlyName') === null || queue.friendlyName === query.get('FriendlyName')), 'task_queues', path, query, (queue) => ({
          account_sid: model.accountSid, assignment_activity_sid: null, assignment_activity_name: null, date_created: queue.dateCreated, date_updated: queue.dateCreated,
          friendly_name: queue.friendlyName, max_reserved_workers: 1, reservation_activity_sid: null, reservation_activity_name: null, sid: queue.sid,
          target_workers: queue.targetWorkers, task_order: 'FIFO', url: queueUrl(queue.sid), workspace_sid: workspaceSid,
          links: { statistics: `${queueUrl(queue.sid)}/Statistics`, cumulative_statistics: `${queueUrl(queue.sid)}/CumulativeStatistics`, real_time_statistics: `${queueUrl(queue.sid)}/RealTimeStatistics` },
        })),
      };
    }
    if (sid === 'Statistics' && sub === undefined) {
      const window = statisticsQueryOf(query, nowMs);
      const queues = sortedQueues().filter((queue) => query.get('FriendlyName') === null || queue.friendlyName === query.get('FriendlyName'));
      return {
        endpoint: 'statistics',
        body: paged(queues, 'task_queues_statistics', path, query, (queue) => ({
          account_sid: model.accountSid,
          cumulative: options.lean ? pick(model.cumulative(queue.sid, window), LEAN_FIELDS.cumulative) : model.cumulative(queue.sid, window),
          realtime: options.lean ? pick(model.realtime(queue.sid, window.taskChannel), LEAN_FIELDS.realtime) : model.realtime(queue.sid, window.taskChannel),
          task_queue_sid: queue.sid,
          workspace_sid: workspaceSid,
        })),
      };
    }
    const queue = model.queues().find((candidate) => candidate.sid === sid);
    if (!queue) throw new ApiError(404, 20404, `The requested resource ${path} was not found`);
    if (sub === 'CumulativeStatistics') {
      const window = statisticsQueryOf(query, nowMs);
      return { endpoint: 'cumulative', body: { account_sid: model.accountSid, ...model.cumulative(queue.sid, window), task_queue_sid: queue.sid, workspace_sid: workspaceSid, url: `${queueUrl(queue.sid)}/CumulativeStatistics` } };
    }
    if (sub === 'RealTimeStatistics') {
      return { endpoint: 'realtime', body: { account_sid: model.accountSid, ...model.realtime(queue.sid, query.get('TaskChannel') ?? undefined), task_queue_sid: queue.sid, workspace_sid: workspaceSid, url: `${queueUrl(queue.sid)}/RealTimeStatistics` } };
    }
    if (sub === undefined) {
      return {
        endpoint: 'queue',
        body: {
          account_sid: model.accountSid, assignment_activity_sid: null, assignment_activity_name: null, date_created: queue.dateCreated, date_updated: queue.dateCreated,
          friendly_name: queue.friendlyName, max_reserved_workers: 1, reservation_activity_sid: null, reservation_activity_name: null, sid: queue.sid,
          target_workers: queue.targetWorkers, task_order: 'FIFO', url: queueUrl(queue.sid), workspace_sid: workspaceSid, links: {},
        },
      };
    }
    throw new ApiError(404, 20404, `The requested resource ${path} was not found`);
  };

  /**
   * The Events list (StartDate/EndDate or Minutes, EventType; oldest first, cursor pages: follow
   * next_page_url), the Workers list with each worker's Channels, and the Activities: what
   * `npm run export:events` reads. Served only by models that keep them (a recording simulation).
   */
  const historyRoute = (model: WorkspaceModel, collection: string, workerSid: string | undefined, path: string, query: URLSearchParams): { endpoint: string; body: object } => {
    const notFound = new ApiError(404, 20404, `The requested resource ${path} was not found`);
    const workspaceUrl = `${baseUrl}/v1/Workspaces/${model.workspaceSid}`;
    const created = '2026-01-01T00:00:00Z';
    if (collection === 'Events' && model.listEvents) {
      const window = statisticsQueryOf(query, model.now());
      const type = query.get('EventType');
      const events = model.listEvents(window.startMs, window.endMs).filter((event) => type === null || event.eventType === type);
      const resourceUrl = (event: EventRecord) => `${workspaceUrl}/${event.resourceType === 'Task' ? 'Tasks' : event.resourceType === 'Worker' ? 'Workers' : `Tasks/${String(event.data['task_sid'])}/Reservations`}/${event.resourceSid}`;
      return {
        endpoint: 'events',
        body: paged(events, 'events', path, query, (event) => ({
          account_sid: model.accountSid, actor_sid: model.accountSid, actor_type: 'account', actor_url: `https://api.twilio.com/2010-04-01/Accounts/${model.accountSid}`,
          description: event.description, event_data: event.data, event_date: new Date(event.atMs).toISOString().replace(/\.\d{3}Z$/, 'Z'), event_date_ms: Math.floor(event.atMs), event_type: event.eventType,
          resource_sid: event.resourceSid, resource_type: event.resourceType, resource_url: resourceUrl(event), sid: event.sid, source: 'twilio', source_ip_address: null,
          url: `${workspaceUrl}/Events/${event.sid}`, workspace_sid: model.workspaceSid,
        })),
      };
    }
    // A model without workers (the static one) is a workspace with none: the list is empty.
    if (collection === 'Workers') {
      const workers = [...(model.listWorkers?.() ?? [])].sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
      const activitySid = (name: string) => sidFor('WA', `${model.workspaceSid}-${name}`);
      if (workerSid !== undefined) {
        const worker = workers.find((candidate) => candidate.sid === workerSid);
        if (!worker) throw notFound;
        return {
          endpoint: 'worker-channels',
          body: paged(worker.channels.map((channel) => ({ ...channel, sid: sidFor('WC', `${worker.sid}-${channel.taskChannel}`) })), 'channels', path, query, (channel) => ({
            account_sid: model.accountSid, assigned_tasks: 0, available: channel.available, available_capacity_percentage: channel.available ? 100 : 0, configured_capacity: channel.capacity,
            date_created: created, date_updated: created, sid: channel.sid, task_channel_sid: sidFor('TC', `${model.workspaceSid}-${channel.taskChannel}`), task_channel_unique_name: channel.taskChannel,
            worker_sid: worker.sid, workspace_sid: model.workspaceSid, url: `${workspaceUrl}/Workers/${worker.sid}/Channels/${channel.sid}`,
          })),
        };
      }
      return {
        endpoint: 'workers',
        body: paged(workers, 'workers', path, query, (worker) => ({
          account_sid: model.accountSid, activity_name: worker.activityName, activity_sid: activitySid(worker.activityName), attributes: JSON.stringify(worker.attributes), available: worker.available,
          date_created: worker.dateCreated, date_status_changed: worker.dateCreated, date_updated: worker.dateCreated, friendly_name: worker.friendlyName, sid: worker.sid, workspace_sid: model.workspaceSid,
          url: `${workspaceUrl}/Workers/${worker.sid}`, links: { channels: `${workspaceUrl}/Workers/${worker.sid}/Channels`, statistics: `${workspaceUrl}/Workers/${worker.sid}/Statistics` },
        })),
      };
    }
    if (collection === 'Activities' && workerSid === undefined && model.listActivities) {
      return {
        endpoint: 'activities',
        body: paged(model.listActivities(), 'activities', path, query, (activity) => ({
          account_sid: model.accountSid, available: activity.available, date_created: created, date_updated: created, friendly_name: activity.friendlyName, sid: activity.sid,
          workspace_sid: model.workspaceSid, url: `${workspaceUrl}/Activities/${activity.sid}`, links: { workspace: workspaceUrl },
        })),
      };
    }
    throw notFound;
  };

  const sendError = (response: ServerResponse, error: ApiError) => {
    response.writeHead(error.status, { 'Content-Type': 'application/json', ...error.headers });
    response.end(JSON.stringify({ code: error.code, message: error.message, more_info: `https://www.twilio.com/docs/errors/${error.code}`, status: error.status }));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    stats.requests++;
    const url = new URL(request.url ?? '/', 'http://double.invalid');
    const credentials = basicAuth(request.headers.authorization);
    const info: RequestInfo = { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, count: stats.requests, user: credentials?.user ?? '' };
    const fault = options.fault?.(info);
    if (fault?.kind === 'hang') return; // never answers; the client's timeout must end it
    // Unref'd: a delayed answer must not keep a stopping process alive.
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
    if (fault?.kind === 'hold') await fault.until;
    if (fault?.kind === 'reset') return request.socket.destroy();
    if (fault?.kind === 'status') {
      return sendError(response, new ApiError(fault.status, fault.status === 429 ? 20429 : 20500, fault.status === 429 ? 'Too Many Requests' : 'Service unavailable', fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) }));
    }
    if (options.rateLimitPerSecond !== undefined) {
      const now = Date.now();
      while (recent.length > 0 && recent[0]! <= now - 1000) recent.shift();
      if (recent.length >= options.rateLimitPerSecond) {
        stats.rateLimited++;
        return sendError(response, new ApiError(429, 20429, 'Too Many Requests', options.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(options.retryAfterSeconds) }));
      }
      recent.push(now);
    }
    if (!authorised(credentials, options)) {
      return sendError(response, new ApiError(401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' }));
    }
    const { endpoint, body } = route(info.method, info.path, info.query);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    // The latency model: a fixed cost per request plus a cost per item a list page carries.
    const items = Object.values(body).find(Array.isArray)?.length ?? 0;
    const latency = (options.latencyMs ?? 0) + (options.latencyPerItemMs ?? 0) * items;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(fault?.kind === 'garbled' ? JSON.stringify(body).slice(0, 40) : JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof ApiError) return sendError(response, error);
      sendError(response, new ApiError(500, 20500, 'Internal server error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    server,
    stats,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
