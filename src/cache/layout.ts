/**
 * The cache layout. This module owns every Redis key name; nothing else spells one.
 *
 * Per workspace, under `qwt:v1:{WS}:`
 *   queues:{channel}   hash   queue SID → QueueWaitEntry JSON (a few hundred bytes)
 *   names              hash   lower-cased, trimmed queue name → queue SID
 *   meta               hash   SnapshotMeta fields
 *   sequence           string run counter (INCR per refresh) that orders snapshots across hosts
 *   staging:{runId}:…  the same keys, staged by one refresh's write script and renamed over the live
 *                      ones in the same script
 */

/** Every key starts with this; bump the version when the layout changes shape. */
export const KEY_PREFIX = 'qwt:v1';

const workspaceRoot = (workspaceSid: string) => `${KEY_PREFIX}:${workspaceSid}`;

/** The live keys of one workspace. */
export function liveKeys(workspaceSid: string) {
  const root = workspaceRoot(workspaceSid);
  return {
    meta: `${root}:meta`,
    names: `${root}:names`,
    queues: (channel: string) => `${root}:queues:${channel}`,
    sequence: `${root}:sequence`,
  };
}

/** The keys one refresh run writes before it swaps them in. */
export function stagingKeys(workspaceSid: string, runId: string) {
  const root = `${workspaceRoot(workspaceSid)}:staging:${runId}`;
  return {
    meta: `${root}:meta`,
    names: `${root}:names`,
    queues: (channel: string) => `${root}:queues:${channel}`,
  };
}

/** How a name is matched: trimmed and case-insensitive. */
export function normaliseQueueName(name: string): string {
  return name.trim().toLowerCase();
}
