/**
 * Scenario files: a simulated contact center described as data (JSON), validated with messages that
 * name the offending path. See dev/scenarios/*.json.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** [minute since start, value]: piecewise linear between points, flat after the last. */
export type Curve = [number, number][];

export interface QueueSpec {
  name: string;
  /** Channel → share of arrivals; default voice only. */
  channels: Record<string, number>;
  /** Priority → share of arrivals; default all 0. */
  priorities: Record<string, number>;
  /** Arrivals per hour over time. */
  arrivalsPerHour: Curve;
  handleSeconds: HandleTime;
  wrapUpSeconds: number;
  /** Mean of exponential caller patience, seconds; null: nobody abandons. */
  patienceSeconds: number | null;
  /** Tasks at exact times with exact handle times and patience, on top of the random arrivals. */
  script: ScriptedTask[];
}

/**
 * Handle time: log-normal (median seconds and sigma of the underlying normal; the default) or
 * exponential (mean seconds), the latter for the queueing-theory checks (M/M/s).
 */
export type HandleTime = { distribution: 'lognormal'; median: number; sigma: number } | { distribution: 'exponential'; mean: number };

/** The mean of a handle-time distribution, seconds. */
export function meanHandleSeconds(handle: HandleTime): number {
  return handle.distribution === 'exponential' ? handle.mean : handle.median * Math.exp((handle.sigma * handle.sigma) / 2);
}

/** One task whose every event is known: for tests that compute statistics by hand. */
export interface ScriptedTask {
  atSeconds: number;
  channel: string;
  priority: number;
  handleSeconds: number;
  /** Seconds until the caller hangs up if still waiting; null: waits for ever. */
  patienceSeconds: number | null;
}

export interface WorkerGroupSpec {
  name: string;
  /** Queue names these workers serve. */
  queues: string[];
  /** Channel → tasks at once. */
  capacity: Record<string, number>;
  /** Workers on shift over time (a step function: [minute, count]); the rest are Offline. */
  staffing: Curve;
  /** Breaks: from `atMinute`, `workers` of the group's on-shift workers spend `minutes` in the Break Activity. */
  breaks: BreakSpec[];
}

export interface BreakSpec {
  atMinute: number;
  minutes: number;
  workers: number;
}

/**
 * How TaskRouter treats a busy worker's Activity. multitasking (Flex's default): the Activity does not
 * change while the worker handles tasks, up to its capacity per channel. single-tasking: one task at a
 * time, and TaskRouter moves the worker to an unavailable Activity while it holds one
 * (https://www.twilio.com/docs/taskrouter/activities); here that Activity is Unavailable, and the
 * worker returns to Available after wrap-up.
 */
export const WORKSPACE_MODES = ['multitasking', 'single-tasking'] as const;
export type WorkspaceMode = (typeof WORKSPACE_MODES)[number];

/** For large workspaces: queues and workers made by rule instead of listed. */
export interface GenerateSpec {
  queues: number;
  workers: number;
  queuesPerWorker: number;
  arrivalsPerHourPerQueue: number;
  handleSeconds: HandleTime;
  patienceSeconds: number | null;
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  durationMinutes: number;
  /** Seconds between reservation and acceptance. */
  acceptSeconds: number;
  workspaceMode: WorkspaceMode;
  queues: QueueSpec[];
  workers: WorkerGroupSpec[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

type Json = unknown;

class Validator {
  readonly problems: string[] = [];
  constructor(private readonly file: string) {}
  fail(path: string, message: string): void {
    this.problems.push(`${this.file}: ${path} ${message}`);
  }
  object(value: Json, path: string): Record<string, Json> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, 'must be an object');
      return {};
    }
    return value as Record<string, Json>;
  }
  number(value: Json, path: string, min: number, max = Number.MAX_SAFE_INTEGER, fallback = min): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(path, `must be a number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }
  string(value: Json, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(path, 'must be a non-empty string');
      return '';
    }
    return value;
  }
  oneOf<T extends string>(value: Json, path: string, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `must be one of: ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }
  curve(value: Json, path: string): Curve {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(path, 'must be a non-empty array of [minute, value] pairs');
      return [[0, 0]];
    }
    let last = -1;
    return value.map((point, index) => {
      if (!Array.isArray(point) || point.length !== 2) {
        this.fail(`${path}[${index}]`, 'must be a [minute, value] pair');
        return [0, 0] as [number, number];
      }
      const minute = this.number(point[0], `${path}[${index}][0]`, 0);
      if (minute <= last) this.fail(`${path}[${index}][0]`, 'must be later than the point before it');
      last = minute;
      return [minute, this.number(point[1], `${path}[${index}][1]`, 0)] as [number, number];
    });
  }
  shares(value: Json, path: string, fallback: Record<string, number>, keyPattern: RegExp): Record<string, number> {
    if (value === undefined) return fallback;
    const shares = this.object(value, path);
    const entries = Object.entries(shares);
    if (entries.length === 0) this.fail(path, 'must name at least one key');
    for (const [key, share] of entries) {
      if (!keyPattern.test(key)) this.fail(`${path}.${key}`, `is not a valid key (${keyPattern})`);
      this.number(share, `${path}.${key}`, 0);
    }
    return shares as Record<string, number>;
  }
}

