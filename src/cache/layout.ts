/**
 * The cache layout. This module owns every Redis key name; nothing else spells one.
 *
 * Per workspace, under `qwt:v3:{WS}:`
 *   refresh            hash   the refresh record: run number, when the statistics were read, the
 *                            clock offset, the channels, when the last full write happened (RefreshRecord)
 *   wait:{channel}     hash   queue SID → compact entry JSON (~200 bytes): what get-queue-times needs,
 *                            and STAMP_FIELD → the refresh that wrote them (sequence, read time, offset)
 *   state:{channel}    string the refresher's own packed state (src/cache/state.ts): per queue in SID order
 *                            the digest of its entry and its estimator history, so a fresh refresher
 *                            process diffs and goes on from the last run's histories after reading
 *                            ~17 bytes a queue; patched in place by a diff
 *   queues:{channel}   string the channel's queue SIDs in the state's order, comma-separated: read back
 *                            only when the queues changed; written with full writes only
 *   inputs:{channel}   hash   queue SID → the estimator's inputs, for the dashboard and debugging,
 *                            written with full writes only (at most once per SNAPSHOT_TTL_SECONDS)
 *   names              hash   lower-cased, trimmed queue name → queue SID
 *   sequence           string run counter (INCR per refresh) that orders refreshes across hosts
 *   staging:{runId}:…  a full write's hashes, filled in chunks and renamed over the live ones at once
 */

/**
 * Every key starts with this. Bump it when what the Functions read (the wait hashes, the names, the
 * record) changes shape, so deployed Functions never read a format they do not know.
 */
export const KEY_PREFIX = 'qwt:v3';
/**
 * Stored in the refresh record: a record of another version forces a full write. Bump it alone when only
 * the refresher's own keys change shape (4: the packed state replaced the history hash).
 */
export const LAYOUT_VERSION = 4;

const workspaceRoot = (workspaceSid: string) => `${KEY_PREFIX}:${workspaceSid}`;

/** The live keys of one workspace. */
export function liveKeys(workspaceSid: string) {
  const root = workspaceRoot(workspaceSid);
  return {
    refresh: `${root}:refresh`,
    names: `${root}:names`,
    wait: (channel: string) => `${root}:wait:${channel}`,
    inputs: (channel: string) => `${root}:inputs:${channel}`,
    state: (channel: string) => `${root}:state:${channel}`,
    queues: (channel: string) => `${root}:queues:${channel}`,
    sequence: `${root}:sequence`,
  };
}

/** The keys one full write fills before it renames them over the live ones. */
export function stagingKeys(workspaceSid: string, runId: string) {
  const root = `${workspaceRoot(workspaceSid)}:staging:${runId}`;
  return {
    names: `${root}:names`,
    wait: (channel: string) => `${root}:wait:${channel}`,
    inputs: (channel: string) => `${root}:inputs:${channel}`,
    state: (channel: string) => `${root}:state:${channel}`,
    queues: (channel: string) => `${root}:queues:${channel}`,
  };
}

/**
 * The field of every wait:{channel} hash that dates its entries: "sequence,readAtMs,clockOffsetMs" of
 * the refresh that wrote them, written in the same atomic step. A read by SID is then one HMGET of one
 * hash (the entry and its date) and TIME: two billed commands. No queue SID starts with "~".
 */
export const STAMP_FIELD = '~refresh';

/** How a name is matched: trimmed and case-insensitive. */
export function normaliseQueueName(name: string): string {
  return name.trim().toLowerCase();
}
