/**
 * In hindsight: how often any rule could have told callers a true phrase while keeping the "less than
 * a minute" promise, and how small its error could have been, if it decided from a few facts of the
 * reading each caller heard. Such a rule gives one phrase, or one number, to every caller of a cell:
 * the queue × what the caller found × agents Available × the queue's own mean wait of the window; in
 * the second family also × the default's estimate, in the third also × the caller's priority. Knowing
 * every cell's waits afterwards, its phrase truth is bounded by a linear programme, solved here through
 * its dual, and its least squared error is each cell's spread about its mean. A reference, like the
 * simulation's oracle: fit on the month it scores, not an estimator. Where it stays under the
 * original's phrase truth, no rule deciding from those facts meets both the phrase goal and the promise
 * goal on that month; where its RMSE ratio is above a goal, no such rule meets that goal. Split by what
 * callers found, it says in which state that room lies.
 */
import { PROMISE_LIMIT_SECONDS } from '../../src/estimator';
import { announce } from '../../src/speech';
import { FOUND, type Found, type HeardCaller } from './heard';
import { GOALS } from './goals';
import { bothGaveNumber, byQueue, isScored } from './score';

/** The queue's own mean wait of the window (the original's estimate) and the default's estimate in these bands: under 15, 30, 60, 120 s, or longer. */
export const WAIT_BAND_EDGES = [15, 30, 60, 120] as const;

/**
 * The facts a rule may decide from: those of the reading alone; those and the default's estimate; and
 * those and the caller's TaskRouter priority, which Studio knows but a queue's one estimate does not.
 */
export const HINDSIGHT_FACTS = ['reading', 'reading and default', 'reading, default and priority'] as const;
export type HindsightFacts = (typeof HINDSIGHT_FACTS)[number];

/** Agents Available counted up to this, and "this or more" beyond. */
export const AVAILABLE_CAP = 3;

const band = (seconds: number | null) => (seconds === null ? 'none' : String(WAIT_BAND_EDGES.filter((edge) => seconds >= edge).length));

/**
 * The cell of a caller: the queue, what the caller found, agents Available and the band of the queue's
 * own mean wait; with the default's estimate, also its band (an estimate of 0 in a band of its own);
 * with the priority, also the caller's priority.
 */
export function hindsightCell(caller: HeardCaller, facts: HindsightFacts): string {
  const available = caller.availableWorkers === null ? 'unknown' : String(Math.min(AVAILABLE_CAP, caller.availableWorkers));
  const reading = `${caller.queue}|${caller.found}|${available}|${band(caller.estimates.original)}`;
  if (facts === 'reading') return reading;
  const estimate = caller.estimates.default;
  const withDefault = `${reading}|${estimate === 0 ? 'zero' : band(estimate)}`;
  return facts === 'reading and default' ? withDefault : `${withDefault}|${caller.priority}`;
}

/** Every phrase a rule may say, as the interval of waits it is true for: "less than a minute", then "about N minutes". */
function phraseIntervals(longestWait: number): { minSeconds: number; maxSeconds: number }[] {
  const intervals = [announce(0, 'approximate')];
  for (let minutes = 1; ; minutes += minutes < 10 ? 1 : 5) {
    const about = announce(minutes * 60, 'approximate');
    if (about.minSeconds > longestWait) return intervals;
    intervals.push(about);
  }
}

/**
 * One cell: the answered callers' waits (phrase truth, error) with the original's squared error on
 * them, and, of everyone heard, how many a promise would break for.
 */
interface Cell {
  answered: number[];
  originalSquared: number;
  heard: number;
  overLimit: number;
}

/** The callers both estimators gave a number, in their cells. */
function cellsOf(callers: readonly HeardCaller[], facts: HindsightFacts): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const caller of callers) {
    if (!bothGaveNumber(caller)) continue;
    const key = hindsightCell(caller, facts);
    const cell = cells.get(key) ?? { answered: [], originalSquared: 0, heard: 0, overLimit: 0 };
    cells.set(key, cell);
    cell.heard++;
    if (caller.waitSeconds > PROMISE_LIMIT_SECONDS) cell.overLimit++;
    if (caller.outcome !== 'accepted') continue;
    cell.answered.push(caller.waitSeconds);
    cell.originalSquared += (caller.estimates.original! - caller.waitSeconds) ** 2;
  }
  return cells;
}

export interface HindsightBound {
  group: string;
  facts: HindsightFacts;
  /** Answered callers to whom the default and the original gave a number (the backtest's scored callers). */
  scored: number;
  /** Cells holding at least one of those callers or of the abandoned ones heard. */
  cells: number;
  /** The largest share of broken promises allowed among the callers told "less than a minute". */
  limit: number;
  /** The bound on phrase truth: no rule on these cells was true for a larger share of the scored callers. */
  phraseTrue: number;
}

/**
 * The bound for one group of callers. Per cell a rule says "less than a minute" to all or to none
 * (fractions allowed: the relaxation only raises the bound). Telling cell i gains g_i true phrases
 * over its best "about N" and uses e_i = broken_i − limit × heard_i of the promise's allowance, which
 * must total ≤ 0. For any λ ≥ 0, Σ best_i + Σ max(0, g_i − λ e_i) bounds the best rule (weak
 * duality); the function is convex and piecewise linear in λ, so its least value is at 0 or at one of
 * the g_i / e_i, and that least value is the programme's optimum.
 */
