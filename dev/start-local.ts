/**
 * `npm start`: the whole product on this machine with no Twilio or Upstash account. A simulated
 * workspace behind the TaskRouter API double, the Upstash-compatible server (real redis-server when
 * installed), the refresher in loop mode, the Functions on twilio-run, and a live dashboard.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertPortsFree, startFunctions, startLocalStack, stopProcessGroup, type FunctionsServer, type LocalStack } from './local-stack';
import { startDashboard, type Dashboard } from './dashboard';
import { Simulation } from './simulation/engine';
import { listScenarios, loadScenario, ScenarioError } from './simulation/scenario';
import { createRedis } from '../src/cache/redis';
import { readRefreshRecord } from '../src/cache/read';
import { describeEnvironment, readEnvironment } from '../src/env-file';

const USAGE = `Usage: npm start -- [options]

Runs everything locally on embedded defaults: a simulated contact center behind a TaskRouter API
double, an Upstash-compatible Redis server, the refresher in loop mode, the Functions on twilio-run,
and a dashboard. Ctrl-C stops all of it.

Options (environment variable in brackets):
  --scenario <name>        simulated workspace: ${listScenarios().join(', ')} (default demo) [SCENARIO]
  --speed <factor>         simulated seconds per real second, 1..600 (default 1) [SIM_SPEED];
                           readings age in real seconds, so above 1 an answer takes a
                           reading for <factor> times fresher than it is in the simulation
  --refresh-seconds <s>    refresher period, 5..3600 (default 10) [REFRESH_SECONDS]
  --functions-port <port>  twilio-run port (default 3000) [FUNCTIONS_PORT]
  --dashboard-port <port>  dashboard port (default 3001) [DASHBOARD_PORT]
  --help                   this text`;

/** Simulated minutes run before the demo starts. */
const WARM_UP_MINUTES = 60;

interface StartOptions {
  scenario: string;
  speed: number;
  refreshSeconds: number;
  functionsPort: number;
  dashboardPort: number;
}

function numberOption(name: string, value: string | undefined, fallback: number, min: number, max: number, problems: string[]): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    problems.push(`${name} must be a number from ${min} to ${max}`);
    return fallback;
  }
  return parsed;
}

function parseOptions(): StartOptions | 'help' {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      scenario: { type: 'string' },
      speed: { type: 'string' },
      'refresh-seconds': { type: 'string' },
      'functions-port': { type: 'string' },
      'dashboard-port': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  // The local stack needs no account: only these options are read from .env or the environment.
  const environment = readEnvironment();
  process.stderr.write(`${describeEnvironment(environment)}\n`);
  const env = environment.values;
  const problems: string[] = [];
  const options = {
    scenario: values.scenario ?? (env['SCENARIO'] || 'demo'),
    speed: numberOption('--speed', values.speed ?? env['SIM_SPEED'], 1, 1, 600, problems),
    refreshSeconds: Math.round(numberOption('--refresh-seconds', values['refresh-seconds'] ?? env['REFRESH_SECONDS'], 10, 5, 3600, problems)),
    functionsPort: Math.round(numberOption('--functions-port', values['functions-port'] ?? env['FUNCTIONS_PORT'], 3000, 1, 65535, problems)),
    dashboardPort: Math.round(numberOption('--dashboard-port', values['dashboard-port'] ?? env['DASHBOARD_PORT'], 3001, 1, 65535, problems)),
  };
  if (problems.length > 0) throw new ScenarioError(problems.join('\n'));
  return options;
}

