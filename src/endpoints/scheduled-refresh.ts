/**
 * The refresh that Upstash QStash runs on a cron schedule, as a Twilio Function: no host of your own.
 * Every request must carry a valid `Upstash-Signature` (a JWT signed with QStash's current or next
 * signing key, over the URL and the hash of the body); TaskRouter is read with the account
 * credentials the runtime provides, so no Twilio secret is stored in the Functions. The whole refresh fits
 * well inside Functions' 10 s: TaskRouter reads must finish within READ_DEADLINE_SECONDS and the one
 * Redis write within WRITE_TIMEOUT_MS; a refresh that cannot finish writes nothing.
 */
import { Receiver } from '@upstash/qstash';
import type { QStashConfig, RefresherConfig, TwilioCredentials } from '../config';
import { createRedis } from '../cache/redis';
import { refreshOnce, type RefreshState } from '../refresh';
import { HttpError } from './http';

/** TaskRouter reads (retries included) end by then, seconds after the request arrived. */
export const READ_DEADLINE_SECONDS = 6;
/** Bound on each Redis request of the write. */
export const WRITE_TIMEOUT_MS = 2_000;

/** The URL QStash signed: the Function's own, https on Twilio (http only for a loopback host in development). */
export function functionUrl(domainName: string, path: string): string {
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(domainName);
  return `${local ? 'http' : 'https'}://${domainName}${path}`;
}

/**
 * Throws HttpError 401 unless `signature` is QStash's for this URL and an empty body. Functions hand
 * over parsed parameters, not the raw body, so the schedule must be created without a body; one with
 * a body is refused here rather than trusted.
 */
export async function verifyQStashSignature(config: QStashConfig, signature: string | undefined, url: string): Promise<void> {
  if (!signature) throw new HttpError(401, 'unauthorized', 'an Upstash-Signature header is required');
  const receiver = new Receiver({ currentSigningKey: config.currentSigningKey, nextSigningKey: config.nextSigningKey });
  try {
    await receiver.verify({ signature, body: '', url, clockTolerance: 5 });
  } catch {
    throw new HttpError(401, 'unauthorized', 'the Upstash-Signature is not valid for this URL and an empty body');
  }
}

/** The diff base survives between invocations of a warm container. */
const state: RefreshState = { base: null };

export interface ScheduledRefreshResult {
  outcome: string;
  queues: number;
  write: string | null;
  entriesWritten: number;
  durationMs: number;
}

/** One refresh within the Function's budget. Throws HttpError 503 when it fails (QStash then retries). */
export async function scheduledRefresh(config: RefresherConfig, credentials: TwilioCredentials): Promise<ScheduledRefreshResult> {
  const bounded: RefresherConfig = { ...config, refreshTimeoutSeconds: Math.min(config.refreshTimeoutSeconds, READ_DEADLINE_SECONDS), requestTimeoutMs: Math.min(config.requestTimeoutMs, READ_DEADLINE_SECONDS * 1000) };
  try {
    const report = await refreshOnce(bounded, { redis: createRedis(config.cache, { timeoutMs: WRITE_TIMEOUT_MS, retries: 0 }), state, credentials });
    return { outcome: report.outcome, queues: report.queues, write: report.cache?.mode ?? null, entriesWritten: report.cache?.entriesWritten ?? 0, durationMs: report.durationMs };
  } catch (error) {
    console.error(`refresh-queue-times: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    throw new HttpError(503, 'refresh_failed', 'the refresh failed; the previous data is kept (see the logs)');
  }
}
