/**
 * The Upstash client, made the same way everywhere: replies handed over as Redis sent them (so "123"
 * stays a string), every request bounded by a timeout, network retries limited so the bound holds, and
 * node's own http underneath (requester.ts).
 */
import type { Redis } from '@upstash/redis';
import type { CacheConfig } from '../config';
import { CacheError } from '../errors';
import { NodeHttpRequester, UpstashClient } from './requester';

/** The host each client talks to, so failures can name it without the token or the full URL. */
const hosts = new WeakMap<Redis, string>();

export interface RedisOptions {
  /** Abort a request (retries included) after this long. */
  timeoutMs: number;
  /** Network-error retries of the client itself. */
  retries: number;
}

export function createRedis(cache: Pick<CacheConfig, 'url' | 'token'>, options: RedisOptions): Redis {
  const redis = new UpstashClient(new NodeHttpRequester({ url: cache.url, token: cache.token, timeoutMs: options.timeoutMs, retries: options.retries, backoff: (retryCount) => Math.min(1000, 50 * 2 ** retryCount) }));
  hosts.set(redis, cacheHost(cache.url));
  return redis;
}

/** The host of the cache's URL, the only part of it failures and log lines name. */
export function cacheHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    // An invalid URL is reported by the configuration, never here.
    return 'the cache';
  }
}

/**
 * Why a request to Upstash failed, in words an operator can act on and without the command sent (which
 * may be megabytes long and carries data): a timeout, a network error code, Upstash's own error text,
 * or an answer that was not Upstash's JSON (a proxy's error page).
 */
export function describeCacheCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  if (typeof code === 'string') return `${code} (${error.message})`;
  if (cause) return `${error.message}: ${cause.message}`.slice(0, 200);
  if (error.name === 'UpstashJSONParseError') return `an answer that is not Upstash's JSON (${error.message.replace(/\s+/g, ' ').slice(0, 80)})`;
  return error.message.split(', command was:')[0]!.slice(0, 200);
}

/** A CacheError naming the step, the host and the cause; never the token or the command. */
export function cacheFailure(step: string, error: unknown, redis?: Redis): CacheError {
  const host = (redis && hosts.get(redis)) || 'the cache';
  return new CacheError(`${step} failed at ${host}: ${describeCacheCause(error)}`, { cause: error });
}

/**
 * A multi-value reply as the client hands it over: made with automaticDeserialization off (above), it
 * passes Redis's own arrays through untouched. Anything else (a proxy's answer, a client made otherwise)
 * is refused rather than read as empty.
 */
export function arrayReply(raw: unknown, what: string): unknown[] {
  if (!Array.isArray(raw)) throw new CacheError(`The cache answered ${what} in an unexpected shape`);
  return raw;
}

/** HGETALL's reply, a flat field/value array, as pairs. */
export function hashPairs(raw: unknown, what: string): [string, string][] {
  const flat = arrayReply(raw, what);
  return Array.from({ length: flat.length / 2 }, (_, index) => [String(flat[2 * index]), String(flat[2 * index + 1])]);
}
