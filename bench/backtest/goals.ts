/**
 * The estimator issue's goals on one month, judged from its backtest: each goal, what was measured,
 * and what is missed with by how much, per queue where the goal is per queue (queues of at least
 * MIN_QUEUE_CALLERS scored callers). Pure: the tests judge scores made by hand.
 */
import { everyone, MIN_QUEUE_CALLERS, worstQueue, type GroupScore } from './score';

export interface GoalVerdict {
  goal: string;
  /** What was measured, in the goal's terms. */
  measured: string;
  /** What is missed, each with by how much; empty when the goal is met. */
  misses: string[];
}

/** The goals' thresholds. */
export const GOALS = {
  overallRatio: 0.8,
  queueRatio: 1,
  biasSeconds: 10,
  biasShareOfMeanWait: 0.1,
  brokenOverall: 0.02,
  brokenPerQueue: 0.03,
  coverage: [0.75, 0.85],
  wrongAndLonger: 0.6,
} as const;

/** The decimals (from `decimals` up to three more) it takes to show on which side of `threshold` a value is. */
function decimalsFor(value: number, threshold: number, decimals: number): number {
  let shown = decimals;
  while (shown < decimals + 3 && value !== threshold && value.toFixed(shown) === threshold.toFixed(shown)) shown++;
  return shown;
}

/** A figure next to its threshold, with as many decimals as it takes to show on which side it is (0.9995 against 1, not 1.00). */
export function beside(value: number, threshold: number, decimals: number): string {
  return value.toFixed(decimalsFor(value, threshold, decimals));
}

/** How far past its threshold a figure is, with the decimals `beside` shows it with. */
function past(value: number, threshold: number, decimals: number): string {
  return Math.abs(value - threshold).toFixed(decimalsFor(value, threshold, decimals));
}

const percent = (share: number, threshold: number) => `${beside(100 * share, 100 * threshold, 1)}%`;
const points = (share: number, threshold: number) => `${past(100 * share, 100 * threshold, 1)} points`;