function handle(v: Validator, value: Json, path: string): HandleTime {
  const spec = v.object(value, path);
  const distribution = v.oneOf(spec['distribution'], `${path}.distribution`, ['lognormal', 'exponential'] as const, 'lognormal');
  if (distribution === 'exponential') return { distribution, mean: v.number(spec['mean'], `${path}.mean`, 1, 86400, 60) };
  return { distribution, median: v.number(spec['median'], `${path}.median`, 1, 86400, 60), sigma: v.number(spec['sigma'], `${path}.sigma`, 0, 3, 0) };
}

/** Validates parsed JSON as a scenario; throws ScenarioError listing every problem. */
export function parseScenario(json: Json, file = 'scenario'): Scenario {
  const v = new Validator(file);
  const root = v.object(json, '(root)');
  const scenario: Scenario = {
    name: v.string(root['name'], 'name'),
    description: typeof root['description'] === 'string' ? root['description'] : '',
    seed: v.number(root['seed'] ?? 1, 'seed', 0, 2 ** 32 - 1),
    durationMinutes: v.number(root['durationMinutes'], 'durationMinutes', 1, 60 * 24 * 366),
    acceptSeconds: v.number(root['acceptSeconds'] ?? 3, 'acceptSeconds', 0, 600),
    workspaceMode: v.oneOf(root['workspaceMode'], 'workspaceMode', WORKSPACE_MODES, 'multitasking'),
    queues: [],
    workers: [],
  };
  if (root['generate'] !== undefined) {
    const g = v.object(root['generate'], 'generate');
    const generate: GenerateSpec = {
      queues: v.number(g['queues'], 'generate.queues', 1, 5000),
      workers: v.number(g['workers'], 'generate.workers', 1, 100000),
      queuesPerWorker: v.number(g['queuesPerWorker'] ?? 2, 'generate.queuesPerWorker', 1, 50),
      arrivalsPerHourPerQueue: v.number(g['arrivalsPerHourPerQueue'], 'generate.arrivalsPerHourPerQueue', 0),
      handleSeconds: handle(v, g['handleSeconds'], 'generate.handleSeconds'),
      patienceSeconds: g['patienceSeconds'] === null ? null : v.number(g['patienceSeconds'] ?? 300, 'generate.patienceSeconds', 1),
    };
    if (v.problems.length > 0) throw new ScenarioError(v.problems.join('\n'));
    return expandGenerated(scenario, generate);
  }
  const queues = Array.isArray(root['queues']) ? root['queues'] : (v.fail('queues', 'must be an array (or use generate)'), []);
  queues.forEach((raw, index) => {
    const path = `queues[${index}]`;
    const q = v.object(raw, path);
    scenario.queues.push({
      name: v.string(q['name'], `${path}.name`),
      channels: v.shares(q['channels'], `${path}.channels`, { voice: 1 }, /^[a-z0-9_-]{1,64}$/),
      priorities: v.shares(q['priorities'], `${path}.priorities`, { '0': 1 }, /^\d{1,3}$/),
      arrivalsPerHour: v.curve(q['arrivalsPerHour'], `${path}.arrivalsPerHour`),
      handleSeconds: handle(v, q['handleSeconds'], `${path}.handleSeconds`),
      wrapUpSeconds: v.number(q['wrapUpSeconds'] ?? 0, `${path}.wrapUpSeconds`, 0, 3600),
      patienceSeconds: q['patienceSeconds'] === null ? null : v.number(q['patienceSeconds'] ?? 300, `${path}.patienceSeconds`, 1),
      script: (q['script'] === undefined ? [] : Array.isArray(q['script']) ? (q['script'] as Json[]) : (v.fail(`${path}.script`, 'must be an array'), [])).map((rawTask, taskIndex) => {
        const t = v.object(rawTask, `${path}.script[${taskIndex}]`);
        const at = `${path}.script[${taskIndex}]`;
        return {
          atSeconds: v.number(t['atSeconds'], `${at}.atSeconds`, 0),
          channel: typeof t['channel'] === 'string' ? t['channel'] : 'voice',
          priority: v.number(t['priority'] ?? 0, `${at}.priority`, 0, 999),
          handleSeconds: v.number(t['handleSeconds'], `${at}.handleSeconds`, 0),
          patienceSeconds: t['patienceSeconds'] === undefined || t['patienceSeconds'] === null ? null : v.number(t['patienceSeconds'], `${at}.patienceSeconds`, 0),
        };
      }),
    });
  });
  const names = new Set(scenario.queues.map((queue) => queue.name));
  if (names.size !== scenario.queues.length) v.fail('queues', 'must have unique names');
  const workers = Array.isArray(root['workers']) ? root['workers'] : (v.fail('workers', 'must be an array'), []);
  workers.forEach((raw, index) => {
    const path = `workers[${index}]`;
    const w = v.object(raw, path);
    const served = Array.isArray(w['queues']) ? (w['queues'] as Json[]).map((name, i) => v.string(name, `${path}.queues[${i}]`)) : (v.fail(`${path}.queues`, 'must be an array of queue names'), []);
    for (const name of served) if (name && !names.has(name)) v.fail(`${path}.queues`, `names an unknown queue "${name}"`);
    scenario.workers.push({
      name: v.string(w['name'], `${path}.name`),
      queues: served,
      capacity: v.shares(w['capacity'], `${path}.capacity`, { voice: 1 }, /^[a-z0-9_-]{1,64}$/),
      staffing: v.curve(w['staffing'], `${path}.staffing`),
      breaks: (w['breaks'] === undefined ? [] : Array.isArray(w['breaks']) ? (w['breaks'] as Json[]) : (v.fail(`${path}.breaks`, 'must be an array'), [])).map((rawBreak, breakIndex) => {
        const b = v.object(rawBreak, `${path}.breaks[${breakIndex}]`);
        const at = `${path}.breaks[${breakIndex}]`;
        return { atMinute: v.number(b['atMinute'], `${at}.atMinute`, 0), minutes: v.number(b['minutes'], `${at}.minutes`, 1), workers: v.number(b['workers'], `${at}.workers`, 1) };
      }),
    });
  });
  if (v.problems.length > 0) throw new ScenarioError(v.problems.join('\n'));
  return scenario;
}