async function main(): Promise<void> {
  let options: StartOptions | 'help';
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scenario = (() => {
    try {
      return loadScenario(options.scenario);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(2);
    }
  })();

  let dashboard: Dashboard | undefined;
  const realStart = Date.now();
  // The simulated day starts an hour ago, so queues have history and callers waiting from the first refresh.
  const sim = new Simulation(scenario, { startMs: realStart - WARM_UP_MINUTES * 60_000, onResolved: (task) => dashboard?.recordActual(task) });
  const clock = setInterval(() => sim.advanceTo(realStart + (Date.now() - realStart) * options.speed), 100);

  let stack: LocalStack | undefined;
  let functions: FunctionsServer | undefined;
  let refresher: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(clock);
    if (refresher) await stopProcessGroup(refresher);
    await functions?.stop();
    await dashboard?.close();
    await stack?.stop();
    process.stdout.write('stopped everything\n');
    process.exit(code);
  };
  // Any signal to this process (npm forwards them; `exec` in the npm script makes this its child).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // A signal to any other process of the stack, or to the group, ends a child: then everything stops.
  const stopWhenGone = (name: string, child: ChildProcess | undefined) =>
    child?.once('exit', () => {
      if (stopping) return;
      process.stderr.write(`${name} stopped; stopping everything\n`);
      void stopAll(1);
    });
  // Orphaned (npm killed with SIGKILL): nobody would stop us, so stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopAll(0);
  }, 1000).unref();

  try {
    await assertPortsFree([
      { port: options.functionsPort, option: '--functions-port' },
      { port: options.dashboardPort, option: '--dashboard-port' },
    ]);
    stack = await startLocalStack({ model: sim, log: (message) => process.stdout.write(`${message}\n`) });
    stopWhenGone('redis-server', stack.engine.process);
    const env = { ...stack.env, TASK_CHANNELS: 'voice,chat', STALE_AFTER_SECONDS: String(Math.max(60, options.refreshSeconds * 3)), CALLBACK_THRESHOLD_SECONDS: '600' };
    refresher = spawn(process.execPath, [join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, '..', 'scripts', 'refresh-queue-times.ts'), '--every', String(options.refreshSeconds)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    stopWhenGone('the refresher', refresher);
    refresher.stdout?.on('data', (chunk: Buffer) => process.stdout.write(`[refresher] ${chunk.toString()}`));
    refresher.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[refresher] ${chunk.toString()}`));
    const cache = createRedis({ url: stack.env['UPSTASH_REDIS_REST_URL']!, token: stack.env['UPSTASH_REDIS_REST_TOKEN']! }, { timeoutMs: 5000, retries: 1 });
    dashboard = await startDashboard({ sim: () => sim, redis: cache, workspaceSid: sim.workspaceSid, channels: ['voice', 'chat'], port: options.dashboardPort });
    functions = await startFunctions(env, { port: options.functionsPort, warm: true });
    stopWhenGone('twilio-run', functions.process);
    // Announce the URLs only once there is something to read behind them.
    for (let waited = 0; (await readRefreshRecord(cache, sim.workspaceSid).catch(() => null)) === null; waited += 200) {
      if (waited > 60_000) throw new Error('the refresher wrote no snapshot within a minute; see its output above');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    process.stderr.write(`Could not start the local stack: ${(error as Error).message}\n`);
    await stopAll(1);
    return;
  }
  const support = sim.queues().find((queue) => queue.friendlyName === 'Support') ?? sim.queues()[0]!;
  const url = `http://localhost:${options.functionsPort}`;
  process.stdout.write(`
Local queue wait times are running (scenario ${scenario.name}, ${options.speed}x speed, Redis: ${stack.engine.kind}).

  Functions (twilio-run)     ${url}
  Dashboard                  ${dashboard.url}
  TaskRouter API double      ${stack.taskrouter.url}   workspace ${sim.workspaceSid}
  Upstash-compatible Redis   ${stack.upstash.url}
  Refresher                  every ${options.refreshSeconds} s (channels voice, chat)

Try, as Studio would call them:
  curl '${url}/get-queue-times?queueName=${encodeURIComponent(support.friendlyName)}'
  curl -X POST -d 'queueName=${support.friendlyName}' '${url}/lookup-queue-sid'
  curl '${url}/hold-music?queueSid=${support.sid}&QueueTime=45'

Ctrl-C stops everything.
`);
}

void main();