export function phraseTrueInHindsight(group: string, callers: readonly HeardCaller[], limit: number, facts: HindsightFacts): HindsightBound {
  const cells = cellsOf(callers, facts);
  let fixed = 0;
  const items: { gain: number; use: number }[] = [];
  let scored = 0;
  for (const cell of cells.values()) {
    scored += cell.answered.length;
    const trueFor = ({ minSeconds, maxSeconds }: { minSeconds: number; maxSeconds: number }) => cell.answered.filter((wait) => wait >= minSeconds && wait <= maxSeconds).length;
    const [underMinute, ...abouts] = phraseIntervals(cell.answered.reduce((longest, wait) => Math.max(longest, wait), 0));
    const best = Math.max(0, ...abouts.map(trueFor));
    fixed += best;
    items.push({ gain: trueFor(underMinute!) - best, use: cell.overLimit - limit * cell.heard });
  }
  const dual = (lambda: number) => fixed + items.reduce((sum, { gain, use }) => sum + Math.max(0, gain - lambda * use), 0);
  let least = dual(0);
  for (const { gain, use } of items) if (use !== 0 && gain / use > 0) least = Math.min(least, dual(gain / use));
  return { group, facts, scored, cells: cells.size, limit, phraseTrue: scored === 0 ? NaN : least / scored };
}

/**
 * The least default/original RMSE any rule giving one number per cell could have had, over the
 * backtest's scored callers: each cell told the mean of its waits, known afterwards. NaN when the
 * original's error is 0 or nobody was scored.
 */
export function rmseRatioInHindsight(callers: readonly HeardCaller[], facts: HindsightFacts): number {
  const { cellSquared, originalSquared } = squaredErrors(callers, facts);
  return originalSquared === 0 ? NaN : Math.sqrt(cellSquared / originalSquared);
}

/** The squared error of telling each cell its mean, and the original's, over the answered callers both gave a number. */
function squaredErrors(callers: readonly HeardCaller[], facts: HindsightFacts): { cellSquared: number; originalSquared: number } {
  let cellSquared = 0;
  let originalSquared = 0;
  for (const { answered, originalSquared: original } of cellsOf(callers, facts).values()) {
    originalSquared += original;
    if (answered.length === 0) continue;
    const mean = answered.reduce((sum, wait) => sum + wait, 0) / answered.length;
    cellSquared += answered.reduce((sum, wait) => sum + (wait - mean) ** 2, 0);
  }
  return { cellSquared, originalSquared };
}

/**
 * Where the room is: over all the callers, the default/original RMSE had only the callers who found
 * `found` been told their cell's mean (known afterwards), everyone else what the default told them.
 * Every cell holds callers of one state, so the states' shares of the gap add up to the whole gap. A
 * share can be negative: the default tells a cell's callers different numbers, and can beat its mean.
 * NaN when the original's error is 0.
 */
export function rmseRatioInHindsightFor(callers: readonly HeardCaller[], facts: HindsightFacts, found: Found): number {
  const scored = callers.filter(isScored);
  const squared = (told: number | null, caller: HeardCaller) => (told! - caller.waitSeconds) ** 2;
  const { cellSquared } = squaredErrors(scored.filter((caller) => caller.found === found), facts);
  const defaultSquared = scored.filter((caller) => caller.found !== found).reduce((sum, caller) => sum + squared(caller.estimates.default, caller), 0);
  const originalSquared = scored.reduce((sum, caller) => sum + squared(caller.estimates.original, caller), 0);
  return originalSquared === 0 ? NaN : Math.sqrt((cellSquared + defaultSquared) / originalSquared);
}

/** One group's hindsight on one family of facts: the phrase bound with the promise kept, and the least RMSE ratio. */
export type Hindsight = HindsightBound & { rmseRatio: number };

/** Per group (every queue by name at the promise goal's per-queue limit, then everyone at its overall limit): its hindsight on each family of facts. */
export function hindsightByQueue(callers: readonly HeardCaller[]): Record<HindsightFacts, Hindsight>[] {
  return [...byQueue(callers).map(([queue, members]) => hindsightOf(queue, members, GOALS.brokenPerQueue)), hindsightOfEveryone(callers)];
}

/** Everyone's row of hindsightByQueue alone: the promise at its overall limit. */
export const hindsightOfEveryone = (callers: readonly HeardCaller[]) => hindsightOf('all', callers, GOALS.brokenOverall);

/** One group's bounds, per family of facts: phrase truth with the promise broken for at most `limit`, and the least RMSE ratio. */
function hindsightOf(group: string, members: readonly HeardCaller[], limit: number): Record<HindsightFacts, Hindsight> {
  return Object.fromEntries(HINDSIGHT_FACTS.map((facts) => [facts, { ...phraseTrueInHindsight(group, members, limit, facts), rmseRatio: rmseRatioInHindsight(members, facts) }])) as Record<HindsightFacts, Hindsight>;
}

/** One state's row of where the room is: its scored callers and, per family of facts, the ratio of `rmseRatioInHindsightFor`. */
export interface RoomByFound {
  found: Found;
  scored: number;
  rmseRatio: Record<HindsightFacts, number>;
}

/** `rmseRatioInHindsightFor` for every state some scored caller found, in FOUND's order. */
export function hindsightByFound(callers: readonly HeardCaller[]): RoomByFound[] {
  return FOUND.map((found) => ({ found, scored: callers.filter((caller) => caller.found === found && isScored(caller)).length }))
    .filter(({ scored }) => scored > 0)
    .map(({ found, scored }) => ({ found, scored, rmseRatio: Object.fromEntries(HINDSIGHT_FACTS.map((facts) => [facts, rmseRatioInHindsightFor(callers, facts, found)])) as Record<HindsightFacts, number> }));
}
