/** `npm run refresh` as a user runs it: exit codes, one JSON line per run, loop mode, no secrets. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { staticWorkspace } from '../dev/workspace-model';
import { readRefreshRecord } from '../src/cache/read';
import { dumpRedis, startTestStack, type TestStack } from './helpers';

const run = promisify(execFile);
const root = join(__dirname, '..');
const cli = [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/refresh-queue-times.ts')];
const model = staticWorkspace({ queueCount: 120, seed: 31 });
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ model });
});
afterAll(() => stack.stop());

/** Commands run in an empty directory: no stray .env of the developer's is read. */
const cwd = mkdtempSync(join(tmpdir(), 'qwt-cwd-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

type Result = { code: number; stdout: string; stderr: string };
async function refresher(args: string[], env: Record<string, string | undefined>): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...cli, ...args], { cwd, env: { PATH: process.env['PATH'], ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('refresh-queue-times CLI', () => {
  it('explains itself with --help', async () => {
    const result = await refresher(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--every <seconds>/);
    expect(result.stdout).toMatch(/--dry-run/);
  });

  it('refreshes once, prints one JSON line, writes a step summary, leaks no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qwt-summary-'));
    try {
      const summary = join(dir, 'summary.md');
      const result = await refresher([], { ...stack.env, GITHUB_STEP_SUMMARY: summary });
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'refresh', outcome: 'written', queues: 120, requests: 4, retries: 0, pooledQueues: 0, poolsResolved: 1 });
      expect(JSON.parse(lines[1]!)).toMatchObject({ event: 'summary', cycles: 1, failures: 0, lastError: null });
      const table = readFileSync(summary, 'utf8');
      expect(table).toMatch(/\| written \| 120 \| 4 \| 0 \| (full|diff): /);
      for (const secret of [stack.env['TWILIO_AUTH_TOKEN']!, stack.env['UPSTASH_REDIS_REST_TOKEN']!]) {
        expect(result.stdout + result.stderr + table).not.toContain(secret);
      }
      expect((await readRefreshRecord(stack.redis, model.workspaceSid))?.queueCount).toBe(120);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 listing every bad variable, before any request', async () => {
    const before = stack.taskrouter.stats.requests;
    const result = await refresher([], { TWILIO_ACCOUNT_SID: 'nope', TWILIO_WORKSPACE_SID: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/TWILIO_ACCOUNT_SID must be AC/);
    expect(result.stderr).toMatch(/TWILIO_AUTH_TOKEN is required/);
    expect(result.stderr).toMatch(/UPSTASH_REDIS_REST_URL is required/);
    expect(stack.taskrouter.stats.requests).toBe(before);
    expect((await refresher(['--every', '2'], stack.env)).code).toBe(2);
    expect((await refresher(['--bogus'], stack.env)).code).toBe(2);
    const forAlone = await refresher(['--for', '10'], stack.env);
    expect(forAlone.code).toBe(2);
    expect(forAlone.stderr).toMatch(/--for needs --every/);
  });

  it('exits 1 naming the Upstash host and cause when the cache refuses the token, keeping the snapshot', async () => {
    const before = await dumpRedis(stack);
    const result = await refresher([], { ...stack.env, UPSTASH_REDIS_REST_TOKEN: 'not-the-token' });
    expect(result.code).toBe(1);
    const [line] = result.stdout.trim().split('\n').map((text) => JSON.parse(text));
    expect(line).toMatchObject({ outcome: 'failed', kept: 'previous data' });
    expect(line.error).toMatch(new RegExp(`^CacheError: Starting the refresh \\(taking a run number\\) failed at ${new URL(stack.env['UPSTASH_REDIS_REST_URL']!).host.replace(/\./g, '\\.')}: \\S`));
    expect(result.stdout + result.stderr).not.toContain('not-the-token');
    expect(await dumpRedis(stack)).toBe(before);
  });

  it('exits 1 naming the fault when TaskRouter cannot be read, keeping the snapshot', async () => {
    const before = await dumpRedis(stack);
    const result = await refresher([], { ...stack.env, TASKROUTER_API_URL: 'http://127.0.0.1:9', REFRESH_TIMEOUT_SECONDS: '5' });
    expect(result.code).toBe(1);
    const [line, summary] = result.stdout.trim().split('\n').map((text) => JSON.parse(text));
    expect(line).toMatchObject({ outcome: 'failed', kept: 'previous data' });
    expect(line.error).toMatch(/TaskRouter unreachable/);
    expect(summary).toMatchObject({ event: 'summary', cycles: 1, failures: 1, lastError: line.error });
    expect(await dumpRedis(stack)).toBe(before);
  });

  it('prints without writing in --dry-run, and needs no Upstash credentials for it', async () => {
    const before = await dumpRedis(stack);
    const { UPSTASH_REDIS_REST_URL: _url, UPSTASH_REDIS_REST_TOKEN: _token, ...env } = stack.env;
    const result = await refresher(['--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('voice\tWQ'))).toHaveLength(120);
    expect(result.stdout).toMatch(/"outcome":"dry-run","wrote":"nothing \(dry run\)"/);
    // No advert from the Upstash client about a missing URL: a dry run makes no client.
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/Upstash Redis|property is missing/);
    expect(await dumpRedis(stack)).toBe(before);
  });

  it('keeps refreshing with --every and stops cleanly on SIGTERM after the cycle', async () => {
    const child = spawn(process.execPath, [...cli, '--every', '5'], { cwd, env: { PATH: process.env['PATH'], ...stack.env } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stdout.includes('"outcome":"written"')) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'summary', failures: 0, stoppedBy: 'signal' });
  });

  it('--every 5 --for 12 against a TaskRouter that always fails ends by itself, non-zero, every cycle in the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qwt-summary-'));
    try {
      const summary = join(dir, 'summary.md');
      const result = await refresher(['--every', '5', '--for', '12'], { ...stack.env, TWILIO_AUTH_TOKEN: 'revoked-token', GITHUB_STEP_SUMMARY: summary });
      expect(result.code).toBe(1);
      const lines = result.stdout.trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
      const last = lines.pop()!;
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.every((line) => line['outcome'] === 'failed')).toBe(true);
      expect(last).toMatchObject({ event: 'summary', cycles: lines.length, failures: lines.length, stoppedBy: '--for' });
      expect(last['lastError']).toMatch(/Authenticate/);
      const table = readFileSync(summary, 'utf8');
      expect(table.match(/\*\*failed\*\*/g)).toHaveLength(lines.length);
      expect(table).toMatch(new RegExp(`\\*\\*${lines.length} of ${lines.length} cycle\\(s\\) failed\\*\\*`));
      expect(table).not.toMatch(/revoked-token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads .env in the working directory, exported variables first, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qwt-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), Object.entries({ ...stack.env, TWILIO_WORKSPACE_SID: `WS${'0'.repeat(32)}` }).map(([key, value]) => `${key}=${value}`).join('\n'));
      const run1 = await run(process.execPath, [...cli, '--dry-run'], { cwd: dir, env: { PATH: process.env['PATH'], TWILIO_WORKSPACE_SID: model.workspaceSid } });
      expect(run1.stderr).toContain(`configuration: ${join(dir, '.env')}`);
      expect(run1.stdout.split('\n').filter((line) => line.startsWith('voice\tWQ'))).toHaveLength(120);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
