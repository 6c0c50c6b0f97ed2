/**
 * A workspace's own history: the TaskRouter double serves a simulation's Events, Workers and
 * Activities in the spec's shapes, `npm run export:events` pulls them with the real `twilio` client,
 * and `npm run backtest -- --events` of that export scores the same callers as bench:accuracy.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultFor, replicate, START_MS, type Caller } from '../bench/accuracy';
import { heardCallers } from '../bench/backtest/heard';
import { scoreGroup } from '../bench/backtest/score';
import { readEventsExport } from '../dev/replay/events';
import { loadScenario } from '../dev/simulation/scenario';
import { startTaskRouterDouble, type Fault, type RequestInfo, type TaskRouterDouble } from '../dev/taskrouter-double';
import { DEFAULT_PARAMETERS, estimateWait } from '../src/estimator';
import { EVENT_DATA_READ } from '../src/taskrouter/events-export';
import { specValidators, type OpenApiSpec } from './openapi';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const spec = require('@twilio-alpha/mcp/twilio-oai/spec/json/twilio_taskrouter_v1.json') as OpenApiSpec;
const { compile } = specValidators(spec);
const validatorFor = (path: string) => compile(spec.paths[path]!['get']!.responses['200']!.content!['application/json']!.schema);

const AUTH = 'events-auth-token';
const run = promisify(execFile);
const root = join(__dirname, '..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'qwt-events-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const SETTINGS = { refreshSeconds: 30, windowMinutes: 15, lean: false, minCallers: 1, maxCallers: Number.MAX_SAFE_INTEGER };

type Result = { code: number; stdout: string; stderr: string };
async function command(script: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [tsx, join(root, script), ...args], { cwd: scratch, env: { PATH: process.env['PATH'] ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A recorded replication 0 of a scenario, served by the double (faults optional). */
async function served(name: string, fault?: (request: RequestInfo) => Fault | undefined) {
  const { callers, simulation } = replicate(loadScenario(name), 0, SETTINGS, true);
  const double = await startTaskRouterDouble({ model: simulation, authToken: AUTH, ...(fault ? { fault } : {}) });
  const env = { TWILIO_ACCOUNT_SID: simulation.accountSid, TWILIO_AUTH_TOKEN: AUTH, TWILIO_WORKSPACE_SID: simulation.workspaceSid, TASKROUTER_API_URL: double.url };
  return { callers, simulation, double, env };
}

const exportArgs = (out: string, more: string[] = []) => ['--since', new Date(START_MS).toISOString(), '--out', out, '--rate', '100', ...more];