/** A large workspace by rule: worker i serves `queuesPerWorker` consecutive queues. */
function expandGenerated(base: Scenario, g: GenerateSpec): Scenario {
  const queues: QueueSpec[] = [];
  for (let index = 0; index < g.queues; index++) {
    queues.push({
      name: `Queue ${String(index + 1).padStart(4, '0')}`,
      channels: { voice: 1 },
      priorities: { '0': 1 },
      arrivalsPerHour: [[0, g.arrivalsPerHourPerQueue]],
      handleSeconds: g.handleSeconds,
      wrapUpSeconds: 0,
      patienceSeconds: g.patienceSeconds,
      script: [],
    });
  }
  const workersPerQueueBlock = Math.max(1, Math.floor(g.workers / g.queues));
  const workers: WorkerGroupSpec[] = [];
  for (let index = 0; index < g.queues; index++) {
    const served: string[] = [];
    for (let k = 0; k < g.queuesPerWorker; k++) served.push(queues[(index + k) % g.queues]!.name);
    workers.push({ name: `Team ${index + 1}`, queues: served, capacity: { voice: 1 }, staffing: [[0, workersPerQueueBlock]], breaks: [] });
  }
  return { ...base, queues, workers };
}

export const SCENARIO_DIR = join(__dirname, '..', 'scenarios');

/**
 * Where scenarios live: `tuning/` (estimator choices and fitted parameters may use them),
 * `validation/` (reported, never used to choose or fit anything), and the top level (scenarios for the
 * performance benchmarks, not scored for accuracy).
 */
export const SCENARIO_SETS = ['tuning', 'validation'] as const;
export type ScenarioSet = (typeof SCENARIO_SETS)[number];

/** Reads and validates a scenario by name (from any set) or by path to a .json file. */
export function loadScenario(nameOrPath: string): Scenario {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : scenarioFile(nameOrPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ScenarioError(`No scenario ${nameOrPath}: ${file} cannot be read (known: ${listScenarios().join(', ')})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseScenario(json, file);
}

/** The file of a scenario name: its set's folder, or the top level. */
function scenarioFile(name: string): string {
  for (const set of SCENARIO_SETS) if (listIn(join(SCENARIO_DIR, set)).includes(name)) return join(SCENARIO_DIR, set, `${name}.json`);
  return join(SCENARIO_DIR, `${name}.json`);
}

function listIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -5))
    .sort();
}

/** Scenario names of one set, or of every folder. */
export function listScenarios(set?: ScenarioSet): string[] {
  if (set) return listIn(join(SCENARIO_DIR, set));
  return [...SCENARIO_SETS.flatMap((name) => listIn(join(SCENARIO_DIR, name))), ...listIn(SCENARIO_DIR)].sort();
}

/** The value of a curve at `minute`: linear between points (`step` = hold each value until the next). */
export function curveAt(curve: Curve, minute: number, step = false): number {
  let previous = curve[0]!;
  if (minute <= previous[0]) return previous[1];
  for (let index = 1; index < curve.length; index++) {
    const point = curve[index]!;
    if (minute < point[0]) {
      if (step) return previous[1];
      const fraction = (minute - previous[0]) / (point[0] - previous[0]);
      return previous[1] + fraction * (point[1] - previous[1]);
    }
    previous = point;
  }
  return previous[1];
}
