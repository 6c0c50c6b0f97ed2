/**
 * Accuracy benchmark. Every scenario of the simulation, refreshed at the refresher's cadence: for every
 * simulated caller, the estimate the cache would have served at arrival (the last snapshot, so
 * estimates age as in production) against the wait that caller then had.
 *
 * - Each scenario is replicated (new seeds) until at least --min-callers answered callers are scored,
 *   and subsampled to at most --max-callers, so no scenario dominates.
 * - Every estimator is scored on the same callers: those to whom default, original and oracle all gave
 *   a number. How often each gave none is reported, never dropped silently.
 * - The default/original RMSE ratio carries a 95% confidence interval: a bootstrap over 30-minute
 *   blocks of arrivals (block resampling keeps the correlation between neighbouring callers).
 * - Tuning scenarios may be used to choose and fit (`--tune`); validation scenarios are only reported.
 *
 * `npm run bench:accuracy -- --help`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../dev/simulation/engine';
import { listScenarios, meanHandleSeconds, type Scenario, type ScenarioSet } from '../dev/simulation/scenario';
import { LEAN_FIELDS } from '../dev/taskrouter-double';
import { queuePools, workerAttributes } from '../src/taskrouter/pools';
import { advanceHistory, answerAt, DEFAULT_PARAMETERS, poolViews, windowWaitFor, type PoolView, estimateWait, QUICK_ANSWER_SECONDS, spokenWait, type WaitModel, type EstimatorParameters, type QueueHistory, type QueueObservation, type RangedEstimate } from '../src/estimator';
import { announce, DEFAULT_SPEECH_STYLE, SPEECH_STYLES, type SpeechStyle } from '../src/speech';
import { observationFrom } from '../src/taskrouter/reader';
import { percentile, rmseRatioInterval } from './bootstrap';
import { benchOptions, parametersOption, positiveIntegerOption, scenarioOption, usageError } from './cli';

const USAGE = `Usage: npm run bench:accuracy -- [options]

Scores the default estimator, the original (mean wait of accepted tasks) and the rate oracle on the
tuning and validation scenarios (dev/scenarios/tuning, dev/scenarios/validation).

Options:
  --scenario <name|path>   score only these (repeatable); a name from either set, or a .json path
  --set <set>              score only that set's scenarios, tuning or validation; --set tuning keeps
                           the validation scenarios out of sight (and out of the last line) while
                           parameters are chosen
  --lean                   feed the estimators only the fields of the spec's example of the bulk list
  --tune                   grid-search the default's parameters on the tuning scenarios and print the best
  --parameters <json>      score with these parameters instead, e.g. '{"ownWaitWeight":0.6}' (unnamed
                           ones keep their defaults)
  --refresh-seconds <s>    snapshot cadence (default 30, or REFRESH_SECONDS)
  --window-minutes <m>     statistics window (default 15)
  --min-callers <n>        replicate each scenario until this many callers are scored (default 2000)
  --max-callers <n>        subsample larger scenarios to this many (default 6000)
  --out <dir>              where accuracy.md and the charts go (default: a new temporary directory;
                           pass bench/results to update the committed results)
  --help                   this text`;

type Scorer = 'default' | 'original' | 'oracle';
const SCORERS: Scorer[] = ['default', 'original', 'oracle'];
/** Callers arriving before the statistics window has filled are not scored (no estimator has history yet). */
const WARM_UP_MINUTES = 15;
const BLOCK_MINUTES = 30;
const MAX_REPLICATIONS = 400;
export const START_MS = Date.parse('2026-03-02T08:00:00Z');

/** One simulated caller: what the cache held for their queue when they arrived, and what happened. */
export interface Caller {
  replication: number;
  arrivedAtMs: number;
  /** The observation of the snapshot the caller would have been answered from; null before the first. */
  observation: QueueObservation | null;
  /** When that snapshot's statistics were read. */
  snapshotAtMs: number;
  /** The queue's history as the refresher held it at that snapshot (this reading folded in). */
  history: QueueHistory | null;
  /** The queue's pool at that snapshot, when it shares workers with other queues. */
  pool: PoolView | null;
  /** Every eligible worker was logged out when that snapshot was taken. */
  noAgentsAtSnapshot: boolean;
  /** Someone was waiting and an agent was logged in when that snapshot was taken. */
  servableAtSnapshot: boolean;
  oracle: number | null;
  outcome: 'accepted' | 'abandoned' | 'waiting';
  waitSeconds: number;
}

interface ScenarioRun {
  name: string;
  set: ScenarioSet | 'other';
  scenario: Scenario;
  replications: number;
  /** Every caller after the warm-up, answered or not. */
  callers: Caller[];
}

/** Eligible workers not in the Offline Activity, from a realtime object. */
function loggedIn(realtime: Record<string, unknown>): number {
  const perActivity = realtime['activity_statistics'] as { friendly_name: string; workers: number }[];
  return perActivity.filter((activity) => activity.friendly_name !== 'Offline').reduce((sum, activity) => sum + activity.workers, 0);
}

