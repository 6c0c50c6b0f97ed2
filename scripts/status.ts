/**
 * Status for monitors: how old the cached data is, on Redis's clock. Exit 0 when younger than
 * --max-age seconds, 1 when older or missing, 2 on bad options or configuration: what an uptime
 * monitor or a cron alert needs. `npm run status -- --help` (or `node dist/status.js --help`).
 */
import { parseArgs } from 'node:util';
import { loadCacheOnlyConfig, type CacheConfig } from '../src/config';
import { describeEnvironment, readEnvironment } from '../src/env-file';
import { ConfigError, describeError } from '../src/errors';
import { createRedis } from '../src/cache/redis';
import { readRefreshStatus } from '../src/cache/read';

const USAGE = `Usage: status --max-age <seconds>
  (npm run status -- …, or node dist/status.js … after npm run build)

Reads the live refresh record of TWILIO_WORKSPACE_SID from Upstash and prints one JSON line: the
data's age on Redis's clock, the queue count, the channels and the last refresh's duration.

Exit status: 0 the data is younger than --max-age, 1 older or missing (or Redis unreachable), 2 bad
options or configuration.

Environment (.env in the working directory is read, exported variables win):
  UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, TWILIO_WORKSPACE_SID.`;

async function main(): Promise<number> {
  let maxAgeSeconds: number;
  let cache: CacheConfig;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { 'max-age': { type: 'string' }, help: { type: 'boolean', default: false } }, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const raw = values['max-age'];
    if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 7 * 86_400) throw new ConfigError(['--max-age is required: a whole number of seconds between 1 and 604800']);
    maxAgeSeconds = Number(raw);
    const environment = readEnvironment();
    process.stderr.write(`${describeEnvironment(environment)}\n`);
    cache = loadCacheOnlyConfig(environment.values);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const line = (fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'status', maxAgeSeconds, ...fields })}\n`);
  try {
    const status = await readRefreshStatus(createRedis(cache, { timeoutMs: 10_000, retries: 2 }), cache.workspaceSid);
    if (!status) {
      line({ fresh: false, reason: 'no refresh record: never refreshed, or expired after SNAPSHOT_TTL_SECONDS without a refresh' });
      return 1;
    }
    const ageSeconds = Math.round(status.ageMs / 1000);
    const fresh = ageSeconds < maxAgeSeconds;
    line({ fresh, ageSeconds, queueCount: status.record.queueCount, channels: status.record.channels, lastRefreshDurationMs: status.record.durationMs, refreshedAt: status.record.refreshedAt, sequence: status.record.sequence });
    return fresh ? 0 : 1;
  } catch (error) {
    line({ fresh: false, reason: describeError(error) });
    return 1;
  }
}

main().then((code) => process.exit(code));
