/**
 * Data loss, measured: every key of the project's prefix (type, value, TTL) before a fault and after
 * it. What a refresh that did not complete must leave exactly as it was is compared field by field; a
 * newer refresh that committed may replace it (newer data is not loss), but must leave a whole snapshot.
 */
import { KEY_PREFIX } from '../../src/cache/layout';
import type { LocalStack } from '../../dev/local-stack';

interface StoredKey {
  type: string;
  value: string | Record<string, string> | null;
  ttl: number;
}

export interface CacheState {
  keys: Map<string, StoredKey>;
  /** The live refresh record's run number per workspace, from each `…:refresh` hash. */
  sequences: Map<string, number>;
}

/**
 * Every key of the prefix (of one workspace, when given) but staging keys (checked by their own tests)
 * and run counters (a failed run still takes a number).
 */
export async function cacheState(stack: Pick<LocalStack, 'engine'>, workspaceSid?: string): Promise<CacheState> {
  const client = stack.engine.client;
  const keys = new Map<string, StoredKey>();
  const sequences = new Map<string, number>();
  for (const key of (await client.keys(workspaceSid === undefined ? `${KEY_PREFIX}:*` : `${KEY_PREFIX}:${workspaceSid}:*`)).sort()) {
    if (key.includes(':staging:') || key.endsWith(':sequence')) continue;
    const type = await client.type(key);
    const value = type === 'hash' ? await client.hgetall(key) : type === 'string' ? await client.get(key) : null;
    keys.set(key, { type, value, ttl: await client.ttl(key) });
    if (key.endsWith(':refresh') && type === 'hash') sequences.set(key, Number((value as Record<string, string>)['sequence']));
  }
  return { keys, sequences };
}

/** What of `before` is gone or changed in `after`, described; empty when nothing was lost. */
export function lostData(before: CacheState, after: CacheState): string[] {
  const lost: string[] = [];
  for (const [recordKey, sequence] of before.sequences) {
    const now = after.sequences.get(recordKey);
    if (now === undefined) lost.push(`${recordKey} (the refresh record) is gone`);
    else if (now < sequence) lost.push(`${recordKey} went back from run ${sequence} to ${now}`);
  }
  if (lost.length > 0) return lost;
  // A newer refresh committed: its data replaces the older, as it should. Loss is then only a snapshot
  // left without its record, which the check above covers.
  const newer = [...before.sequences].some(([recordKey, sequence]) => after.sequences.get(recordKey)! > sequence);
  if (newer) return [];
  for (const [key, stored] of before.keys) {
    const now = after.keys.get(key);
    if (!now) {
      lost.push(`${key} is gone`);
      continue;
    }
    if (now.type !== stored.type) lost.push(`${key} became a ${now.type}`);
    else if (stored.type === 'hash') {
      const was = stored.value as Record<string, string>;
      const is = now.value as Record<string, string>;
      for (const [field, value] of Object.entries(was)) if (is[field] !== value) lost.push(`${key} ${field} ${is[field] === undefined ? 'is gone' : 'changed'}`);
    } else if (now.value !== stored.value) lost.push(`${key} changed`);
    if (stored.ttl > 0 && now.ttl === -1) lost.push(`${key} lost its expiry`);
  }
  return lost;
}