/** The lean field set: only what the spec's example of the bulk list carries. */
function pickLean(stats: Record<string, unknown>, part: keyof typeof LEAN_FIELDS): Record<string, unknown> {
  return Object.fromEntries(LEAN_FIELDS[part].filter((field) => field in stats).map((field) => [field, stats[field]]));
}

export interface Settings {
  refreshSeconds: number;
  windowMinutes: number;
  lean: boolean;
  minCallers: number;
  maxCallers: number;
}

/**
 * One replication: the scenario with its own seed, snapshots every refreshSeconds as the refresher
 * takes them. `recordEvents` keeps the simulation's TaskRouter Events (the backtest's round trip).
 */
export function replicate(scenario: Scenario, replication: number, settings: Settings, recordEvents = false): { callers: Caller[]; simulation: Simulation } {
  const seeded = { ...scenario, seed: (scenario.seed + 7919 * replication) >>> 0 };
  const { refreshSeconds, windowMinutes, lean } = settings;
  type Cached = Pick<Caller, 'observation' | 'snapshotAtMs' | 'history' | 'pool' | 'noAgentsAtSnapshot' | 'servableAtSnapshot'>;
  let snapshot = new Map<string, Cached>();
  const waiting = new Map<number, Caller>();
  const callers: Caller[] = [];
  const sim: Simulation = new Simulation(seeded, {
    startMs: START_MS,
    retentionMinutes: windowMinutes + 5,
    recordEvents,
    onArrival: (task) => {
      if (task.arrivedAtMs < START_MS + WARM_UP_MINUTES * 60_000) return;
      const cached = snapshot.get(`${task.queueSid} ${task.channel}`);
      const caller: Caller = {
        replication,
        arrivedAtMs: task.arrivedAtMs,
        observation: cached?.observation ?? null,
        snapshotAtMs: cached?.snapshotAtMs ?? task.arrivedAtMs,
        history: cached?.history ?? null,
        pool: cached?.pool ?? null,
        noAgentsAtSnapshot: cached?.noAgentsAtSnapshot ?? false,
        servableAtSnapshot: cached?.servableAtSnapshot ?? false,
        oracle: sim.oracleWaitSeconds(task.queueSid, task.channel, task.priority),
        outcome: 'waiting',
        waitSeconds: 0,
      };
      waiting.set(task.taskId, caller);
      callers.push(caller);
    },
    onResolved: (task) => {
      const caller = waiting.get(task.taskId);
      if (!caller) return;
      waiting.delete(task.taskId);
      caller.outcome = task.outcome;
      caller.waitSeconds = task.waitSeconds;
    },
  });
  const queues = sim.queues();
  // As the refresher learns them: target_workers matched against the Workers' attributes.
  const { poolOf } = queuePools(queues, sim.listWorkers().map((worker) => ({ attributes: workerAttributes(worker.attributes) })));
  const channels = [...new Set(scenario.queues.flatMap((queue) => Object.keys(queue.channels)))];
  const endMs = START_MS + scenario.durationMinutes * 60_000;
  for (let t = START_MS; t < endMs; t += refreshSeconds * 1000) {
    sim.advanceTo(t);
    const next = new Map<string, Cached>();
    for (const queue of queues) {
      for (const channel of channels) {
        // As the refresher asks: the window, the channel and the one-minute split.
        const cumulative = sim.cumulative(queue.sid, { startMs: t - windowMinutes * 60_000, endMs: t, taskChannel: channel, splitByWaitTime: [QUICK_ANSWER_SECONDS] });
        const realtime = sim.realtime(queue.sid, channel);
        const options = { loggedOutActivities: ['Offline'], multitasking: sim.multiTaskEnabled };
        const observation = lean ? observationFrom(pickLean(cumulative, 'cumulative'), pickLean(realtime, 'realtime'), windowMinutes, options) : observationFrom(cumulative, realtime, windowMinutes, options);
        const agents = loggedIn(realtime);
        const key = `${queue.sid} ${channel}`;
        // As a looping refresher keeps it: the previous history advanced by this reading.
        const history = advanceHistory(snapshot.get(key)?.history ?? null, observation, refreshSeconds, t);
        next.set(key, { observation, snapshotAtMs: t, history, pool: null, noAgentsAtSnapshot: (realtime['total_eligible_workers'] as number) > 0 && agents === 0, servableAtSnapshot: agents > 0 && (observation.tasksWaiting ?? 0) > 0 });
      }
    }
    for (const channel of channels) {
      const members = queues.map((queue) => ({ queueSid: queue.sid, ...next.get(`${queue.sid} ${channel}`)! }));
      for (const [queueSid, view] of poolViews(members.map((member) => ({ ...member, observation: member.observation! })), poolOf)) next.get(`${queueSid} ${channel}`)!.pool = view;
    }
    snapshot = next;
  }
  sim.advanceTo(endMs);
  return { callers, simulation: sim };
}

