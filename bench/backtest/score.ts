/**
 * Scores what callers heard against what they waited, per queue and over all callers. Pure: the tests
 * check each figure on callers made by hand.
 *
 * - Scored: answered callers to whom both the default and the original gave a number. Abandoned
 *   callers stay out of RMSE, MAE and bias; they count in "less than a minute" broken, since they heard it.
 * - Phrases in the `approximate` style: the default's phrase chosen from its model, every estimator's
 *   rounded estimate.
 * - The default/original RMSE ratio carries a 95% interval from a bootstrap over whole days.
 */
import { ESTIMATOR_NAMES, PROMISE_LIMIT_SECONDS, spokenWait, type EstimatorName } from '../../src/estimator';
import { announce } from '../../src/speech';
import { rmseRatioInterval } from '../bootstrap';
import { FOUND, type HeardCaller } from './heard';

export interface EstimatorScore {
  mae: number;
  rmse: number;
  bias: number;
  /** Share of scored callers whose wait fell inside the phrase (the default's chosen phrase; the others' rounded estimate). */
  phraseTrue: number;
  /** Of the scored callers whose phrase was wrong, the share who waited longer than it said. */
  wrongAndLonger: number;
  /** Callers (answered or abandoned, given a number by default and original) told "less than a minute". */
  toldUnderMinute: number;
  /** Of those, the share who waited over PROMISE_LIMIT_SECONDS (abandoned callers who hung up after it included); 0 when nobody was told it. */
  underMinuteBroken: number;
  /** Of the scored callers who waited under 60 s, the share told "less than a minute". */
  underMinuteWhenQuick: number;
  /** Share of answered callers this estimator gave no number. */
  noNumber: number;
}

export interface GroupScore {
  /** A queue's name, or "all". */
  group: string;
  /** Answered callers scored. */
  scored: number;
  /** Answered callers after the warm-up, scored or not. */
  answered: number;
  /** Abandoned callers after the warm-up (out of RMSE, MAE and bias). */
  abandoned: number;
  meanWait: number;
  /** Share of scored callers who waited 0 s (answered at once). */
  answeredAtOnce: number;
  estimators: Record<EstimatorName, EstimatorScore>;
  /** default/original RMSE with its 95% day-bootstrap interval. */
  ratio: { value: number; low: number; high: number };
  /** Share of scored callers whose wait fell inside the default's range. */
  coverage: number;
}

/** What one estimator told one caller in the approximate style: the phrase's bounds, and whether it was "less than a minute". */
type Told = { minSeconds: number; maxSeconds: number; underMinute: boolean } | null;

/** Each caller's phrases, computed once: a caller is scored in its queue's group and in everyone's. */
const toldOnce = new WeakMap<HeardCaller, Map<EstimatorName, Told>>();

function told(caller: HeardCaller, name: EstimatorName): Told {
  let phrases = toldOnce.get(caller);
  if (!phrases) toldOnce.set(caller, (phrases = new Map()));
  if (!phrases.has(name)) phrases.set(name, phraseOf(caller, name));
  return phrases.get(name)!;
}

function phraseOf(caller: HeardCaller, name: EstimatorName): Told {
  const seconds = caller.estimates[name];
  if (seconds === null) return null;
  if (name === 'default') {
    const spoken = spokenWait(caller.model ?? { meanSeconds: seconds, shape: caller.shape ?? 1 }, 'approximate');
    return { minSeconds: spoken.minSeconds, maxSeconds: spoken.maxSeconds, underMinute: spoken.minutes === 0 };
  }
  const phrase = announce(seconds, 'approximate');
  return { minSeconds: phrase.minSeconds, maxSeconds: phrase.maxSeconds, underMinute: seconds < 60 };
}