describe('the double serves a recording simulation', () => {
  let double: TaskRouterDouble;
  let ws: string;
  let worker: string;
  const get = async (path: string) => (await fetch(`${double.url}${path}`, { headers: { Authorization: `Basic ${Buffer.from(`${ws.replace(/^WS/, 'AC')}:x`).toString('base64')}` } })).status;
  let fetchJson: (path: string) => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    const setup = await served('multi-skill');
    double = setup.double;
    ws = setup.simulation.workspaceSid;
    worker = setup.simulation.listWorkers()[0]!.sid;
    const auth = `Basic ${Buffer.from(`${setup.simulation.accountSid}:${AUTH}`).toString('base64')}`;
    fetchJson = async (path) => (await (await fetch(`${double.url}${path}`, { headers: { Authorization: auth } })).json()) as Record<string, unknown>;
  });
  afterAll(() => double.close());

  it.each([
    ['/v1/Workspaces/{WorkspaceSid}/Events', () => `/v1/Workspaces/${ws}/Events?StartDate=2026-03-02T08:00:00Z&EndDate=2026-03-02T12:00:00Z&PageSize=50`],
    ['/v1/Workspaces/{WorkspaceSid}/Workers', () => `/v1/Workspaces/${ws}/Workers?PageSize=5`],
    ['/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Channels', () => `/v1/Workspaces/${ws}/Workers/${worker}/Channels`],
    ['/v1/Workspaces/{WorkspaceSid}/Activities', () => `/v1/Workspaces/${ws}/Activities`],
  ])('answers %s in the shape of the official spec', async (specPath, url) => {
    const body = await fetchJson(url());
    const validate = validatorFor(specPath);
    const valid = validate(body);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect((Object.values(body).find(Array.isArray) as unknown[]).length).toBeGreaterThan(0);
  });

  it('gives each event the event_data fields of its type in the Event reference', async () => {
    // The Task fields, the Reservation's (Task, Worker, ReservationSid) and the Worker's with its previous Activity.
    const task = ['task_sid', 'task_attributes', 'task_age', 'task_priority', 'task_assignment_status', 'task_queue_sid', 'task_channel_unique_name'];
    const workerFields = ['worker_sid', 'worker_name', 'worker_attributes', 'worker_activity_sid', 'worker_activity_name'];
    const expected: Record<string, string[]> = {
      'task.created': task,
      'task.canceled': [...task, 'task_canceled_reason'],
      'task.wrapup': task,
      'task.completed': task,
      'reservation.created': [...task, ...workerFields, 'reservation_sid'],
      'reservation.accepted': [...task, ...workerFields, 'reservation_sid'],
      'worker.activity.update': [...workerFields, 'worker_time_in_previous_activity', 'worker_previous_activity_sid', 'worker_previous_activity_name'],
    };
    const seen = new Set<string>();
    let url: string | null = `/v1/Workspaces/${ws}/Events?StartDate=2026-03-02T08:00:00Z&EndDate=2026-03-02T12:00:00Z&PageSize=1000`;
    while (url) {
      const body = await fetchJson(url.replace(double.url, ''));
      for (const event of body['events'] as { event_type: string; event_data: Record<string, unknown> }[]) {
        seen.add(event.event_type);
        expect(Object.keys(event.event_data)).toEqual(expect.arrayContaining(expected[event.event_type]!));
      }
      url = (body['meta'] as { next_page_url: string | null }).next_page_url;
    }
    expect([...seen].sort()).toEqual(Object.keys(expected).sort());
    for (const field of EVENT_DATA_READ) expect(Object.values(expected).flat()).toContain(field);
  });

  it('answers 404 for a worker it does not have, and 401 without credentials', async () => {
    expect((await fetchJson(`/v1/Workspaces/${ws}/Workers/WK00000000000000000000000000000000/Channels`))['status']).toBe(404);
    expect(await get(`/v1/Workspaces/${ws}/Events`)).toBe(401);
  });
});

