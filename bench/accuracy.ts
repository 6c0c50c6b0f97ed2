/**
 * Accuracy benchmark: every scenario of the simulation, refreshed at the refresher's real cadence.
 * For every simulated caller, the estimate the cache would have served at arrival (from the last
 * snapshot, so estimates age as in production) against the wait that caller then had.
 * `npm run bench:accuracy -- --help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Simulation } from '../dev/simulation/engine';
import { listScenarios, loadScenario } from '../dev/simulation/scenario';
import { ESTIMATOR_NAMES, estimateWait, QUICK_ANSWER_SECONDS, type EstimatorName } from '../src/estimator';
import { announce } from '../src/speech';
import { observationFrom } from '../src/taskrouter/reader';
import { LEAN_FIELDS } from '../dev/taskrouter-double';

const USAGE = `Usage: npm run bench:accuracy -- [--refresh-seconds <s>] [--window-minutes <m>] [--scenario <name>]... [--lean] [--out <dir>]

Scores every estimator (and an oracle that knows the simulation's true rates) on every scenario.
--lean feeds the estimators only the fields of the spec's example of the bulk statistics list.
Defaults: --refresh-seconds 30 (REFRESH_SECONDS), --window-minutes 15, all scenarios, --out bench/results.`;

type Scorer = EstimatorName | 'oracle';
const SCORERS: Scorer[] = [...ESTIMATOR_NAMES, 'oracle'];
/** Callers arriving before the statistics window has filled are not scored (no estimator has history yet). */
const WARM_UP_MINUTES = 15;

interface Sample {
  arrivedAtMs: number;
  actual: number;
  estimates: Record<Scorer, number | null>;
}

/** Every arriving caller, answered or not, for the checks that are not about error sizes. */
interface Arrival {
  /** The default estimator's cached answer and reason. */
  estimate: number | null;
  reason: string | undefined;
  /** No eligible worker was logged in when the cached snapshot was taken. */
  noAgentsAtSnapshot: boolean;
  /** Seconds until accepted or abandoned; null while still waiting at the end. */
  waited: number | null;
}

interface Score {
  callers: number;
  withEstimate: number;
  mae: number;
  rmse: number;
  bias: number;
  within60: number;
  inPhrase: number;
  noEstimate: number;
}

function score(samples: Sample[], scorer: Scorer): Score {
  let absolute = 0;
  let squared = 0;
  let signed = 0;
  let within = 0;
  let inPhrase = 0;
  let count = 0;
  for (const sample of samples) {
    const estimate = sample.estimates[scorer];
    if (estimate === null) continue;
    const error = estimate - sample.actual;
    count++;
    absolute += Math.abs(error);
    squared += error * error;
    signed += error;
    if (Math.abs(error) <= 60) within++;
    const phrase = announce(estimate, 'approximate');
    if (sample.actual >= phrase.minSeconds && sample.actual <= phrase.maxSeconds) inPhrase++;
  }
  const per = (value: number) => (count === 0 ? NaN : value / count);
  return {
    callers: samples.length,
    withEstimate: count,
    mae: per(absolute),
    rmse: Math.sqrt(per(squared)),
    bias: per(signed),
    within60: per(within),
    inPhrase: per(inPhrase),
    noEstimate: samples.length === 0 ? NaN : (samples.length - count) / samples.length,
  };
}

interface ScenarioResult {
  name: string;
  mode: string;
  samples: Sample[];
  abandoned: number;
  scores: Record<Scorer, Score>;
  /** Callers told "less than a minute" by the default (outcome known), and how many then waited over 2 minutes. */
  toldUnderMinute: number;
  toldUnderMinuteWaitedOver2: number;
  /** Callers whose snapshot had every eligible agent logged out, and how many of them were told no_agents. */
  afterHoursCallers: number;
  afterHoursToldNoAgents: number;
}

