/** Shared test plumbing: the local stand-ins and a few builders. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from '@upstash/redis';
import { startLocalStack, type FunctionsServer, type LocalStack, type LocalStackOptions } from '../dev/local-stack';
import { redisServerInstalled } from '../dev/redis-engine';
import { loadRefresherConfig, type RefresherConfig } from '../src/config';
import { createRedis } from '../src/cache/redis';
import type { QueueObservation } from '../src/estimator';

export interface TestStack extends LocalStack {
  config: RefresherConfig;
  redis: Redis;
}

/** Starts the stand-ins (real redis-server when installed; CI requires it) and a refresher config. */
export async function startTestStack(options: LocalStackOptions, env: Record<string, string> = {}): Promise<TestStack> {
  const stack = await startLocalStack(options);
  const config = loadRefresherConfig({ ...stack.env, ...env });
  const redis = createRedis(config.cache, { timeoutMs: 10_000, retries: 0 });
  return { ...stack, config, redis };
}

/** An observation with every field set, overridable. */
export function observation(overrides: Partial<QueueObservation> = {}): QueueObservation {
  return {
    windowSeconds: 900,
    tasksWaiting: 4,
    longestWaitSeconds: 120,
    availableWorkers: 0,
    eligibleWorkers: 5,
    loggedInWorkers: 5,
    multitasking: true,
    tasksInService: 5,
    acceptedQuickly: null,
    waitDurationsReported: true,
    avgWaitUntilAcceptedSeconds: 90,
    tasksEntered: 40,
    tasksAccepted: 30,
    tasksCanceled: 2,
    totalWaitCanceledSeconds: 400,
    totalWaitAcceptedSeconds: 2700,
    ...overrides,
  };
}

/**
 * A full dump of Redis (keys, types, values), to prove nothing changed. The run counter is left out:
 * every refresh attempt takes a number, including those that then fail.
 */
export async function dumpRedis(stack: LocalStack): Promise<string> {
  const client = stack.engine.client;
  const keys = (await client.keys('*')).filter((key) => !key.endsWith(':sequence')).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    const value = type === 'hash' ? await client.hgetall(key) : type === 'string' ? await client.get(key) : type;
    parts.push(`${key} ${type} ${JSON.stringify(value, Object.keys(value ?? {}).sort())}`);
  }
  return parts.join('\n');
}

/**
 * Whether the stand-ins run on a real redis-server. Without one (a machine with only Node), the
 * embedded engine serves the demo but not everything Redis does: tests of what only real Redis does
 * (its error replies, a 5,000-queue script) are skipped there, saying so. CI installs redis-server and
 * sets REQUIRE_REAL_REDIS=1, so nothing is skipped there.
 */
export const realRedis = redisServerInstalled();
const SKIPPED = ' [skipped: needs redis-server, which CI installs]';
export function describeWithRealRedis(name: string, body: () => void): void {
  if (realRedis) describe(name, body);
  else describe.skip(name + SKIPPED, body);
}
export function itWithRealRedis(name: string, body: () => Promise<void>): void {
  if (realRedis) it(name, body);
  else it.skip(name + SKIPPED, body);
}

/**
 * The first line a twilio-run printed after `from` (a length of its output) that matches `pattern`,
 * waiting for it: the log stream trails the answer. undefined when none came within 10 s.
 */
export async function logLine(server: FunctionsServer, from: number, pattern: RegExp): Promise<string | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = server.output().slice(from).split('\n').find((candidate) => pattern.test(candidate));
    if (line || Date.now() > deadline) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs a TypeScript command of the project (`bench/backtest.ts`, …) as `npm run` would, with its exit code and output. */
export async function runCommand(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = join(__dirname, '..');
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, script), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