/** Replicates until enough answered callers have an estimate from all three scorers. */
function runScenario(name: string, scenario: Scenario, settings: Settings): ScenarioRun {
  const set: ScenarioRun['set'] = listScenarios('tuning').includes(name) ? 'tuning' : listScenarios('validation').includes(name) ? 'validation' : 'other';
  const callers: Caller[] = [];
  let replications = 0;
  let scored = 0;
  while (scored < settings.minCallers && replications < MAX_REPLICATIONS) {
    const { callers: more } = replicate(scenario, replications++, settings);
    callers.push(...more);
    scored += more.filter((caller) => caller.outcome === 'accepted' && estimatesOf(caller, DEFAULT_PARAMETERS).every((estimate) => estimate !== null)).length;
  }
  return { name: scenario.name, set, scenario, replications, callers };
}

/** The default's estimate and range as a caller heard them, and the model they come from. */
type DefaultAnswer = RangedEstimate & { model: WaitModel | null };

/**
 * The default's answer to one caller: its estimate, range and model from the snapshot's reading and
 * history, aged by the time between that snapshot and the caller's arrival as get-queue-times ages it.
 */
export function defaultFor(caller: Caller, parameters: EstimatorParameters): DefaultAnswer | null {
  if (!caller.observation) return null;
  const estimate = estimateWait('default', caller.observation, caller.history, parameters, caller.pool);
  const answer = answerAt({ ...estimate, windowWaitSeconds: windowWaitFor('default', estimate.estimatedWaitSeconds, caller.observation) }, (caller.arrivedAtMs - caller.snapshotAtMs) / 1000);
  if (answer === null) return { ...estimate, model: null };
  return { ...estimate, estimatedWaitSeconds: answer.seconds, waitRange: answer.range, model: answer.model };
}

/** default, original and oracle for one caller (in SCORERS order). */
function estimatesOf(caller: Caller, parameters: EstimatorParameters, ours: RangedEstimate | null = defaultFor(caller, parameters)): [number | null, number | null, number | null] {
  const o = caller.observation;
  return [ours?.estimatedWaitSeconds ?? null, o ? estimateWait('original', o).estimatedWaitSeconds : null, caller.oracle];
}

/** What the default tells a caller in `style`: the phrase chosen from its model. */
function defaultPhrase(estimate: DefaultAnswer, style: SpeechStyle) {
  return spokenWait(estimate.model!, style);
}

interface Score {
  scored: number;
  mae: number;
  rmse: number;
  bias: number;
  /** The approximate phrase of the rounded estimate came true (the same kind of promise for every estimator). */
  inPhrase: number;
  /** Share of answered callers this scorer gave no number. */
  noEstimate: number;
}

interface ScenarioScore {
  run: ScenarioRun;
  answered: number;
  meanWait: number;
  scores: Record<Scorer, Score>;
  ratio: { value: number; low: number; high: number };
  oracleRatio: number;
  /** The default's phrase, chosen from its model, came true: per speech style. */
  phraseTrue: Record<SpeechStyle, number>;
  coverage: number;
  /** Coverage among the callers given a wait (a reading with an estimate above 0: not a free slot, however aged), and their share of the callers scored. */
  coverageWhenWaiting: number;
  shareWaiting: number;
  medianWidth: number;
  /** M/M/s only: the expected RMSE of the best possible estimate (the conditional mean given the queue), from theory. */
  optimalRmse: number | null;
  toldUnderMinute: number;
  toldUnderMinuteWaitedOver2: number;
  afterHoursCallers: number;
  afterHoursToldNoAgents: number;
  servableCallers: number;
  servableWithoutNumber: number;
}

/** M/M/s (one queue, exponential handle, no wrap-up, accept delay or abandonment, fixed staff): servers × rate, or null. */
function mmsServiceRate(scenario: Scenario): number | null {
  const [queue] = scenario.queues;
  const [group] = scenario.workers;
  if (scenario.queues.length !== 1 || scenario.workers.length !== 1 || !queue || !group) return null;
  if (queue.handleSeconds.distribution !== 'exponential' || queue.patienceSeconds !== null || queue.wrapUpSeconds !== 0 || scenario.acceptSeconds !== 0) return null;
  if (group.staffing.length !== 1 || group.breaks.length > 0) return null;
  return group.staffing[0]![1] / meanHandleSeconds(queue.handleSeconds);
}

/** The answered callers scored (subsampled to --max-callers), each with the default's answer. */
function scoredCallers(run: ScenarioRun, parameters: EstimatorParameters, settings: Settings) {
  let answered = run.callers.filter((caller) => caller.outcome === 'accepted');
  if (answered.length > settings.maxCallers) {
    const step = answered.length / settings.maxCallers;
    answered = Array.from({ length: settings.maxCallers }, (_, index) => answered[Math.floor(index * step)]!);
  }
  return answered.map((caller) => {
    const ours = defaultFor(caller, parameters);
    return { caller, ours, estimates: estimatesOf(caller, parameters, ours) };
  });
}