/** 2.5% and 97.5% of default/original RMSE over resamples of whole days. */
function dayBootstrap(scored: HeardCaller[]): { low: number; high: number } {
  const byDay = new Map<number, [number, number]>();
  for (const caller of scored) {
    const sums = byDay.get(caller.day) ?? [0, 0];
    sums[0] += (caller.estimates.default! - caller.waitSeconds) ** 2;
    sums[1] += (caller.estimates.original! - caller.waitSeconds) ** 2;
    byDay.set(caller.day, sums);
  }
  return rmseRatioInterval([...byDay.values()], 1999);
}

const share = (part: number, whole: number) => (whole === 0 ? NaN : part / whole);

/** Whether a caller is compared at all: both the default and the original gave them a number. */
export const bothGaveNumber = (caller: HeardCaller) => caller.estimates.default !== null && caller.estimates.original !== null;

/** Whether a caller is scored (in RMSE, MAE, bias, phrase truth): answered, and given a number by both. */
export const isScored = (caller: HeardCaller) => caller.outcome === 'accepted' && bothGaveNumber(caller);

/** The callers of each queue, by queue name. */
export function byQueue(callers: readonly HeardCaller[]): [string, HeardCaller[]][] {
  const queues = [...new Set(callers.map((caller) => caller.queue))].sort();
  return queues.map((queue) => [queue, callers.filter((caller) => caller.queue === queue)]);
}

/** Scores one group of callers (a queue's, or everyone's). */
export function scoreGroup(group: string, callers: readonly HeardCaller[]): GroupScore {
  const answered = callers.filter((caller) => caller.outcome === 'accepted');
  const scored = callers.filter(isScored);
  const heard = callers.filter(bothGaveNumber);
  const estimators = {} as Record<EstimatorName, EstimatorScore>;
  for (const name of ESTIMATOR_NAMES) {
    let absolute = 0;
    let squared = 0;
    let signed = 0;
    let inside = 0;
    let longer = 0;
    let quick = 0;
    let quickTold = 0;
    let counted = 0;
    for (const caller of scored) {
      const phrase = told(caller, name);
      if (phrase === null) continue;
      counted++;
      const error = caller.estimates[name]! - caller.waitSeconds;
      absolute += Math.abs(error);
      squared += error * error;
      signed += error;
      if (caller.waitSeconds >= phrase.minSeconds && caller.waitSeconds <= phrase.maxSeconds) inside++;
      else if (caller.waitSeconds > phrase.maxSeconds) longer++;
      if (caller.waitSeconds < 60) {
        quick++;
        if (phrase.underMinute) quickTold++;
      }
    }
    let toldUnderMinute = 0;
    let broken = 0;
    for (const caller of heard) {
      if (!told(caller, name)?.underMinute) continue;
      toldUnderMinute++;
      if (caller.waitSeconds > PROMISE_LIMIT_SECONDS) broken++;
    }
    estimators[name] = {
      mae: absolute / counted,
      rmse: Math.sqrt(squared / counted),
      bias: signed / counted,
      phraseTrue: share(inside, counted),
      wrongAndLonger: share(longer, counted - inside),
      toldUnderMinute,
      underMinuteBroken: toldUnderMinute === 0 ? 0 : broken / toldUnderMinute,
      underMinuteWhenQuick: share(quickTold, quick),
      noNumber: share(answered.filter((caller) => caller.estimates[name] === null).length, answered.length),
    };
  }
  let covered = 0;
  for (const caller of scored) if (caller.range && caller.waitSeconds >= caller.range.low && caller.waitSeconds <= caller.range.high) covered++;
  return {
    group,
    scored: scored.length,
    answered: answered.length,
    abandoned: callers.length - answered.length,
    meanWait: scored.reduce((sum, caller) => sum + caller.waitSeconds, 0) / scored.length,
    answeredAtOnce: share(scored.filter((caller) => caller.waitSeconds <= 0).length, scored.length),
    estimators,
    ratio: { value: estimators.default.rmse / estimators.original.rmse, ...dayBootstrap(scored) },
    coverage: share(covered, scored.length),
  };
}

