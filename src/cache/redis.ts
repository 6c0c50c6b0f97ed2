/**
 * The Upstash client, made the same way everywhere: JSON parsed by us (so "123" stays a string), every
 * request bounded by a timeout, and network retries limited so the bound holds.
 */
import { Redis } from '@upstash/redis';
import type { CacheConfig } from '../config';

export interface RedisOptions {
  /** Abort a request (retries included) after this long. */
  timeoutMs: number;
  /** Network-error retries of the client itself. */
  retries: number;
}

export function createRedis(cache: Pick<CacheConfig, 'url' | 'token'>, options: RedisOptions): Redis {
  return new Redis({
    url: cache.url,
    token: cache.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    // One command, one request: auto-pipelining would batch through /pipeline and change how replies decode.
    enableAutoPipelining: false,
    retry: { retries: options.retries, backoff: (retryCount) => Math.min(1000, 50 * 2 ** retryCount) },
    signal: () => AbortSignal.timeout(options.timeoutMs),
  });
}