/** RMSE ratio and coverage only: what --tune searches on. */
function quickScore(run: ScenarioRun, parameters: EstimatorParameters, settings: Settings): { ratio: number; coverage: number; bias: number; meanWait: number } {
  let ours = 0;
  let theirs = 0;
  let signed = 0;
  let waited = 0;
  let covered = 0;
  let n = 0;
  for (const { caller, ours: estimate, estimates } of scoredCallers(run, parameters, settings)) {
    if (estimates.some((value) => value === null)) continue;
    n++;
    ours += (estimates[0]! - caller.waitSeconds) ** 2;
    theirs += (estimates[1]! - caller.waitSeconds) ** 2;
    signed += estimates[0]! - caller.waitSeconds;
    waited += caller.waitSeconds;
    const range = estimate!.waitRange!;
    if (caller.waitSeconds >= range.low && caller.waitSeconds <= range.high) covered++;
  }
  return { ratio: Math.sqrt(ours / theirs), coverage: covered / n, bias: signed / n, meanWait: waited / n };
}

function scoreScenario(run: ScenarioRun, parameters: EstimatorParameters, settings: Settings): ScenarioScore {
  const rows = scoredCallers(run, parameters, settings);
  const common = rows.filter((row) => row.estimates.every((estimate) => estimate !== null)) as { caller: Caller; ours: DefaultAnswer; estimates: [number, number, number] }[];
  const scores = {} as Record<Scorer, Score>;
  SCORERS.forEach((scorer, index) => {
    let absolute = 0;
    let squared = 0;
    let signed = 0;
    let inPhrase = 0;
    for (const { caller, estimates } of common) {
      const error = estimates[index]! - caller.waitSeconds;
      absolute += Math.abs(error);
      squared += error * error;
      signed += error;
      const phrase = announce(estimates[index]!, 'approximate');
      if (caller.waitSeconds >= phrase.minSeconds && caller.waitSeconds <= phrase.maxSeconds) inPhrase++;
    }
    const n = common.length;
    scores[scorer] = { scored: n, mae: absolute / n, rmse: Math.sqrt(squared / n), bias: signed / n, inPhrase: inPhrase / n, noEstimate: rows.filter((row) => row.estimates[index] === null).length / Math.max(1, rows.length) };
  });
  const phraseTrue = {} as Record<SpeechStyle, number>;
  for (const style of SPEECH_STYLES) {
    const kept = common.filter(({ caller, ours }) => {
      const spoken = defaultPhrase(ours, style);
      return caller.waitSeconds >= spoken.minSeconds && caller.waitSeconds <= spoken.maxSeconds;
    }).length;
    phraseTrue[style] = kept / common.length;
  }

  // Block bootstrap of the default/original RMSE ratio.
  const blocks = new Map<string, [number, number]>();
  for (const { caller, estimates } of common) {
    const key = `${caller.replication}:${Math.floor((caller.arrivedAtMs - START_MS) / (BLOCK_MINUTES * 60_000))}`;
    const sums = blocks.get(key) ?? [0, 0];
    sums[0] += (estimates[0] - caller.waitSeconds) ** 2;
    sums[1] += (estimates[1] - caller.waitSeconds) ** 2;
    blocks.set(key, sums);
  }
  const interval = rmseRatioInterval([...blocks.values()], 2026);

  // The default's range on the same callers.
  let covered = 0;
  let waitGiven = 0;
  let waitGivenCovered = 0;
  const widths: number[] = [];
  for (const { caller, ours } of common) {
    const range = ours.waitRange!;
    const inside = caller.waitSeconds >= range.low && caller.waitSeconds <= range.high;
    if (inside) covered++;
    if (ours.model!.meanSeconds > 0) {
      waitGiven++;
      if (inside) waitGivenCovered++;
    }
    widths.push(range.high - range.low);
  }
  widths.sort((a, b) => a - b);

  const serviceRate = mmsServiceRate(run.scenario);
  const optimalRmse = serviceRate === null ? null : Math.sqrt(common.reduce((sum, { estimates }) => sum + estimates[2] / serviceRate, 0) / common.length);

  // The promises, over every caller (answered or abandoned), not subsampled: "less than a minute" as
  // the default style says it, and "no agents".
  const resolved = run.callers.filter((caller) => caller.outcome !== 'waiting');
  const told = resolved.filter((caller) => {
    const estimate = defaultFor(caller, parameters);
    return estimate !== null && estimate.estimatedWaitSeconds !== null && defaultPhrase(estimate, DEFAULT_SPEECH_STYLE).minutes === 0;
  });
  const afterHours = run.callers.filter((caller) => caller.noAgentsAtSnapshot);
  const servable = run.callers.filter((caller) => caller.servableAtSnapshot);
  return {
    run,
    answered: rows.length,
    meanWait: common.reduce((sum, { caller }) => sum + caller.waitSeconds, 0) / common.length,
    scores,
    ratio: { value: scores.default.rmse / scores.original.rmse, ...interval },
    oracleRatio: scores.default.rmse / scores.oracle.rmse,
    phraseTrue,
    coverage: covered / common.length,
    coverageWhenWaiting: waitGivenCovered / waitGiven,
    shareWaiting: waitGiven / common.length,
    medianWidth: percentile(widths, 0.5),
    optimalRmse,
    toldUnderMinute: told.length,
    toldUnderMinuteWaitedOver2: told.filter((caller) => caller.waitSeconds > 120).length,
    afterHoursCallers: afterHours.length,
    afterHoursToldNoAgents: afterHours.filter((caller) => {
      const estimate = defaultFor(caller, parameters)!;
      return estimate.estimatedWaitSeconds === null && estimate.reason === 'all_agents_logged_out';
    }).length,
    servableCallers: servable.length,
    servableWithoutNumber: servable.filter((caller) => defaultFor(caller, parameters)!.estimatedWaitSeconds === null).length,
  };
}

