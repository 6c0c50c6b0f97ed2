/**
 * The refresher as it is shipped and scheduled: the built JavaScript with production dependencies
 * only, `status` for monitors, and the GitHub workflow (schema-validated, its refresh step run as
 * GitHub would run it).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { staticWorkspace } from '../dev/workspace-model';
import { refreshOnce } from '../src/refresh';
import { startTestStack, type TestStack } from './helpers';

const exec = promisify(execFile);
const root = join(__dirname, '..');
const model = staticWorkspace({ queueCount: 60, seed: 41 });
let stack: TestStack;
/** A directory holding only package.json, package-lock.json, dist/ and the production dependencies. */
let shipped: string;

type Result = { code: number; stdout: string; stderr: string };
async function run(file: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd: options.cwd, env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...options.env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  stack = await startTestStack({ model });
  shipped = mkdtempSync(join(tmpdir(), 'qwt-shipped-'));
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(shipped, file));
  cpSync(join(root, 'dist'), join(shipped, 'dist'), { recursive: true });
  // The npm cache the project's own install filled makes this fast and offline-friendly.
  const install = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: shipped, env: {} });
  if (install.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.stderr}`);
}, 180_000);
afterAll(async () => {
  await stack.stop();
  rmSync(shipped, { recursive: true, force: true });
});

describe('the built refresher with production dependencies only', () => {
  it('has no development dependency to lean on', () => {
    expect(() => require.resolve('typescript', { paths: [shipped] })).toThrow();
    expect(() => require.resolve('tsx', { paths: [shipped] })).toThrow();
  });

  it('runs --help and a refresh with node', async () => {
    const help = await run(process.execPath, ['dist/refresh-queue-times.js', '--help'], { cwd: shipped, env: {} });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--every <seconds>/);
    const refresh = await run(process.execPath, ['dist/refresh-queue-times.js'], { cwd: shipped, env: stack.env });
    expect(refresh.code).toBe(0);
    expect(JSON.parse(refresh.stdout.trim().split('\n')[0]!)).toMatchObject({ event: 'refresh', outcome: 'written', queues: 60 });
  });
});

describe('status for monitors', () => {
  const status = (args: string[], env: Record<string, string | undefined> = stack.env) => run(process.execPath, ['dist/status.js', ...args], { cwd: shipped, env });

  it('exits 0 for fresh data, 1 for old or missing, with the age on Redis\'s clock', async () => {
    await refreshOnce(stack.config, { redis: stack.redis });
    const fresh = await status(['--max-age', '60']);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ event: 'status', fresh: true, queueCount: 60, channels: ['voice'], lastRefreshDurationMs: expect.any(Number) });
    // Statistics read ten minutes ago, by a refresher whose clock is ten minutes fast.
    let readings = 0;
    await refreshOnce(stack.config, { redis: stack.redis, now: () => Date.now() + 600_000 - (readings++ === 0 ? 600_000 : 0) });
    const old = await status(['--max-age', '300']);
    expect(old.code).toBe(1);
    const line = JSON.parse(old.stdout) as { fresh: boolean; ageSeconds: number };
    expect(line.fresh).toBe(false);
    expect(line.ageSeconds).toBeGreaterThanOrEqual(595);
    expect(line.ageSeconds).toBeLessThan(620);
    expect((await status(['--max-age', '900'])).code).toBe(0);
    const missing = await status(['--max-age', '60'], { ...stack.env, TWILIO_WORKSPACE_SID: `WS${'0'.repeat(32)}` });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ fresh: false, reason: expect.stringMatching(/no refresh record/) });
  });

  it('exits 2 on bad options or configuration', async () => {
    expect((await status([])).code).toBe(2);
    expect((await status(['--max-age', 'soon'])).code).toBe(2);
    // A mistyped option is named as the user typed it, not as a TypeError.
    const mistyped = await status(['--max-age', '60', '--maxage', '60']);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr.split('\n')[0]).toMatch(/^Unknown option '--maxage'/);
    const unconfigured = await status(['--max-age', '60'], {});
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/UPSTASH_REDIS_REST_URL is required/);
  });
});

describe('the GitHub workflow', () => {
  const workflowFile = join(root, '.github/workflows/refresh-queue-times.yml');
  const validator = join(root, 'node_modules/.bin/action-validator');

  it('validates against the Actions schema, and the validator refuses a broken copy', async () => {
    expect((await run(validator, [workflowFile], { cwd: root, env: {} })).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'qwt-workflow-'));
    try {
      const broken = join(dir, 'broken.yml');
      writeFileSync(broken, readFileSync(workflowFile, 'utf8').replace('runs-on:', 'runs_on:'));
      expect((await run(validator, [broken], { cwd: root, env: {} })).code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The Refresh step's script, run by bash as the runner would, in the built checkout. */
  const refreshStep = (parse(readFileSync(workflowFile, 'utf8')) as { jobs: { refresh: { steps: { name?: string; run?: string }[] } } }).jobs.refresh.steps.find((step) => step.name === 'Refresh')!;
  const runStep = (env: Record<string, string | undefined>) => run('bash', ['-e', '-c', refreshStep.run!], { cwd: shipped, env });

  it('spends no runner minute until QUEUE_TIMES_REFRESH is on, and a manual run says how to turn it on', async () => {
    const workflow = parse(readFileSync(workflowFile, 'utf8')) as { jobs: Record<string, { if?: string; steps: { run?: string }[] }> };
    expect(workflow.jobs['refresh']!.if).toBe("vars.QUEUE_TIMES_REFRESH == 'on'");
    expect(workflow.jobs['not-enabled']!.if).toBe("github.event_name == 'workflow_dispatch' && vars.QUEUE_TIMES_REFRESH != 'on'");
    const dir = mkdtempSync(join(tmpdir(), 'qwt-notice-'));
    try {
      const summary = join(dir, 'summary.md');
      const notice = await run('bash', ['-e', '-c', workflow.jobs['not-enabled']!.steps[0]!.run!], { cwd: dir, env: { PATH: process.env['PATH'], GITHUB_STEP_SUMMARY: summary } });
      expect(notice.code).toBe(0);
      expect(notice.stdout).toMatch(/^::notice::Queue wait-time refresh is off/m);
      expect(readFileSync(summary, 'utf8')).toMatch(/### Queue wait-time refresh is off\n\nNothing was refreshed\. Set the repository variable `QUEUE_TIMES_REFRESH` to `on`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds only the refresher, never the Functions', () => {
    const steps = (parse(readFileSync(workflowFile, 'utf8')) as { jobs: { refresh: { steps: { run?: string }[] } } }).jobs.refresh.steps.map((step) => step.run ?? '').join('\n');
    expect(steps).toMatch(/npm ci --omit=dev/);
    expect(steps).toMatch(/node scripts\/build\.mjs --refresher/);
    expect(steps).not.toMatch(/npm run build\b/);
  });

  it('a successful single refresh is green; a failed one, or a bad cadence, never is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qwt-step-'));
    try {
      const summary = join(dir, 'summary.md');
      expect((await runStep({ ...stack.env, REFRESH_CADENCE: 'single', GITHUB_STEP_SUMMARY: summary })).code).toBe(0);
      const failed = await runStep({ ...stack.env, TWILIO_AUTH_TOKEN: 'revoked-token', REFRESH_CADENCE: 'single', GITHUB_STEP_SUMMARY: summary });
      expect(failed.code).toBe(1);
      expect(readFileSync(summary, 'utf8')).toMatch(/\*\*failed\*\*/);
      const badUpstash = await runStep({ ...stack.env, UPSTASH_REDIS_REST_TOKEN: 'wrong', REFRESH_CADENCE: 'single' });
      expect(badUpstash.code).toBe(1);
      const bogus = await runStep({ ...stack.env, REFRESH_CADENCE: 'hourly' });
      expect(bogus.code).toBe(2);
      expect(bogus.stdout).toMatch(/REFRESH_CADENCE must be loop or single/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
