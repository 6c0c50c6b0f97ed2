/**
 * One measured refresh in its own process (so peak memory is this refresh's alone). Run by
 * bench/refresh.ts; prints one JSON line.
 */
import { createRedis } from '../src/cache/redis';
import { loadRefresherConfig } from '../src/config';
import { refreshOnce } from '../src/refresh';
import { baselineRefresh } from './baseline-refresher';

async function main(): Promise<void> {
  const variant = process.argv[2];
  const config = loadRefresherConfig(process.env);
  const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
  const started = performance.now();
  let outcome = 'written';
  let retries = 0;
  let queues = 0;
  try {
    if (variant === 'project') {
      const report = await refreshOnce(config, { redis });
      retries = report.retries;
      queues = report.queues;
      outcome = report.outcome;
    } else {
      queues = (await baselineRefresh({ accountSid: config.twilio!.accountSid, authToken: config.twilio!.password, workspaceSid: config.cache.workspaceSid, baseUrl: config.taskRouterApiUrl, redis })).queues;
    }
  } catch (error) {
    outcome = `failed: ${(error as Error).message.slice(0, 120)}`;
  }
  const wallMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ variant, outcome, queues, retries, wallMs, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

void main();