const pct = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '–');
const secs = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const geometricMean = (values: number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);

/** The goals on every validation scenario; what is missed, with by how much. */
function goals(score: ScenarioScore): string {
  const misses: string[] = [];
  const { default: ours, original, oracle } = score.scores;
  if (!(score.oracleRatio <= 1.2)) misses.push(`RMSE ${score.oracleRatio.toFixed(2)}× oracle (goal ≤ 1.2×)`);
  if (!(score.ratio.value < 1)) misses.push(`RMSE ${score.ratio.value.toFixed(2)}× original (goal < 1×)`);
  if (oracle.rmse <= 0.5 * original.rmse && !(score.ratio.value <= 0.6)) misses.push(`RMSE ${score.ratio.value.toFixed(2)}× original where the oracle is ${(oracle.rmse / original.rmse).toFixed(2)}× (goal ≤ 0.6×)`);
  if (!(ours.mae <= original.mae)) misses.push(`MAE ${secs(ours.mae)} s > original's ${secs(original.mae)} s`);
  const biasLimit = Math.max(10, 0.1 * score.meanWait);
  if (!(Math.abs(ours.bias) <= biasLimit)) misses.push(`bias ${secs(ours.bias)} s beyond ±${secs(biasLimit)} s`);
  if (!(score.phraseTrue[DEFAULT_SPEECH_STYLE] >= original.inPhrase)) misses.push(`phrase true ${pct(score.phraseTrue[DEFAULT_SPEECH_STYLE])} < original's ${pct(original.inPhrase)}`);
  if (!(score.coverage >= 0.75 && score.coverage <= 0.85)) misses.push(`coverage ${pct(score.coverage)} outside 75–85%`);
  if (score.toldUnderMinute > 0 && !(score.toldUnderMinuteWaitedOver2 <= 0.02 * score.toldUnderMinute)) misses.push(`"less than a minute" broken for ${((100 * score.toldUnderMinuteWaitedOver2) / score.toldUnderMinute).toFixed(1)}% (goal ≤ 2%)`);
  if (score.afterHoursToldNoAgents < score.afterHoursCallers) misses.push(`no_agents for ${score.afterHoursToldNoAgents} of ${score.afterHoursCallers}`);
  return misses.length === 0 ? 'all met' : misses.join('; ');
}

function tables(title: string, scored: ScenarioScore[]): string {
  const lines = [`### ${title}`, '', '| scenario | estimator | callers scored | MAE s | RMSE s | bias s | inside phrase | no estimate |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const score of scored) {
    for (const scorer of SCORERS) {
      const s = score.scores[scorer];
      lines.push(`| ${score.run.name} | ${scorer} | ${s.scored} | ${secs(s.mae)} | ${secs(s.rmse)} | ${secs(s.bias)} | ${pct(s.inPhrase)} | ${pct(s.noEstimate)} |`);
    }
  }
  lines.push('', '| scenario | replications | answered callers | default/original RMSE (95% CI) | default/oracle RMSE | optimal RMSE s | range coverage | range coverage when a wait was given (share of callers) | median range width s | goals |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const score of scored) {
    lines.push(`| ${score.run.name} | ${score.run.replications} | ${score.answered} | ${score.ratio.value.toFixed(2)} (${score.ratio.low.toFixed(2)}–${score.ratio.high.toFixed(2)}) | ${score.oracleRatio.toFixed(2)} | ${score.optimalRmse === null ? '–' : score.optimalRmse.toFixed(1)} | ${pct(score.coverage)} | ${pct(score.coverageWhenWaiting)} (${pct(score.shareWaiting)}) | ${score.medianWidth.toFixed(0)} | ${goals(score)} |`);
  }
  lines.push('', `| scenario | mean wait s | default phrase true: ${SPEECH_STYLES.join(' | ')} | original inside phrase |`, `| --- | --- | ${SPEECH_STYLES.map(() => '---').join(' | ')} | --- |`);
  for (const score of scored) {
    lines.push(`| ${score.run.name} | ${secs(score.meanWait)} | ${SPEECH_STYLES.map((style) => pct(score.phraseTrue[style])).join(' | ')} | ${pct(score.scores.original.inPhrase)} |`);
  }
  lines.push('', '| scenario | workspace | told "less than a minute" | of them waited over 2 min | callers while every agent logged out | told no_agents | callers while someone waited and agents were in | given no number |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const score of scored) {
    lines.push(`| ${score.run.name} | ${score.run.scenario.workspaceMode} | ${score.toldUnderMinute} | ${score.toldUnderMinuteWaitedOver2} (${score.toldUnderMinute === 0 ? '–' : `${((100 * score.toldUnderMinuteWaitedOver2) / score.toldUnderMinute).toFixed(1)}%`}) | ${score.afterHoursCallers} | ${score.afterHoursToldNoAgents} | ${score.servableCallers} | ${score.servableWithoutNumber} |`);
  }
  return lines.join('\n');
}

