/**
 * The original design's refresh as a program of its own, bundled by bench/refresh.ts and run with node
 * like the project's built refresher, so both are measured the same way. Reads the same environment.
 */
import { createRedis } from '../src/cache/redis';
import { loadRefresherConfig } from '../src/config';
import { baselineRefresh } from './baseline-refresher';

async function main(): Promise<number> {
  const config = loadRefresherConfig(process.env);
  const redis = createRedis(config.cache, { timeoutMs: 60_000, retries: 0 });
  try {
    const { queues } = await baselineRefresh({ accountSid: config.twilio!.accountSid, authToken: config.twilio!.password, workspaceSid: config.cache.workspaceSid, baseUrl: config.taskRouterApiUrl, redis });
    process.stdout.write(`${JSON.stringify({ outcome: 'written', queues })}\n`);
    return 0;
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ outcome: `failed: ${(error as Error).message.slice(0, 120)}` })}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
