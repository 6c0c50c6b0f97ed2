/** `npm start`'s stack: live, changing answers from the simulated contact center, and a clean stop. */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../dev/redis-engine';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('starts everything, answers from the moving simulation, and stops without leaving a process', async () => {
  const [functionsPort, dashboardPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/start-local.ts'), '--functions-port', String(functionsPort), '--dashboard-port', String(dashboardPort), '--speed', '60', '--refresh-seconds', '5'], { cwd: root, env: { ...process.env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    for (let waited = 0; !output.includes('Ctrl-C stops everything'); waited += 200) {
      if (waited > 90_000 || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
      await sleep(200);
    }
    expect(output).toMatch(new RegExp(`Functions \\(twilio-run\\)\\s+http://localhost:${functionsPort}`));
    expect(output).toMatch(new RegExp(`Dashboard\\s+http://localhost:${dashboardPort}`));
    const tryLines = output.split('\n').filter((line) => line.trim().startsWith('curl '));
    expect(tryLines).toHaveLength(3);

    const read = async () => (await fetch(`http://localhost:${functionsPort}/get-queue-times?queueName=Support`)).json();
    const first = await read();
    expect(first).toMatchObject({ queueName: 'Support', channel: 'voice' });
    const state = async () => (await (await fetch(`http://localhost:${dashboardPort}/api/state`)).json()) as { queues: { queueName: string; tasksWaiting: number; estimatedWaitSeconds: number | null; availableWorkers: number }[] };
    const firstState = await state();
    expect(firstState.queues.map((queue) => queue.queueName)).toEqual(['Billing', 'Sales', 'Spanish', 'Support', 'Technical', 'VIP']);

    // Across refreshes the snapshot moves on, and with it what the queues report.
    let second = first;
    let secondState = firstState;
    for (let waited = 0; second.updatedAt === first.updatedAt || JSON.stringify(secondState.queues.map(({ tasksWaiting, estimatedWaitSeconds, availableWorkers }) => [tasksWaiting, estimatedWaitSeconds, availableWorkers])) === JSON.stringify(firstState.queues.map(({ tasksWaiting, estimatedWaitSeconds, availableWorkers }) => [tasksWaiting, estimatedWaitSeconds, availableWorkers])); waited += 1000) {
      if (waited > 30_000) throw new Error('the answers did not change across refreshes');
      await sleep(1000);
      second = await read();
      secondState = await state();
    }
    expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));

    const started = descendants(child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(3); // redis-server, refresher, twilio-run (and their helpers)
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
    // Everything it started is gone within a short grace period (a process may take a moment to exit).
    for (let waited = 0; started.some(alive) && waited < 5000; waited += 100) await sleep(100);
    const leftovers = started.filter(alive);
    if (leftovers.length > 0) console.log(execFileSync('ps', ['-o', 'pid,ppid,args', '-p', leftovers.join(',')], { encoding: 'utf8' }));
    expect(leftovers).toEqual([]);
  } finally {
    if (child.exitCode === null) {
      // A failed assertion still stops the stack the way a user would, then makes sure.
      const everything = descendants(child.pid!);
      child.kill('SIGINT');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 8000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      for (const pid of [child.pid!, ...everything]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
}, 150_000);