/** Estimate against actual over time (first replication, 5-minute bins): small enough to keep in git. */
function chart(score: ScenarioScore, parameters: EstimatorParameters): string {
  const width = 900;
  const height = 320;
  const pad = 48;
  const binMs = 5 * 60_000;
  const bins = new Map<number, { actual: number[]; estimate: number[]; original: number[]; low: number[]; high: number[] }>();
  for (const caller of score.run.callers) {
    if (caller.replication !== 0 || caller.outcome !== 'accepted' || !caller.observation) continue;
    const ours = defaultFor(caller, parameters)!;
    const theirs = estimateWait('original', caller.observation).estimatedWaitSeconds;
    const bin = Math.floor((caller.arrivedAtMs - START_MS) / binMs);
    const entry = bins.get(bin) ?? { actual: [], estimate: [], original: [], low: [], high: [] };
    entry.actual.push(caller.waitSeconds);
    if (ours.estimatedWaitSeconds !== null) entry.estimate.push(ours.estimatedWaitSeconds);
    if (theirs !== null) entry.original.push(theirs);
    if (ours.waitRange) {
      entry.low.push(ours.waitRange.low);
      entry.high.push(ours.waitRange.high);
    }
    bins.set(bin, entry);
  }
  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length);
  const points = [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([bin, entry]) => ({ minute: (bin + 0.5) * 5, actual: mean(entry.actual)!, estimate: mean(entry.estimate), original: mean(entry.original), low: mean(entry.low), high: mean(entry.high) }));
  if (points.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="60"><text x="10" y="30">${score.run.name}: no callers scored</text></svg>`;
  const minutes = score.run.scenario.durationMinutes;
  const max = Math.max(60, ...points.flatMap((p) => [p.actual, p.estimate ?? 0, p.original ?? 0, p.high ?? 0]));
  const x = (minute: number) => pad + (minute / minutes) * (width - 2 * pad);
  const y = (value: number) => height - pad - (value / max) * (height - 2 * pad);
  const path = (pick: (p: (typeof points)[number]) => number | null) =>
    points
      .filter((p) => pick(p) !== null)
      .map((p, index) => `${index === 0 ? 'M' : 'L'}${x(p.minute).toFixed(1)},${y(pick(p)!).toFixed(1)}`)
      .join(' ');
  const banded = points.filter((p) => p.low !== null && p.high !== null);
  const band = banded.length === 0 ? '' : `<path d="${banded.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.minute).toFixed(1)},${y(p.high!).toFixed(1)}`).join(' ')} ${[...banded].reverse().map((p) => `L${x(p.minute).toFixed(1)},${y(p.low!).toFixed(1)}`).join(' ')} Z" fill="#2457c5" fill-opacity="0.12" stroke="none"/>`;
  const dots = points.map((p) => `<circle cx="${x(p.minute).toFixed(1)}" cy="${y(p.actual).toFixed(1)}" r="2.5" fill="#d0461b"/>`).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${(pad + f * (width - 2 * pad)).toFixed(0)}" y="${height - pad + 18}" font-size="11" text-anchor="middle">${Math.round(f * minutes)} min</text>`).join('');
  const yTicks = [0, 0.5, 1].map((f) => `<text x="${pad - 6}" y="${y(f * max) + 4}" font-size="11" text-anchor="end">${Math.round(f * max)} s</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${pad}" y="20" font-size="14" font-weight="bold">${score.run.name}: 5-minute means of the estimate at arrival and the wait callers had</text>
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#999"/>
${ticks}${yTicks}${band}${dots}
<path d="${path((p) => p.original)}" stroke="#8a8f98" stroke-width="1.5" fill="none"/>
<path d="${path((p) => p.estimate)}" stroke="#2457c5" stroke-width="2" fill="none"/>
<text x="${width - pad - 380}" y="38" font-size="11"><tspan fill="#d0461b">● actual wait</tspan>  <tspan fill="#2457c5">━ default (band: predicted range)</tspan>  <tspan fill="#8a8f98">━ original</tspan></text>
</svg>`;
}

/**
 * Chooses the default's parameters on the tuning scenarios only: the estimate's three (head-of-line
 * weight, own-wait weight, drain evidence) by the geometric mean of default/original RMSE over a grid,
 * then the rate evidence by the same measure, then the model variance whose range coverage is closest
 * to 80% on average.
 */
