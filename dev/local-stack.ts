/**
 * Starts the local stand-ins together: Redis (real or embedded) behind the Upstash-compatible server,
 * the TaskRouter API double over a workspace model, and optionally the Functions on `twilio-run`.
 * Used by `npm start`, the integration tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, startRedisEngine, type RedisEngine } from './redis-engine';
import { startUpstashServer, type UpstashServer } from './upstash-server';
import { startTaskRouterDouble, type TaskRouterDouble, type TaskRouterDoubleOptions } from './taskrouter-double';
import type { WorkspaceModel } from './workspace-model';

const PROJECT_ROOT = join(__dirname, '..');

/** Well-known local secrets: they protect nothing but loopback stand-ins. */
// 32 letters and digits: the shape twilio-run checks for the runtime's credentials.
export const LOCAL_AUTH_TOKEN = 'localauthtoken000000000000000000';
export const LOCAL_UPSTASH_TOKEN = 'local-upstash-token';

export interface LocalStack {
  engine: RedisEngine;
  upstash: UpstashServer;
  taskrouter: TaskRouterDouble;
  /** Environment for the refresher and the Functions pointing at the stand-ins. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  model: WorkspaceModel;
  requireRealRedis?: boolean;
  double?: Partial<Omit<TaskRouterDoubleOptions, 'model' | 'authToken'>>;
  upstashPort?: number;
  taskrouterPort?: number;
  /** Secrets the stand-ins accept (defaults: the well-known local ones). */
  authToken?: string;
  upstashToken?: string;
  log?: (message: string) => void;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const engine = await startRedisEngine({ ...(options.requireRealRedis === undefined ? {} : { requireReal: options.requireRealRedis }), ...(options.log ? { log: options.log } : {}) });
  const authToken = options.authToken ?? LOCAL_AUTH_TOKEN;
  const upstashToken = options.upstashToken ?? LOCAL_UPSTASH_TOKEN;
  const upstash = await startUpstashServer({ engine, token: upstashToken, ...(options.upstashPort ? { port: options.upstashPort } : {}) });
  const taskrouter = await startTaskRouterDouble({ model: options.model, authToken, ...options.double, ...(options.taskrouterPort ? { port: options.taskrouterPort } : {}) });
  const env = {
    TWILIO_ACCOUNT_SID: options.model.accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_WORKSPACE_SID: options.model.workspaceSid,
    TWILIO_WORKFLOW_SID: options.model.workflows()[0]?.sid ?? '',
    TASKROUTER_API_URL: taskrouter.url,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstashToken,
  };
  return {
    engine,
    upstash,
    taskrouter,
    env,
    stop: async () => {
      await taskrouter.close();
      await upstash.close();
      await engine.stop();
    },
  };
}

/** Resolves when `child` has exited, or after `ms`; true when it exited. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM to the child's whole process group (it was spawned detached), SIGKILL if it lingers. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  if (!(await waitForExit(child, graceMs))) {
    signal('SIGKILL');
    await waitForExit(child, graceMs);
  }
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Rejects when any of the ports (each with the option that moves it) on 127.0.0.1 is taken, naming every taken one at once. */
export async function assertPortsFree(ports: { port: number; option: string }[]): Promise<void> {
  const taken = (await Promise.all(ports.map(async (entry) => ((await portFree(entry.port)) ? null : entry)))).filter((entry) => entry !== null);
  if (taken.length === 0) return;
  const which = taken.map((entry) => `port ${entry.port}`).join(' and ');
  throw new Error(`${which} ${taken.length === 1 ? 'is' : 'are'} already in use: another instance may still be running; stop it or pass ${taken.map((entry) => entry.option).join(' and ')}`);
}

export interface FunctionsServer {
  url: string;
  process: ChildProcess;
  /** Everything twilio-run printed, for tests that search output for secrets. */
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the built Functions (dist/) on the real `twilio-run start`, on a free port, with `env` written
 * to a temporary .env file (twilio-run replaces process.env with it).
 */
export interface FunctionsOptions {
  port?: number;
  /** Keep modules loaded between requests, like a warm Twilio container (twilio-run reloads and forks by default). */
  warm?: boolean;
  /** Serve another build's functions and assets folders (default: this project's dist/). */
  root?: string;
}

export async function startFunctions(env: Record<string, string>, options: FunctionsOptions = {}): Promise<FunctionsServer> {
  const port = options.port ?? (await freePort());
  // twilio-run asks interactively for another port when this one is taken; refuse clearly instead.
  await assertPortsFree([{ port, option: '--functions-port' }]);
  const dir = mkdtempSync(join(tmpdir(), 'qwt-env-'));
  const envFile = join(dir, '.env');
  // twilio-run's process.env becomes this file. A body its Express cannot parse (malformed JSON) is
  // refused 400 before any Function runs: in production mode Express says only "Bad Request" there,
  // where it would otherwise send the parser's stack trace.
  writeFileSync(envFile, Object.entries({ NODE_ENV: 'production', ...env }).map(([key, value]) => `${key}=${value}`).join('\n'));
  const bin = join(PROJECT_ROOT, 'node_modules', '.bin', 'twilio-run');
  const cwd = options.root ?? PROJECT_ROOT;
  const args = ['start', '--port', String(port), '--env', envFile, '--cwd', cwd, ...(options.warm ? ['--no-live', '--no-fork-process'] : [])];
  const child = spawn(bin, args, {
    cwd,
    // twilio-run listens on every interface; the preload keeps it on 127.0.0.1.
    env: { ...process.env, CI: 'true', FORCE_COLOR: '0', NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${join(PROJECT_ROOT, 'dev', 'listen-loopback.cjs')}`.trim() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`twilio-run exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/get-queue-times`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`twilio-run did not answer on ${url} within 60 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { url, process: child, output: () => output, stop };
}
