/**
 * A workspace's own history, exported for the backtest: its TaskRouter Events over a period (TaskRouter
 * keeps 30 days), with what Events do not say, saved at the start: the Activities, the TaskQueues
 * with their `target_workers`, and the Workers with their attributes, Activity and channels. JSON lines,
 * one record each; the last line is a trailer that says the export is complete, so a file cut short is
 * never taken for a whole one.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Twilio } from 'twilio';
import { TaskRouterError } from '../errors';
import { MAX_PAGE_SIZE } from './reader';

export const EXPORT_FORMAT = 'qwt-taskrouter-events';
export const EXPORT_VERSION = 1;

/**
 * The `event_data` fields the backtest reads (TaskRouter Events reference: the Task, Reservation and
 * Worker fields of task.created, reservation.created, reservation.accepted, task.canceled, task.wrapup,
 * task.completed and worker.activity.update).
 */
export const EVENT_DATA_READ = ['task_sid', 'task_queue_sid', 'task_channel_unique_name', 'task_priority', 'reservation_sid', 'worker_sid', 'worker_activity_name', 'worker_previous_activity_name'] as const;

/** The event types the backtest reads; the export keeps every type. */
export const EVENT_TYPES_READ = ['task.created', 'reservation.created', 'reservation.accepted', 'task.canceled', 'task.wrapup', 'task.completed', 'worker.activity.update'] as const;

export interface ExportHeader {
  kind: 'export';
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  workspaceSid: string;
  multiTaskEnabled: boolean;
  /** The period asked for (ISO 8601): StartDate and EndDate of the Events list. */
  startDate: string;
  endDate: string;
  exportedAt: string;
  /** Task attributes (personal data) are dropped from `event_data` unless asked for. */
  taskAttributes: 'stripped' | 'kept';
}
export interface ActivityLine {
  kind: 'activity';
  sid: string;
  friendly_name: string;
  available: boolean;
}
export interface QueueLine {
  kind: 'queue';
  sid: string;
  friendly_name: string;
  target_workers: string | null;
}
export interface WorkerLine {
  kind: 'worker';
  sid: string;
  friendly_name: string;
  /** The worker's attributes, a JSON string as TaskRouter serves them. */
  attributes: string;
  activity_name: string;
  available: boolean;
  channels: { task_channel_unique_name: string; configured_capacity: number; available: boolean }[];
}
export interface EventLine {
  kind: 'event';
  sid: string;
  event_type: string;
  event_date: string | null;
  event_date_ms: number;
  resource_type: string | null;
  resource_sid: string | null;
  event_data: Record<string, unknown>;
}
export interface TrailerLine {
  kind: 'trailer';
  complete: true;
  events: number;
  requests: number;
  seconds: number;
}
export type ExportLine = ExportHeader | ActivityLine | QueueLine | WorkerLine | EventLine | TrailerLine;

export interface ExportOptions {
  workspaceSid: string;
  startMs: number;
  endMs: number;
  keepTaskAttributes: boolean;
  /** Requests made so far (the client's counter), for the trailer. */
  requests: () => number;
}

interface EventInstance {
  sid: string;
  eventType: string;
  eventDate: Date | null;
  eventDateMs: number | string;
  resourceType: string | null;
  resourceSid: string | null;
  eventData: unknown;
}

/** Writes the export to `file` (through `file.partial`, renamed when complete). Returns what it wrote. */
export async function exportEvents(client: Twilio, file: string, options: ExportOptions): Promise<{ events: number; requests: number; seconds: number }> {
  const started = Date.now();
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  failed.catch(() => undefined);
  const write = (line: ExportLine) => (out.write(`${JSON.stringify(line)}\n`) ? undefined : Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]));
  const step = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw error instanceof TaskRouterError ? error : new TaskRouterError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, (error as { status?: number }).status, { cause: error });
    }
  };
  try {
    const workspace = client.taskrouter.v1.workspaces(options.workspaceSid);
    const { multiTaskEnabled } = await step('Reading the Workspace', () => workspace.fetch());
    await write({ kind: 'export', format: EXPORT_FORMAT, version: EXPORT_VERSION, workspaceSid: options.workspaceSid, multiTaskEnabled: multiTaskEnabled === true, startDate: new Date(options.startMs).toISOString(), endDate: new Date(options.endMs).toISOString(), exportedAt: new Date().toISOString(), taskAttributes: options.keepTaskAttributes ? 'kept' : 'stripped' });
    for (const activity of await step('Listing Activities', () => workspace.activities.list({ pageSize: MAX_PAGE_SIZE }))) await write({ kind: 'activity', sid: activity.sid, friendly_name: activity.friendlyName, available: activity.available });
    for (const queue of await step('Listing TaskQueues', () => workspace.taskQueues.list({ pageSize: MAX_PAGE_SIZE }))) await write({ kind: 'queue', sid: queue.sid, friendly_name: queue.friendlyName, target_workers: queue.targetWorkers ?? null });
    for (const worker of await step('Listing Workers', () => workspace.workers.list({ pageSize: MAX_PAGE_SIZE }))) {
      const channels = await step(`Listing the channels of Worker ${worker.sid}`, () => workspace.workers(worker.sid).workerChannels.list({ pageSize: MAX_PAGE_SIZE }));
      await write({ kind: 'worker', sid: worker.sid, friendly_name: worker.friendlyName, attributes: worker.attributes, activity_name: worker.activityName, available: worker.available, channels: channels.map((channel) => ({ task_channel_unique_name: channel.taskChannelUniqueName, configured_capacity: channel.configuredCapacity, available: channel.available })) });
    }
    let events = 0;
    // Paged by following next_page_url (the Events list supports no Page parameter).
    type Page = { instances: unknown[]; nextPage(): Promise<Page> | undefined };
    let page: Page = await step('Listing Events', () => workspace.events.page({ startDate: new Date(options.startMs), endDate: new Date(options.endMs), pageSize: MAX_PAGE_SIZE }));
    for (;;) {
      for (const event of page.instances as unknown as EventInstance[]) {
        const data = typeof event.eventData === 'object' && event.eventData !== null ? { ...(event.eventData as Record<string, unknown>) } : {};
        if (!options.keepTaskAttributes) delete data['task_attributes'];
        await write({ kind: 'event', sid: event.sid, event_type: event.eventType, event_date: event.eventDate ? event.eventDate.toISOString() : null, event_date_ms: Number(event.eventDateMs), resource_type: event.resourceType, resource_sid: event.resourceSid, event_data: data });
        events++;
      }
      const next = await step('Listing Events (next page)', async () => page.nextPage());
      if (!next) break;
      page = next;
    }
    const summary = { events, requests: options.requests(), seconds: Math.round((Date.now() - started) / 100) / 10 };
    await write({ kind: 'trailer', complete: true, ...summary });
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    renameSync(partial, file);
    return summary;
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}