function tune(runs: ScenarioRun[], settings: Settings): EstimatorParameters {
  const tuning = runs.filter((run) => run.set === 'tuning');
  const geometricOn = (parameters: EstimatorParameters) => geometricMean(tuning.map((run) => quickScore(run, parameters, settings).ratio));
  let best = { parameters: DEFAULT_PARAMETERS, geometric: Infinity };
  for (const headOfLineWeight of [0, 0.2, 0.4, 0.5, 0.6, 0.8, 1]) {
    for (const ownWaitWeight of [0, 0.25, 0.5, 0.6, 0.75]) {
      for (const drainEvidence of [0, 5, 20, 1e9]) {
        const parameters = { ...DEFAULT_PARAMETERS, headOfLineWeight, ownWaitWeight, drainEvidence };
        const geometric = geometricOn(parameters);
        process.stdout.write(`tune: headOfLineWeight ${headOfLineWeight}, ownWaitWeight ${ownWaitWeight}, drainEvidence ${drainEvidence}: geometric mean default/original RMSE on tuning = ${geometric.toFixed(3)}\n`);
        if (geometric < best.geometric) best = { parameters, geometric };
      }
    }
  }
  // Then how far a rate from few acceptances gives way to the window's mean wait, by the same measure.
  for (const rateEvidence of [0, 0.5, 1, 2, 3, 10]) {
    const parameters = { ...best.parameters, rateEvidence };
    const geometric = geometricOn(parameters);
    process.stdout.write(`tune: rateEvidence ${rateEvidence}: geometric mean default/original RMSE on tuning = ${geometric.toFixed(3)}\n`);
    if (geometric < best.geometric) best = { parameters, geometric };
  }
  let chosen = best.parameters;
  let closest = Infinity;
  for (const rangeModelVariance of [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5]) {
    const parameters = { ...best.parameters, rangeModelVariance };
    const coverages = tuning.map((run) => quickScore(run, parameters, settings).coverage);
    const mean = coverages.reduce((sum, value) => sum + value, 0) / coverages.length;
    process.stdout.write(`tune: rangeModelVariance ${rangeModelVariance}: mean range coverage on tuning = ${pct(mean)} (${pct(Math.min(...coverages))}–${pct(Math.max(...coverages))})\n`);
    if (Math.abs(mean - 0.8) < closest) {
      closest = Math.abs(mean - 0.8);
      chosen = parameters;
    }
  }
  process.stdout.write(`tune: best on tuning scenarios: ${JSON.stringify(chosen)} (DEFAULT_PARAMETERS in src/estimator/wait.ts is ${JSON.stringify(DEFAULT_PARAMETERS)})\n`);
  return chosen;
}

