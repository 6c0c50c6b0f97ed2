/**
 * The original design, re-implemented faithfully for side-by-side measurement: list the queues, then
 * fetch each queue's cumulative statistics one request after another, then write one JSON blob. It
 * uses the real `twilio` client with its own 429-only retry (`autoRetry`), as the original could.
 * Not used by the product.
 */
import twilio from 'twilio';
import type { Redis } from '@upstash/redis';

/** The key the original kept its one blob under. */
export const BASELINE_BLOB_KEY = 'queue-wait-times';

/** The stock request client, pointed at the double, with twilio's built-in 429 retry. */
class RewritingClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ autoRetry: true, maxRetries: 3, keepAlive: true });
  }
  override request<TData>(opts: Parameters<twilio.RequestClient['request']>[0]) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace('https://taskrouter.twilio.com', this.baseUrl) } as never);
  }
}

/** One queue in the original's blob, in its own shape: `{ [queueSid]: { waittime, timestamp } }`. */
export interface BaselineEntry {
  /** The original's estimate: average in-queue wait of accepted tasks over the window. */
  waittime: number | null;
  /** When it was read, epoch ms. */
  timestamp: number;
}

export async function baselineRefresh(options: { accountSid: string; authToken: string; workspaceSid: string; baseUrl: string; redis: Redis; windowMinutes?: number }): Promise<{ queues: number }> {
  const client = twilio(options.accountSid, options.authToken, { httpClient: new RewritingClient(options.baseUrl) });
  const workspace = client.taskrouter.v1.workspaces(options.workspaceSid);
  const queues = await workspace.taskQueues.list({ pageSize: 1000 });
  const blob: Record<string, BaselineEntry> = {};
  for (const queue of queues) {
    const stats = await workspace.taskQueues(queue.sid).cumulativeStatistics().fetch({ minutes: options.windowMinutes ?? 15 });
    const avg = (stats.waitDurationInQueueUntilAccepted as { avg?: number } | null)?.avg;
    blob[queue.sid] = { waittime: typeof avg === 'number' ? avg : null, timestamp: Date.now() };
  }
  await options.redis.set(BASELINE_BLOB_KEY, JSON.stringify(blob));
  return { queues: queues.length };
}