describe('npm run export:events', () => {
  it('pages through every event by next_page_url, retries a 429, strips task attributes, and ends with a trailer', async () => {
    let eventRequests = 0;
    const setup = await served('steady', (request) => (request.path.endsWith('/Events') && ++eventRequests === 1 ? { kind: 'status', status: 429, retryAfterSeconds: 0 } : undefined));
    try {
      const out = join(scratch, 'steady.jsonl');
      const result = await command('scripts/export-events.ts', exportArgs(out), setup.env);
      expect(result.stderr).toContain('"event":"retry"');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
      const total = setup.simulation.listEvents(START_MS, Date.now()).length;
      expect(total).toBeGreaterThan(1000);
      expect(summary).toMatchObject({ event: 'export-events', outcome: 'written', events: total, retries: 1 });
      // Two pages of 1,000 and the first one retried once.
      expect(setup.double.stats.byEndpoint['events']).toBe(Math.ceil(total / 1000));
      expect(eventRequests).toBe(Math.ceil(total / 1000) + 1);
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ kind: 'export', workspaceSid: setup.simulation.workspaceSid, taskAttributes: 'stripped', startDate: new Date(START_MS).toISOString() });
      expect(lines.at(-1)).toMatchObject({ kind: 'trailer', complete: true, events: total, requests: summary['requests'] });
      const events = lines.filter((line) => line['kind'] === 'event') as { event_data: Record<string, unknown> }[];
      expect(events).toHaveLength(total);
      expect(events.some((event) => 'task_attributes' in event.event_data)).toBe(false);
      expect(lines.filter((line) => line['kind'] === 'worker')).toHaveLength(setup.simulation.listWorkers().length);
      expect(existsSync(`${out}.partial`)).toBe(false);

      const kept = join(scratch, 'steady-kept.jsonl');
      expect((await command('scripts/export-events.ts', exportArgs(kept, ['--include-task-attributes']), setup.env)).code).toBe(0);
      expect(readFileSync(kept, 'utf8')).toContain('"task_attributes"');
    } finally {
      await setup.double.close();
    }
  }, 60_000);

  it('fails with exit 1 and leaves no file when TaskRouter keeps failing, and exits 2 for bad options', async () => {
    const setup = await served('steady', (request) => (request.path.endsWith('/Events') ? { kind: 'status', status: 503, retryAfterSeconds: 0 } : undefined));
    try {
      const out = join(scratch, 'failed.jsonl');
      const result = await command('scripts/export-events.ts', exportArgs(out), setup.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('"outcome":"failed"');
      expect(result.stderr).not.toContain(AUTH);
      expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
    } finally {
      await setup.double.close();
    }
    const none = await command('scripts/export-events.ts', ['--out', 'x.jsonl'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give one of --days or --since');
    const tooOld = await command('scripts/export-events.ts', ['--days', '31', '--out', 'x.jsonl'], {});
    expect(tooOld.code).toBe(2);
    expect(tooOld.stderr).toContain('--days must be a whole number from 1 to 30');
  }, 60_000);
});

/** What bench:accuracy scores of one replication, with no subsampling: answered callers given a number by default and original. */
function accuracyScore(callers: Caller[]): { scored: number; ratio: number } {
  const scored = callers.flatMap((caller) => {
    if (caller.outcome !== 'accepted' || !caller.observation) return [];
    const ours = defaultFor(caller, DEFAULT_PARAMETERS)?.estimatedWaitSeconds ?? null;
    const original = estimateWait('original', caller.observation).estimatedWaitSeconds;
    return ours === null || original === null ? [] : [{ ours, original, wait: caller.waitSeconds }];
  });
  const rmse = (pick: (row: (typeof scored)[number]) => number) => Math.sqrt(scored.reduce((sum, row) => sum + (pick(row) - row.wait) ** 2, 0) / scored.length);
  return { scored: scored.length, ratio: rmse((row) => row.ours) / rmse((row) => row.original) };
}

describe('the round trip: an exported simulation backtests as bench:accuracy scores it', () => {
  it.each(['multi-skill', 'shared-priority', 'after-hours', 'multitasking-desk'])('%s (seed of replication 0): the same callers, the same ratio', async (name) => {
    const setup = await served(name);
    try {
      const out = join(scratch, `${name}.jsonl`);
      const exported = await command('scripts/export-events.ts', exportArgs(out), setup.env);
      expect(exported.code).toBe(0);
      const source = readEventsExport(out);
      expect(source.eligibilityResolved).toBe(1);
      const backtest = scoreGroup('all', heardCallers(source.timeline, { refreshSeconds: 30, windowMinutes: 15, name, workspaceSid: source.workspaceSid, queueSids: source.queueSids }));
      const accuracy = accuracyScore(setup.callers);
      expect(accuracy.scored).toBeGreaterThan(100);
      expect(backtest.scored).toBe(accuracy.scored);
      expect(Math.abs(backtest.ratio.value / accuracy.ratio - 1)).toBeLessThan(0.005);
    } finally {
      await setup.double.close();
    }
  }, 60_000);

  it('refuses an export cut short (no trailer) with exit 2, and scores a whole one with the contract line', async () => {
    const setup = await served('after-hours');
    try {
      const out = join(scratch, 'whole.jsonl');
      expect((await command('scripts/export-events.ts', exportArgs(out), setup.env)).code).toBe(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      const truncated = join(scratch, 'truncated.jsonl');
      writeFileSync(truncated, `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\n`);
      const cut = await command('bench/backtest.ts', ['--events', truncated, '--out', scratch]);
      expect(cut.code).toBe(2);
      expect(cut.stderr).toContain('truncated.jsonl: the export is incomplete (no trailer line)');
      const whole = await command('bench/backtest.ts', ['--events', out, '--out', scratch]);
      expect(whole.code).toBe(0);
      expect(whole.stdout.trim().split('\n').at(-1)).toMatch(/^backtest whole\.jsonl: default\/original RMSE = \d+\.\d\d \(worst queue none\), phrase true \d+\.\d% \(original \d+\.\d%\), range coverage \d+\.\d%, "less than a minute" broken \d+\.\d% \(\d+ callers, 0 queues\)$/);
      expect(readFileSync(join(scratch, 'backtest.md'), 'utf8')).toContain('Activities as recorded; eligibility read from target_workers for 100.0%');
    } finally {
      await setup.double.close();
    }
  }, 90_000);
});