function main(): void {
  const values = benchOptions({
    'refresh-seconds': { type: 'string' },
    'window-minutes': { type: 'string' },
    'min-callers': { type: 'string' },
    'max-callers': { type: 'string' },
    scenario: { type: 'string', multiple: true },
    set: { type: 'string' },
    out: { type: 'string' },
    lean: { type: 'boolean', default: false },
    tune: { type: 'boolean', default: false },
    parameters: { type: 'string' },
  }, USAGE);
  if (!values) return;
  if (values.tune && values.parameters !== undefined) usageError('--tune and --parameters are two ways to choose the parameters: give one', USAGE);
  if (values.set !== undefined && values.set !== 'tuning' && values.set !== 'validation') usageError(`--set must be tuning or validation, not '${values.set}'`, USAGE);
  if (values.set !== undefined && values.scenario !== undefined) usageError('--set and --scenario are two ways to choose the scenarios: give one', USAGE);
  const given = parametersOption(values.parameters, USAGE);
  const settings: Settings = {
    refreshSeconds: positiveIntegerOption(values['refresh-seconds'] ?? process.env['REFRESH_SECONDS'], 30, '--refresh-seconds', USAGE),
    windowMinutes: positiveIntegerOption(values['window-minutes'], 15, '--window-minutes', USAGE),
    minCallers: positiveIntegerOption(values['min-callers'], 2000, '--min-callers', USAGE),
    maxCallers: positiveIntegerOption(values['max-callers'], 6000, '--max-callers', USAGE),
    lean: values.lean === true,
  };
  const sets: ScenarioSet[] = values.set === 'tuning' || values.set === 'validation' ? [values.set] : ['tuning', 'validation'];
  const names = values.scenario ?? sets.flatMap((set) => listScenarios(set));
  const tuningNames = listScenarios('tuning');
  if (values.tune && !names.some((name) => tuningNames.includes(name))) usageError('--tune needs the tuning scenarios: leave out --scenario and --set, give --set tuning, or name tuning ones', USAGE);
  // Every scenario read before any is simulated: a misspelt one is refused at once, not after the others ran.
  const chosen = names.map((name) => ({ name, scenario: scenarioOption(name, USAGE) }));
  const runs: ScenarioRun[] = [];
  for (const { name, scenario } of chosen) {
    const started = Date.now();
    const run = runScenario(name, scenario, settings);
    runs.push(run);
    process.stderr.write(`${run.name} (${run.set}): ${run.replications} replication(s), ${run.callers.length} callers, ${Date.now() - started} ms\n`);
  }
  const parameters = values.tune ? tune(runs, settings) : given;
  const scores = runs.map((run) => scoreScenario(run, parameters, settings));
  const validation = scores.filter((score) => score.run.set === 'validation');
  const tuning = scores.filter((score) => score.run.set === 'tuning');
  const other = scores.filter((score) => score.run.set === 'other');
  const out = values.out ?? mkdtempSync(join(tmpdir(), 'accuracy-'));
  mkdirSync(out, { recursive: true });
  // Charts of the full field set only: the lean ones differ little and would double the files.
  if (!settings.lean) for (const score of scores) writeFileSync(join(out, `accuracy-${score.run.name}.svg`), chart(score, parameters));

  const summary = (set: ScenarioScore[]) => {
    const callers = set.reduce((sum, score) => sum + score.scores.default.scored, 0);
    const pooled = (scorer: Scorer) => Math.sqrt(set.reduce((sum, score) => sum + score.scores[scorer].rmse ** 2 * score.scores[scorer].scored, 0) / callers);
    return {
      callers,
      worstRatio: Math.max(...set.map((score) => score.ratio.value)),
      worstOracleRatio: Math.max(...set.map((score) => score.oracleRatio)),
      geometricRatio: geometricMean(set.map((score) => score.ratio.value)),
      geometricOracleRatio: geometricMean(set.map((score) => score.oracleRatio)),
      coverageLow: Math.min(...set.map((score) => score.coverage)),
      coverageHigh: Math.max(...set.map((score) => score.coverage)),
      pooledRatio: pooled('default') / pooled('original'),
    };
  };
  const lines = [
    `Written by \`npm run bench:accuracy${settings.lean ? ' -- --lean' : ''}\`. Refresh every ${settings.refreshSeconds} s, ${settings.windowMinutes}-minute window${settings.lean ? ', lean field set (only the fields of the spec example of the bulk list)' : ''}; callers after the first ${WARM_UP_MINUTES} minutes; each scenario replicated until at least ${settings.minCallers} answered callers are scored, subsampled to at most ${settings.maxCallers}.`,
    '',
    `Estimators: \`default\` (src/estimator.ts, parameters ${JSON.stringify(parameters)}, ${values.parameters === undefined ? 'fit on the tuning scenarios' : `given with --parameters; its defaults are ${JSON.stringify(DEFAULT_PARAMETERS)}`}), \`original\` (the mean in-queue wait of tasks accepted in the window, as the original project and Twilio's samples), \`oracle\` (the queue-length formula fed the simulation's true service and abandonment rates and true queue: a reference, not a bound; it can lose). Every estimator is scored on the same callers: those answered and given a number by all three; "no estimate" is the share of answered callers an estimator gave none. "optimal RMSE" is the error of the best possible estimate, known in closed form for M/M/s only. "inside phrase": the wait fell inside what the approximate phrase promised.`,
    '',
  ];
  for (const [title, set] of [['Validation scenarios (reported, never used to choose or fit)', validation], ['Tuning scenarios (the default was chosen and fit on these)', tuning], ['Other scenarios', other]] as const) {
    if (set.length === 0) continue;
    lines.push(tables(title, set), '');
    const s = summary(set);
    lines.push(`Over these ${set.length} scenarios: worst default/original RMSE ${s.worstRatio.toFixed(2)}, geometric mean ${s.geometricRatio.toFixed(2)}; worst default/oracle RMSE ${s.worstOracleRatio.toFixed(2)}, geometric mean ${s.geometricOracleRatio.toFixed(2)}; range coverage ${pct(s.coverageLow)}–${pct(s.coverageHigh)}; pooled over all ${s.callers} callers (pooled, so larger scenarios weigh more): default/original RMSE ${s.pooledRatio.toFixed(2)}.`, '');
  }
  const markdown = lines.join('\n');
  const file = join(out, settings.lean ? 'accuracy-lean.md' : 'accuracy.md');
  writeFileSync(file, markdown);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(`wrote ${file}${settings.lean ? '' : ` and ${scores.length} charts`} into ${out}\n`);
  const headline = validation.length > 0 ? validation : scores;
  const s = summary(headline);
  const range = (values: number[]) => `${Math.round(100 * Math.min(...values))}–${Math.round(100 * Math.max(...values))}%`;
  const phraseRange = range(headline.map((score) => score.phraseTrue[DEFAULT_SPEECH_STYLE]));
  const originalPhraseRange = range(headline.map((score) => score.scores.original.inPhrase));
  process.stdout.write(`accuracy: worst default/original RMSE = ${s.worstRatio.toFixed(2)}, worst default/oracle RMSE = ${s.worstOracleRatio.toFixed(2)}, phrase true ${phraseRange} (original ${originalPhraseRange}), range coverage ${range(headline.map((score) => score.coverage))} (${headline.length} ${validation.length > 0 ? 'validation ' : ''}scenarios, ${s.callers} callers)\n`);
}

// Run as a command; imported (the backtest's round-trip test), it only lends its replication.
if (require.main === module) main();
