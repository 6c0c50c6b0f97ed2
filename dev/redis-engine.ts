/**
 * The Redis behind the local Upstash-compatible server: a real `redis-server` when one is installed
 * (started here on a free port, no persistence), otherwise the embedded engine of the maintained
 * `ioredis-mock` package. REQUIRE_REAL_REDIS=1 refuses the embedded one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { exists as isRedisCommand } from '@ioredis/commands';
import Redis from 'ioredis';

/** One command: name then arguments, as Upstash's REST API carries it. */
export type RedisCommand = (string | number)[];

/** A reply or a Redis error, per command, the way Upstash reports pipelines. */
export type RedisReply = { result: unknown } | { error: string };

export interface RedisEngine {
  kind: 'redis-server' | 'embedded';
  /** Runs one command; a Redis error is returned as `{ error }`, an unreachable Redis throws. */
  run(command: RedisCommand): Promise<RedisReply>;
  /** Runs commands in order, one reply each. */
  pipeline(commands: RedisCommand[]): Promise<RedisReply[]>;
  /** Runs commands as MULTI/EXEC; throws a Redis error when the transaction is refused as a whole. */
  transaction(commands: RedisCommand[]): Promise<RedisReply[]>;
  /** Redis as seen from outside: for tests that compare the whole data set before and after. */
  client: Redis;
  /** The redis-server process, when there is one (the local stack stops when it dies). */
  process?: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The redis-server binary; REDIS_SERVER_BIN overrides it (point it nowhere to try the embedded engine). */
const redisServerBin = () => process.env['REDIS_SERVER_BIN'] || 'redis-server';

export function redisServerInstalled(): boolean {
  return spawnSync(redisServerBin(), ['--version'], { stdio: 'ignore' }).status === 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors that mean Redis itself is unreachable (the server answers 500), not a command error (400). */
function isConnectionError(error: unknown): boolean {
  return /connection|ECONNREFUSED|ECONNRESET|Stream isn't writeable|max retries|closed/i.test(errorMessage(error)) && !(error instanceof Error && error.name === 'ReplyError');
}

async function settle(promise: Promise<unknown>): Promise<RedisReply> {
  try {
    return { result: await promise };
  } catch (error) {
    if (isConnectionError(error)) throw error;
    return { error: errorMessage(error) };
  }
}

function fromExec(results: [Error | null, unknown][] | null): RedisReply[] {
  if (!results) throw new Error('EXECABORT Transaction discarded');
  return results.map(([error, result]) => (error ? { error: error.message } : { result }));
}

async function startRealRedis(): Promise<RedisEngine> {
  const port = await freePort();
  const child: ChildProcess = spawn(redisServerBin(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
  // Wait until redis-server accepts connections, then connect once.
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (attempt > 200 || child.exitCode !== null) {
      child.kill();
      throw new Error('redis-server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableOfflineQueue: true });
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return {
    kind: 'redis-server',
    client,
    process: child,
    run: ([name, ...args]) => settle(client.call(String(name), ...args)),
    pipeline: async (commands) => {
      const pipeline = client.pipeline();
      for (const [name, ...args] of commands) pipeline.call(String(name), ...args);
      return fromExec((await pipeline.exec()) as [Error | null, unknown][]);
    },
    transaction: async (commands) => {
      const multi = client.multi();
      for (const [name, ...args] of commands) multi.call(String(name), ...args);
      return fromExec((await multi.exec()) as [Error | null, unknown][]);
    },
    stop: async () => {
      client.disconnect();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

export async function startEmbeddedRedis(): Promise<RedisEngine> {
  const { default: RedisMock } = await import('ioredis-mock');
  const client = new RedisMock() as unknown as Redis;
  // ioredis-mock has no generic `call`: dispatch to its method of the same name, Redis commands only.
  const invoke = (name: string, args: (string | number)[]): Promise<unknown> => {
    const method = (client as unknown as Record<string, unknown>)[name.toLowerCase()];
    if (!isRedisCommand(name.toLowerCase()) || typeof method !== 'function') return Promise.reject(new Error(`ERR unknown command '${name}'`));
    return (method as (...a: unknown[]) => Promise<unknown>).apply(client, args);
  };
  const run = ([name, ...args]: RedisCommand) => settle(invoke(String(name), args));
  return {
    kind: 'embedded',
    client,
    run,
    pipeline: async (commands) => {
      const replies: RedisReply[] = [];
      for (const command of commands) replies.push(await run(command));
      return replies;
    },
    // The embedded engine runs one command at a time in this process, so in-order execution is atomic.
    transaction: async (commands) => {
      const replies: RedisReply[] = [];
      for (const command of commands) replies.push(await run(command));
      return replies;
    },
    stop: async () => {
      client.disconnect();
    },
  };
}

/** Starts the best engine available. Throws when REQUIRE_REAL_REDIS=1 and redis-server is missing. */
export async function startRedisEngine(options: { requireReal?: boolean; log?: (message: string) => void } = {}): Promise<RedisEngine> {
  const requireReal = options.requireReal ?? process.env['REQUIRE_REAL_REDIS'] === '1';
  if (redisServerInstalled()) return startRealRedis();
  if (requireReal) throw new Error('REQUIRE_REAL_REDIS=1 but redis-server is not installed (apt-get install redis-server)');
  options.log?.('redis-server is not installed: using the embedded engine (ioredis-mock); install redis-server for the real thing');
  return startEmbeddedRedis();
}

/** What Upstash bills for: every command Redis ran, those inside scripts and pipelines included. */
export interface BilledCommands {
  total: number;
  /** Command name (lower case) → times run. */
  byCommand: Record<string, number>;
}

/** Calls per command so far, from redis-server's INFO commandstats; null on the embedded engine, which keeps none. */
async function commandStats(engine: RedisEngine): Promise<Map<string, number> | null> {
  if (engine.kind !== 'redis-server') return null;
  const text = await engine.client.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/**
 * The commands Redis ran while `action` ran, as Upstash counts them (each command of a pipeline, each
 * command a script runs, the script call itself), measured by redis-server's INFO commandstats. The
 * INFO calls of the measurement itself are left out. null without redis-server.
 */
export async function billedCommands(engine: RedisEngine, action: () => Promise<unknown>): Promise<BilledCommands | null> {
  const before = await commandStats(engine);
  await action();
  const after = await commandStats(engine);
  if (!before || !after) return null;
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (delta > 0) byCommand[name] = delta;
  }
  return { total: Object.values(byCommand).reduce((sum, calls) => sum + calls, 0), byCommand };
}

/** One command as redis-server's SLOWLOG recorded it. */
export interface LoggedCommand {
  /** Lower case. */
  name: string;
  /** Its first argument (the key, for the commands that take one). */
  key: string;
  /** Its words, name and key included: SLOWLOG keeps 32 and says how many more there were. */
  words: number;
  micros: number;
}

/**
 * Every command Redis ran while `action` ran, those inside scripts included, from SLOWLOG with every
 * command logged; Redis's default threshold is put back afterwards. null on the embedded engine.
 */
export async function commandsRun(engine: RedisEngine, action: () => Promise<unknown>): Promise<LoggedCommand[] | null> {
  if (engine.kind !== 'redis-server') return null;
  const client = engine.client;
  await client.config('SET', 'slowlog-max-len', '1000000');
  await client.config('SET', 'slowlog-log-slower-than', '0');
  await client.slowlog('RESET');
  try {
    await action();
  } finally {
    await client.config('SET', 'slowlog-log-slower-than', '10000');
  }
  const log = (await client.slowlog('GET', 1_000_000)) as [number, number, number, string[]][];
  return log.map(([, , micros, args]) => {
    const more = /^\.\.\. \((\d+) more arguments\)$/.exec(args[args.length - 1] ?? '');
    return { name: String(args[0]).toLowerCase(), key: String(args[1] ?? ''), words: more ? args.length - 1 + Number(more[1]) : args.length, micros };
  });
}
