/**
 * The workflow-config asset: a Workflow's routing configuration and the workspace's queue names, so
 * the lookup Function can turn a name into a queue SID without calling TaskRouter.
 */
import { WorkflowConfigError } from './errors';
import { isSid } from './sids';
import { normaliseQueueName } from './cache/layout';

export interface WorkflowTarget {
  queue: string;
  [key: string]: unknown;
}

export interface WorkflowFilter {
  filter_friendly_name?: string;
  expression?: string;
  targets: WorkflowTarget[];
}

/** TaskRouter's Workflow configuration (its `configuration` field, parsed). */
export interface WorkflowConfiguration {
  task_routing: {
    filters: WorkflowFilter[];
    default_filter?: { queue: string };
  };
}

/** The asset file `assets/workflow-config.private.json`. */
export interface WorkflowConfigAsset {
  workspaceSid: string;
  workflowSid: string;
  syncedAt: string;
  queues: { queueSid: string; queueName: string }[];
  configuration: WorkflowConfiguration;
}

function fail(message: string): never {
  throw new WorkflowConfigError(`workflow-config.private.json: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a Workflow configuration (as TaskRouter returns it, parsed). Throws WorkflowConfigError. */
export function parseWorkflowConfiguration(value: unknown, where = 'configuration'): WorkflowConfiguration {
  if (!isObject(value) || !isObject(value['task_routing'])) fail(`${where}.task_routing must be an object`);
  const routing = value['task_routing'] as Record<string, unknown>;
  const filters = routing['filters'] ?? [];
  if (!Array.isArray(filters)) fail(`${where}.task_routing.filters must be an array`);
  filters.forEach((filter: unknown, index) => {
    if (!isObject(filter) || !Array.isArray(filter['targets'])) fail(`${where}.task_routing.filters[${index}].targets must be an array`);
    (filter['targets'] as unknown[]).forEach((target, targetIndex) => {
      if (!isObject(target) || !isSid(target['queue'], 'WQ')) fail(`${where}.task_routing.filters[${index}].targets[${targetIndex}].queue must be a TaskQueue SID`);
    });
    if (filter['filter_friendly_name'] !== undefined && typeof filter['filter_friendly_name'] !== 'string') fail(`${where}.task_routing.filters[${index}].filter_friendly_name must be a string`);
  });
  const defaultFilter = routing['default_filter'];
  if (defaultFilter !== undefined && (!isObject(defaultFilter) || !isSid(defaultFilter['queue'], 'WQ'))) fail(`${where}.task_routing.default_filter.queue must be a TaskQueue SID`);
  return value as unknown as WorkflowConfiguration;
}

/** Parses and validates the asset's text. Throws WorkflowConfigError naming what is wrong. */
export function parseWorkflowConfigAsset(text: string): WorkflowConfigAsset {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('is not valid JSON; run npm run sync:workflow to write it again');
  }
  if (!isObject(value)) fail('must hold a JSON object');
  if (!isSid(value['workspaceSid'], 'WS')) fail('workspaceSid must be a Workspace SID');
  if (!isSid(value['workflowSid'], 'WW')) fail('workflowSid must be a Workflow SID');
  if (!Array.isArray(value['queues'])) fail('queues must be an array');
  (value['queues'] as unknown[]).forEach((queue, index) => {
    if (!isObject(queue) || !isSid(queue['queueSid'], 'WQ') || typeof queue['queueName'] !== 'string') fail(`queues[${index}] must have a queueSid (WQ…) and a queueName`);
  });
  parseWorkflowConfiguration(value['configuration']);
  return value as unknown as WorkflowConfigAsset;
}

/**
 * The queue a name stands for: a queue's own name first, then a filter's name (its first target).
 * Both trimmed and case-insensitive. null when neither matches.
 */
export function findQueueByName(asset: WorkflowConfigAsset, name: string): { queueSid: string; queueName: string } | null {
  const wanted = normaliseQueueName(name);
  const byQueueName = asset.queues.find((queue) => normaliseQueueName(queue.queueName) === wanted);
  if (byQueueName) return { queueSid: byQueueName.queueSid, queueName: byQueueName.queueName };
  const filter = asset.configuration.task_routing.filters.find((candidate) => candidate.filter_friendly_name !== undefined && normaliseQueueName(candidate.filter_friendly_name) === wanted);
  const queueSid = filter?.targets[0]?.queue;
  if (queueSid === undefined) return null;
  const queue = asset.queues.find((candidate) => candidate.queueSid === queueSid);
  return { queueSid, queueName: queue?.queueName ?? filter!.filter_friendly_name! };
}