/** Eligible workers not in the Offline Activity, from a realtime object. */
function loggedIn(realtime: Record<string, unknown>): number {
  const perActivity = realtime['activity_statistics'] as { friendly_name: string; workers: number }[];
  return perActivity.filter((activity) => activity.friendly_name !== 'Offline').reduce((sum, activity) => sum + activity.workers, 0);
}

interface Cached {
  answers: Record<EstimatorName, number | null>;
  defaultReason: string | undefined;
  noAgents: boolean;
}

function runScenario(name: string, refreshSeconds: number, windowMinutes: number, lean: boolean): ScenarioResult {
  const scenario = loadScenario(name);
  const startMs = Date.parse('2026-03-02T08:00:00Z');
  const samples: Sample[] = [];
  const pending = new Map<number, Sample>();
  const arrivals = new Map<number, Arrival>();
  /** The last snapshot: per "queueSid channel", each estimator's answer. */
  let snapshot = new Map<string, Cached>();
  let abandoned = 0;
  let sim: Simulation;
  sim = new Simulation(scenario, {
    startMs,
    retentionMinutes: windowMinutes + 5,
    onArrival: (task) => {
      if (task.arrivedAtMs < startMs + WARM_UP_MINUTES * 60_000) return;
      const cached = snapshot.get(`${task.queueSid} ${task.channel}`);
      const estimates = { oracle: sim.oracleWaitSeconds(task.queueSid, task.channel, task.priority) } as Record<Scorer, number | null>;
      for (const estimator of ESTIMATOR_NAMES) estimates[estimator] = cached ? cached.answers[estimator] : null;
      pending.set(task.taskId, { arrivedAtMs: task.arrivedAtMs, actual: 0, estimates });
      arrivals.set(task.taskId, { estimate: estimates.default, reason: cached?.defaultReason, noAgentsAtSnapshot: cached?.noAgents ?? false, waited: null });
    },
    onResolved: (task) => {
      const arrival = arrivals.get(task.taskId);
      if (arrival) arrival.waited = task.waitSeconds;
      const sample = pending.get(task.taskId);
      if (!sample) return;
      pending.delete(task.taskId);
      if (task.outcome === 'abandoned') {
        abandoned++;
        return;
      }
      sample.actual = task.waitSeconds;
      samples.push(sample);
    },
  });
  const queues = sim.queues();
  const channels = [...new Set(scenario.queues.flatMap((queue) => Object.keys(queue.channels)))];
  const takeSnapshot = () => {
    const next = new Map<string, Cached>();
    const now = sim.now();
    for (const queue of queues) {
      for (const channel of channels) {
        // As the refresher asks: the window, the channel and the one-minute split.
        const cumulative = sim.cumulative(queue.sid, { startMs: now - windowMinutes * 60_000, endMs: now, taskChannel: channel, splitByWaitTime: [QUICK_ANSWER_SECONDS] });
        const realtime = sim.realtime(queue.sid, channel);
        const observation = lean ? observationFrom(pickLean(cumulative, 'cumulative'), pickLean(realtime, 'realtime'), windowMinutes) : observationFrom(cumulative, realtime, windowMinutes);
        const answers = {} as Record<EstimatorName, number | null>;
        for (const estimator of ESTIMATOR_NAMES) answers[estimator] = estimateWait(estimator, observation).estimatedWaitSeconds;
        next.set(`${queue.sid} ${channel}`, { answers, defaultReason: estimateWait('default', observation).reason, noAgents: (realtime['total_eligible_workers'] as number) > 0 && loggedIn(realtime) === 0 });
      }
    }
    snapshot = next;
  };
  const endMs = startMs + scenario.durationMinutes * 60_000;
  for (let t = startMs; t < endMs; t += refreshSeconds * 1000) {
    sim.advanceTo(t);
    takeSnapshot();
  }
  sim.advanceTo(endMs);
  // Callers still waiting at the end have no known wait: they are not scored.
  const scores = Object.fromEntries(SCORERS.map((scorer) => [scorer, score(samples, scorer)])) as Record<Scorer, Score>;
  const known = [...arrivals.values()].filter((arrival) => arrival.waited !== null);
  const toldUnderMinute = known.filter((arrival) => arrival.estimate !== null && arrival.estimate < 60);
  const afterHours = [...arrivals.values()].filter((arrival) => arrival.noAgentsAtSnapshot);
  return {
    name,
    mode: scenario.workspaceMode,
    samples,
    abandoned,
    scores,
    toldUnderMinute: toldUnderMinute.length,
    toldUnderMinuteWaitedOver2: toldUnderMinute.filter((arrival) => arrival.waited! > 120).length,
    afterHoursCallers: afterHours.length,
    afterHoursToldNoAgents: afterHours.filter((arrival) => arrival.estimate === null && arrival.reason === 'all_agents_logged_out').length,
  };
}