/** The goals at the headline cadence (`scores`) and the other cadences' overall ratio (`otherCadences`, cadence in seconds → scores). */
export function backtestGoals(scores: readonly GroupScore[], otherCadences: ReadonlyMap<number, readonly GroupScore[]>): GoalVerdict[] {
  const all = everyone(scores);
  const { judged } = worstQueue(scores);
  const groups = [all, ...judged];
  const verdicts: GoalVerdict[] = [];
  const d = (score: GroupScore) => score.estimators.default;
  const o = (score: GroupScore) => score.estimators.original;

  const ratio = all.ratio.value;
  verdicts.push({
    goal: `default/original RMSE over all callers ≤ ${GOALS.overallRatio.toFixed(2)}`,
    measured: beside(ratio, GOALS.overallRatio, 2),
    misses: ratio <= GOALS.overallRatio ? [] : [`${beside(ratio, GOALS.overallRatio, 2)}, by ${past(ratio, GOALS.overallRatio, 2)}`],
  });
  verdicts.push({
    goal: `default/original RMSE < ${GOALS.queueRatio.toFixed(1)} on every queue of ≥ ${MIN_QUEUE_CALLERS} scored callers`,
    measured: judged.map((score) => `${score.group} ${beside(score.ratio.value, GOALS.queueRatio, 2)}`).join(', ') || 'no such queue',
    misses: judged.filter((score) => !(score.ratio.value < GOALS.queueRatio)).map((score) => `${score.group} ${beside(score.ratio.value, GOALS.queueRatio, 2)}`),
  });
  verdicts.push({
    goal: "MAE ≤ the original's on every such queue",
    measured: judged.map((score) => `${score.group} ${beside(d(score).mae, o(score).mae, 1)} / ${o(score).mae.toFixed(1)} s`).join(', ') || 'no such queue',
    misses: judged.filter((score) => !(d(score).mae <= o(score).mae)).map((score) => `${score.group} ${beside(d(score).mae, o(score).mae, 1)} s against ${o(score).mae.toFixed(1)}, by ${past(d(score).mae, o(score).mae, 1)} s`),
  });
  const biasLimit = (score: GroupScore) => Math.max(GOALS.biasSeconds, GOALS.biasShareOfMeanWait * score.meanWait);
  verdicts.push({
    goal: 'bias within ±max(10 s, 10% of the mean wait), over all callers and on every such queue',
    measured: groups.map((score) => `${score.group} ${beside(d(score).bias, Math.sign(d(score).bias) * biasLimit(score), 1)} s`).join(', '),
    misses: groups
      .filter((score) => !(Math.abs(d(score).bias) <= biasLimit(score)))
      .map((score) => `${score.group} ${beside(d(score).bias, Math.sign(d(score).bias) * biasLimit(score), 1)} s against ±${biasLimit(score).toFixed(1)}, by ${past(Math.abs(d(score).bias), biasLimit(score), 1)} s`),
  });
  verdicts.push({
    goal: "phrase true ≥ the original's, over all callers and on every such queue",
    measured: groups.map((score) => `${score.group} ${percent(d(score).phraseTrue, o(score).phraseTrue)} / ${(100 * o(score).phraseTrue).toFixed(1)}%`).join(', '),
    misses: groups
      .filter((score) => !(d(score).phraseTrue >= o(score).phraseTrue))
      .map((score) => `${score.group} ${percent(d(score).phraseTrue, o(score).phraseTrue)} against ${(100 * o(score).phraseTrue).toFixed(1)}%, by ${points(d(score).phraseTrue, o(score).phraseTrue)}`),
  });
  const brokenLimit = (score: GroupScore) => (score === all ? GOALS.brokenOverall : GOALS.brokenPerQueue);
  verdicts.push({
    goal: '"less than a minute" broken ≤ 2% over all callers, ≤ 3% on every such queue',
    measured: groups.map((score) => `${score.group} ${percent(d(score).underMinuteBroken, brokenLimit(score))} of ${d(score).toldUnderMinute}`).join(', '),
    misses: groups
      .filter((score) => !(d(score).underMinuteBroken <= brokenLimit(score)))
      .map((score) => `${score.group} ${percent(d(score).underMinuteBroken, brokenLimit(score))} against ${(100 * brokenLimit(score)).toFixed(0)}%, by ${points(d(score).underMinuteBroken, brokenLimit(score))}`),
  });
  const [low, high] = GOALS.coverage;
  verdicts.push({
    goal: '80% range coverage within 75–85% over all callers',
    measured: percent(all.coverage, all.coverage < 0.8 ? low : high),
    misses: all.coverage >= low && all.coverage <= high ? [] : [`${percent(all.coverage, all.coverage < low ? low : high)}, ${points(all.coverage, all.coverage < low ? low : high)} outside`],
  });
  const longer = d(all).wrongAndLonger;
  verdicts.push({
    goal: 'of callers whose phrase was wrong, the share who waited longer than told ≤ 60%',
    measured: percent(longer, GOALS.wrongAndLonger),
    misses: longer <= GOALS.wrongAndLonger ? [] : [`${percent(longer, GOALS.wrongAndLonger)}, by ${points(longer, GOALS.wrongAndLonger)}`],
  });
  // A slower cadence can score nobody (a short file): that cadence is not judged, and says so.
  const cadences = [...otherCadences].map(([cadence, other]) => {
    const score = everyone(other);
    return { cadence, ratio: score.scored > 0 ? score.ratio.value : null };
  });
  const cadenceFigure = ({ cadence, ratio: value }: { cadence: number; ratio: number | null }) => `${cadence} s ${value === null ? 'scored no caller' : beside(value, 1, 2)}`;
  verdicts.push({
    goal: 'below the original over all callers at the slower cadences',
    measured: cadences.map(cadenceFigure).join(', ') || 'no other cadence',
    misses: cadences.filter(({ ratio: value }) => value === null || !(value < 1)).map((cadence) => (cadence.ratio === null ? `${cadenceFigure(cadence)}: not judged` : cadenceFigure(cadence))),
  });
  return verdicts;
}
