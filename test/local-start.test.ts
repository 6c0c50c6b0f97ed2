/**
 * `npm start` as a user runs it: live, changing answers from the simulated contact center, and a
 * stack that stops entirely on a signal to npm or to any of its processes, leaving nothing behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../dev/redis-engine';
import { realRedis } from './helpers';

const root = join(__dirname, '..');

/** Every process below `pid`. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((line) => Number(line.trim())).filter((value) => value > 0);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command line of a process, or '' when it is gone. */
function commandOf(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  functionsPort: number;
  dashboardPort: number;
}

/** `npm start` in its own process group, as a terminal would run it. */
async function npmStart(extra: string[] = [], ports?: { functions: number; dashboard: number }): Promise<Started> {
  const functionsPort = ports?.functions ?? (await freePort());
  const dashboardPort = ports?.dashboard ?? (await freePort());
  const child = spawn('npm', ['start', '--', '--functions-port', String(functionsPort), '--dashboard-port', String(dashboardPort), '--speed', '60', '--refresh-seconds', '5', ...extra], { cwd: root, env: { ...process.env }, detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, functionsPort, dashboardPort };
}

/** Resolves when the output contains `text`. */
const outputContains = (started: Started, text: string) => until(started, (output) => output.includes(text), `"${text}"`);

/** Resolves when `condition` holds for the output (checked on every chunk), rejects when the process exits first or after `ms`. */
function until(started: Started, condition: (output: string) => boolean, text: string, ms = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!condition(started.output())) return false;
      cleanup();
      resolve();
      return true;
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`npm start exited before ${text}:\n${started.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${text} within ${ms} ms:\n${started.output()}`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      started.child.stdout!.off('data', check);
      started.child.stderr!.off('data', check);
      started.child.off('exit', onExit);
    };
    started.child.stdout!.on('data', check);
    started.child.stderr!.on('data', check);
    started.child.once('exit', onExit);
    check();
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Waits (bounded) until none of `pids` is alive; the processes exit on their own after a signal. */
async function gone(pids: number[]): Promise<number[]> {
  for (let waited = 0; pids.some(alive) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(alive);
}

/** Whatever is left of a failed test: killed so the next test starts clean. */
function killAll(started: Started, pids: number[]): void {
  for (const pid of [started.child.pid!, ...pids]) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

it('starts everything, answers from the moving simulation, and stops on SIGTERM to npm with nothing left', async () => {
  const started = await npmStart();
  let pids: number[] = [];
  try {
    await outputContains(started, 'Ctrl-C stops everything');
    const { functionsPort, dashboardPort } = started;
    const output = started.output();
    expect(output).toMatch(new RegExp(`Functions \\(twilio-run\\)\\s+http://localhost:${functionsPort}`));
    expect(output).toMatch(new RegExp(`Dashboard\\s+http://localhost:${dashboardPort}`));
    expect(output.split('\n').filter((line) => line.trim().startsWith('curl '))).toHaveLength(3);

    const read = async () => (await (await fetch(`http://127.0.0.1:${functionsPort}/get-queue-times?queueName=Support`)).json()) as { queueName: string; updatedAt: string };
    const first = await read();
    expect(first).toMatchObject({ queueName: 'Support', channel: 'voice' });
    // The next refresh moves the answer on (the simulation runs at 60× and the refresher every 5 s).
    const refreshes = (output: string) => output.split('"event":"refresh"').length - 1;
    const before = refreshes(started.output());
    await until(started, (output) => refreshes(output) > before, 'another refresh');
    const second = await read();
    expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));

    // Every service listens on 127.0.0.1 only.
    const listening = execFileSync('ss', ['-ltnp'], { encoding: 'utf8' });
    for (const port of [functionsPort, dashboardPort]) {
      const line = listening.split('\n').find((row) => row.includes(`:${port} `))!;
      expect(line).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} `));
    }

    pids = descendants(started.child.pid!);
    const commands = pids.map(commandOf).join('\n');
    // A real redis-server is one of its processes where one is installed; else the embedded engine, in process.
    if (realRedis) expect(commands).toMatch(/redis-server/);
    else expect(commands).not.toMatch(/redis-server/);
    expect(output).toContain(`Redis: ${realRedis ? 'redis-server' : 'embedded'}`);
    expect(commands).toMatch(/twilio-run/);
    expect(commands).toMatch(/refresh-queue-times/);
    // As an IDE's stop button or `timeout` would: SIGTERM to npm itself.
    process.kill(started.child.pid!, 'SIGTERM');
    await exited(started.child);
    expect(await gone(pids)).toEqual([]);
  } finally {
    killAll(started, pids);
  }
}, 180_000);

it('stops entirely when any one of its processes is stopped (here twilio-run)', async () => {
  const started = await npmStart();
  let pids: number[] = [];
  try {
    await outputContains(started, 'Ctrl-C stops everything');
    pids = descendants(started.child.pid!);
    const twilioRun = pids.find((pid) => /twilio-run/.test(commandOf(pid)))!;
    process.kill(twilioRun, 'SIGTERM');
    await exited(started.child);
    expect(started.output()).toMatch(/twilio-run stopped; stopping everything/);
    expect(await gone(pids)).toEqual([]);
  } finally {
    killAll(started, pids);
  }
}, 180_000);

it('says what to do when ports are taken, every taken one at once, and starts nothing', async () => {
  const listen = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as { port: number }).port };
  };
  const [functions, dashboard] = [await listen(), await listen()];
  const started = await npmStart([], { functions: functions.port, dashboard: dashboard.port });
  try {
    const code = await exited(started.child);
    expect(code).not.toBe(0);
    expect(started.output()).toContain(`port ${functions.port} and port ${dashboard.port} are already in use: another instance may still be running; stop it or pass --functions-port and --dashboard-port`);
    expect(started.output()).not.toMatch(/EADDRINUSE/);
  } finally {
    killAll(started, []);
    functions.server.close();
    dashboard.server.close();
  }
}, 120_000);