/** Every queue's score (by name) and everyone's, last. */
export function scoreByQueue(callers: readonly HeardCaller[]): GroupScore[] {
  return [...byQueue(callers).map(([queue, members]) => scoreGroup(queue, members)), scoreGroup('all', callers)];
}

/** One score per state callers found (heard.ts `FOUND`, in that order), each labelled by `label`. */
const byState = (callers: readonly HeardCaller[], label: (state: string) => string) => FOUND.map((state) => scoreGroup(label(state), callers.filter((caller) => caller.found === state)));

/** The groups where somebody was scored, then everyone's. */
const withEveryone = (groups: GroupScore[], callers: readonly HeardCaller[]) => [...groups.filter((score) => score.scored > 0), scoreGroup('all', callers)];

/**
 * One score per state callers found their queue in (heard.ts `FOUND`, in that order; states where
 * nobody was scored are left out), then everyone's: where the error and the broken promises come from.
 */
export function scoreByFound(callers: readonly HeardCaller[]): GroupScore[] {
  return withEveryone(byState(callers, (state) => state), callers);
}

/**
 * The same states for each priority callers had, highest first (TaskRouter serves it first; groups
 * "priority P: state", empty ones left out), then everyone's. A queue's estimate cannot tell its
 * callers' priorities apart: this shows how far their waits do.
 */
export function scoreByFoundAndPriority(callers: readonly HeardCaller[]): GroupScore[] {
  const priorities = [...new Set(callers.map((caller) => caller.priority))].sort((a, b) => b - a);
  const groups = priorities.flatMap((priority) => byState(callers.filter((caller) => caller.priority === priority), (state) => `priority ${priority}: ${state}`));
  return withEveryone(groups, callers);
}

/** Each group's share of the estimator's squared error over the callers of `all` (its last group). */
export function squaredErrorShares(scores: readonly GroupScore[], name: EstimatorName): number[] {
  const sse = (score: GroupScore) => (score.scored === 0 ? 0 : score.estimators[name].rmse ** 2 * score.scored);
  const total = sse(scores[scores.length - 1]!);
  return scores.map((score) => (total === 0 ? NaN : sse(score) / total));
}

/** Everyone's score in a list of group scores (the group 'all'). */
export const everyone = (scores: readonly GroupScore[]): GroupScore => scores.find((score) => score.group === 'all')!;

/** A ratio with two decimals; n/a when the original's error is 0 or nobody was scored. */
export const ratioText = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

/** Queues large enough to judge on their own. */
export const MIN_QUEUE_CALLERS = 500;

/** The queues of at least MIN_QUEUE_CALLERS scored callers, and the one of them with the highest default/original RMSE. */
export function worstQueue(scores: readonly GroupScore[]): { judged: GroupScore[]; worst: GroupScore | null } {
  const judged = scores.filter((score) => score.group !== 'all' && score.scored >= MIN_QUEUE_CALLERS);
  return { judged, worst: judged.reduce<GroupScore | null>((so, score) => (so === null || score.ratio.value > so.ratio.value ? score : so), null) };
}

/**
 * The contract's line for one file:
 * `backtest <file>: default/original RMSE = X (worst queue NAME Y), phrase true A% (original B%), range coverage C%, "less than a minute" broken D% (N callers, Q queues)`.
 */
export function headline(file: string, scores: readonly GroupScore[]): string {
  const all = everyone(scores);
  const { judged, worst } = worstQueue(scores);
  const percent = (value: number) => (Number.isFinite(value) ? (100 * value).toFixed(1) : 'n/a');
  const worstText = worst === null ? 'worst queue none' : `worst queue ${worst.group} ${ratioText(worst.ratio.value)}`;
  const d = all.estimators.default;
  return `backtest ${file}: default/original RMSE = ${ratioText(all.ratio.value)} (${worstText}), phrase true ${percent(d.phraseTrue)}% (original ${percent(all.estimators.original.phraseTrue)}%), range coverage ${percent(all.coverage)}%, "less than a minute" broken ${percent(d.underMinuteBroken)}% (${all.scored} callers, ${judged.length} queues)`;
}
