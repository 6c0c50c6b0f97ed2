/**
 * Which queues share workers, from what the refresher reads: each TaskQueue's `target_workers` matched
 * against the Workers' attributes. Queues joined by a worker eligible for both are one pool (and so
 * are queues joined through a chain of such workers). A queue whose expression cannot be read stands
 * alone: the estimate then falls back to the queue's own reading, as it was before pools.
 */
import { attributeAt, compileTargetWorkers, hasClause, type TargetWorkers } from './target-workers';

export interface QueuePools {
  /** Queue SID → pool key (the pool's smallest queue SID), for queues in a pool of two or more. */
  poolOf: Map<string, string>;
  /** Share of queues whose `target_workers` was read for every worker. */
  resolvedShare: number;
}

/** Parsed worker attributes: TaskRouter serves them as a JSON string; anything unreadable is no attributes. */
export function workerAttributes(attributes: unknown): Record<string, unknown> {
  if (typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)) return attributes as Record<string, unknown>;
  if (typeof attributes !== 'string') return {};
  try {
    const parsed = JSON.parse(attributes) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function queuePools(queues: readonly { sid: string; targetWorkers: string | null }[], workers: readonly { attributes: Record<string, unknown> }[]): QueuePools {
  const parent = new Map<string, string>(queues.map((queue) => [queue.sid, queue.sid]));
  const find = (sid: string): string => {
    let root = sid;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(sid, root);
    return root;
  };
  const unresolved = new Set<string>();
  const servedBy = workers.map(() => [] as string[]);
  // path → lower-cased value → workers whose list at that path holds it, built once per path.
  const indexes = new Map<string, Map<string, number[]>>();
  const indexOf = (path: string) => {
    let index = indexes.get(path);
    if (!index) {
      index = new Map();
      workers.forEach((worker, at) => {
        const values = attributeAt(worker.attributes, path);
        if (!Array.isArray(values)) return;
        for (const value of new Set(values.filter((item): item is string => typeof item === 'string').map((item) => item.toLowerCase()))) {
          const list = index!.get(value) ?? [];
          list.push(at);
          index!.set(value, list);
        }
      });
      indexes.set(path, index);
    }
    return index;
  };
  const compiled = new Map<string, TargetWorkers>();
  for (const queue of queues) {
    if (queue.targetWorkers === null) {
      unresolved.add(queue.sid);
      continue;
    }
    const clause = hasClause(queue.targetWorkers);
    if (clause) {
      for (const at of indexOf(clause.path).get(clause.value.toLowerCase()) ?? []) servedBy[at]!.push(queue.sid);
      continue;
    }
    let matches = compiled.get(queue.targetWorkers);
    if (!matches) compiled.set(queue.targetWorkers, (matches = compileTargetWorkers(queue.targetWorkers)));
    const served: number[] = [];
    for (let at = 0; at < workers.length; at++) {
      const matched = matches(workers[at]!.attributes);
      if (matched === null) {
        unresolved.add(queue.sid);
        break;
      }
      if (matched) served.push(at);
    }
    if (!unresolved.has(queue.sid)) for (const at of served) servedBy[at]!.push(queue.sid);
  }
  for (const served of servedBy) {
    for (const sid of served.slice(1)) {
      const [a, b] = [find(served[0]!), find(sid)];
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  }
  const size = new Map<string, number>();
  for (const queue of queues) size.set(find(queue.sid), (size.get(find(queue.sid)) ?? 0) + 1);
  const poolOf = new Map<string, string>();
  for (const queue of queues) if (!unresolved.has(queue.sid) && size.get(find(queue.sid))! > 1) poolOf.set(queue.sid, find(queue.sid));
  return { poolOf, resolvedShare: queues.length === 0 ? 1 : (queues.length - unresolved.size) / queues.length };
}