/** The lean field set: only what the spec's example of the bulk list carries. */
function pickLean(stats: Record<string, unknown>, part: keyof typeof LEAN_FIELDS): Record<string, unknown> {
  return Object.fromEntries(LEAN_FIELDS[part].filter((field) => field in stats).map((field) => [field, stats[field]]));
}

const pct = (value: number) => (Number.isNaN(value) ? '–' : `${(value * 100).toFixed(0)}%`);
const secs = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(1));

function table(results: ScenarioResult[], overall: Record<Scorer, Score>): string {
  const lines = ['| scenario | estimator | callers scored | MAE s | RMSE s | bias s | within ±60 s | inside phrase | no estimate |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  const rows = (name: string, scores: Record<Scorer, Score>) => {
    for (const scorer of SCORERS) {
      const s = scores[scorer];
      lines.push(`| ${name} | ${scorer} | ${s.withEstimate} | ${secs(s.mae)} | ${secs(s.rmse)} | ${secs(s.bias)} | ${pct(s.within60)} | ${pct(s.inPhrase)} | ${pct(s.noEstimate)} |`);
    }
  };
  for (const result of results) rows(result.name, result.scores);
  rows('**overall**', overall);
  return lines.join('\n');
}

/** Estimate against actual over time: dots for callers' waits, lines for what was announced. */
function chart(result: ScenarioResult): string {
  const width = 900;
  const height = 320;
  const pad = 48;
  const samples = result.samples;
  if (samples.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="60"><text x="10" y="30">${result.name}: no callers scored</text></svg>`;
  const t0 = samples[0]!.arrivedAtMs;
  const t1 = samples[samples.length - 1]!.arrivedAtMs;
  const max = Math.max(60, ...samples.map((s) => Math.max(s.actual, s.estimates.default ?? 0, s.estimates.original ?? 0)));
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
  const y = (v: number) => height - pad - (v / max) * (height - 2 * pad);
  const sorted = [...samples].sort((a, b) => a.arrivedAtMs - b.arrivedAtMs);
  const line = (scorer: Scorer) =>
    sorted
      .filter((s) => s.estimates[scorer] !== null)
      .map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.arrivedAtMs).toFixed(1)},${y(s.estimates[scorer]!).toFixed(1)}`)
      .join(' ');
  const dots = sorted.map((s) => `<circle cx="${x(s.arrivedAtMs).toFixed(1)}" cy="${y(s.actual).toFixed(1)}" r="1.8" fill="#d0461b" fill-opacity="0.55"/>`).join('');
  const minutes = (t1 - t0) / 60_000;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${(pad + f * (width - 2 * pad)).toFixed(0)}" y="${height - pad + 18}" font-size="11" text-anchor="middle">${Math.round(WARM_UP_MINUTES + f * minutes)} min</text>`).join('');
  const yTicks = [0, 0.5, 1].map((f) => `<text x="${pad - 6}" y="${y(f * max) + 4}" font-size="11" text-anchor="end">${Math.round(f * max)} s</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${pad}" y="20" font-size="14" font-weight="bold">${result.name}: estimate at arrival vs wait each caller had</text>
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#999"/>
${ticks}${yTicks}${dots}
<path d="${line('original')}" stroke="#8a8f98" stroke-width="1.5" fill="none"/>
<path d="${line('oracle')}" stroke="#2a9d4b" stroke-width="1.2" fill="none" stroke-dasharray="4 3"/>
<path d="${line('default')}" stroke="#2457c5" stroke-width="2" fill="none"/>
<text x="${width - pad - 330}" y="20" font-size="11"><tspan fill="#d0461b">● actual wait</tspan>  <tspan fill="#2457c5">━ default</tspan>  <tspan fill="#8a8f98">━ original</tspan>  <tspan fill="#2a9d4b">┅ oracle</tspan></text>
</svg>`;
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { 'refresh-seconds': { type: 'string' }, 'window-minutes': { type: 'string' }, scenario: { type: 'string', multiple: true }, out: { type: 'string' }, lean: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const refreshSeconds = Number(values['refresh-seconds'] ?? process.env['REFRESH_SECONDS'] ?? 30);
  const windowMinutes = Number(values['window-minutes'] ?? 15);
  if (!Number.isInteger(refreshSeconds) || refreshSeconds < 1 || !Number.isInteger(windowMinutes) || windowMinutes < 1) {
    process.stderr.write(`--refresh-seconds and --window-minutes must be positive whole numbers\n\n${USAGE}\n`);
    process.exit(2);
  }
  const names = values.scenario ?? listScenarios();
  const out = values.out ?? join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const started = Date.now();
    const result = runScenario(name, refreshSeconds, windowMinutes, values.lean === true);
    results.push(result);
    writeFileSync(join(out, `accuracy-${name}.svg`), chart(result));
    process.stderr.write(`${name}: ${result.samples.length} callers scored, ${result.abandoned} abandoned, ${Date.now() - started} ms\n`);
  }
  const all = results.flatMap((result) => result.samples);
  const overall = Object.fromEntries(SCORERS.map((scorer) => [scorer, score(all, scorer)])) as Record<Scorer, Score>;
  const markdown = table(results, overall);
  const ratio = overall.default.rmse / overall.original.rmse;
  const worst = Math.max(...results.map((result) => result.scores.default.rmse / result.scores.original.rmse).filter((value) => Number.isFinite(value)));
  const oracleRatio = overall.default.rmse / overall.oracle.rmse;
  writeFileSync(join(out, 'accuracy.md'), `Refresh every ${refreshSeconds} s, ${windowMinutes}-minute window, callers after the first ${WARM_UP_MINUTES} minutes, answered callers only.\n\n${markdown}\n`);
  process.stdout.write(`${markdown}\n\n`);
  const perScenario = results.map((result) => `${result.name} ${(result.scores.default.rmse / result.scores.original.rmse).toFixed(2)}`).join(', ');
  process.stdout.write(`default/original RMSE by scenario: ${perScenario}\n`);
  for (const result of results) {
    const share = result.toldUnderMinute === 0 ? '–' : `${((100 * result.toldUnderMinuteWaitedOver2) / result.toldUnderMinute).toFixed(1)}%`;
    process.stdout.write(`${result.name} (${result.mode}): told "less than a minute" then waited over 2 minutes: ${result.toldUnderMinuteWaitedOver2} of ${result.toldUnderMinute} (${share}); after-hours callers told no_agents: ${result.afterHoursToldNoAgents} of ${result.afterHoursCallers}\n`);
  }
  process.stdout.write(`worst scenario default/original RMSE = ${worst.toFixed(2)}; overall default/oracle RMSE = ${oracleRatio.toFixed(2)}\n`);
  process.stdout.write(`accuracy: default RMSE / original RMSE = ${ratio.toFixed(2)} (${all.length} callers)\n`);
}

main();
