/**
 * The estimator issue's goals as the backtest judges them, on scores made by hand: each goal met at its
 * threshold and missed just past it, with by how much, and every figure shown on the right side of it.
 */
import { backtestGoals, beside } from '../bench/backtest/goals';
import type { EstimatorScore, GroupScore } from '../bench/backtest/score';

type Figures = Partial<EstimatorScore>;

function estimator(figures: Figures): EstimatorScore {
  return { mae: 20, rmse: 40, bias: 0, phraseTrue: 0.7, wrongAndLonger: 0.5, toldUnderMinute: 100, underMinuteBroken: 0.01, underMinuteWhenQuick: 0.8, noNumber: 0, ...figures };
}

function group(name: string, options: { scored?: number; ratio?: number; meanWait?: number; coverage?: number; ours?: Figures; original?: Figures } = {}): GroupScore {
  const ratio = options.ratio ?? 0.7;
  return {
    group: name,
    scored: options.scored ?? 1000,
    answered: options.scored ?? 1000,
    abandoned: 0,
    meanWait: options.meanWait ?? 40,
    answeredAtOnce: 0.5,
    estimators: { default: estimator(options.ours ?? {}), original: estimator({ phraseTrue: 0.6, ...options.original }), 'head-of-line': estimator({}), 'queue-length': estimator({}) },
    ratio: { value: ratio, low: ratio, high: ratio },
    coverage: options.coverage ?? 0.8,
  };
}

const slower = (ratio: number) => new Map([[120, [group('all', { ratio })]], [300, [group('all', { ratio: 0.9 })]]]);
const missesOf = (scores: GroupScore[], others = slower(0.9)) => Object.fromEntries(backtestGoals(scores, others).map((verdict) => [verdict.goal.split(' ')[0] + (verdict.goal.includes('every queue') ? ' per queue' : ''), verdict.misses]));

describe("the estimator issue's goals in the backtest", () => {
  it('meets every goal at its threshold', () => {
    const scores = [group('A', { ratio: 0.99, ours: { mae: 20, bias: -10, phraseTrue: 0.6, underMinuteBroken: 0.03 } }), group('all', { ratio: 0.8, coverage: 0.85, ours: { bias: 10, phraseTrue: 0.6, underMinuteBroken: 0.02, wrongAndLonger: 0.6 } })];
    const verdicts = backtestGoals(scores, slower(0.99));
    expect(verdicts).toHaveLength(9);
    for (const verdict of verdicts) expect(verdict.misses).toEqual([]);
  });

  it('names what is missed past each threshold, per queue, with by how much', () => {
    const scores = [
      group('A', { ratio: 1, meanWait: 200, ours: { mae: 20.4, bias: 20.3, phraseTrue: 0.59, underMinuteBroken: 0.0301 }, original: { mae: 20 } }),
      group('small', { scored: 499, ratio: 3, ours: { mae: 99, bias: 99, phraseTrue: 0, underMinuteBroken: 1 } }),
      group('all', { ratio: 0.8049, coverage: 0.7499, ours: { bias: -10.04, phraseTrue: 0.5, underMinuteBroken: 0.0203, wrongAndLonger: 0.61 } }),
    ];
    const misses = missesOf(scores, slower(1));
    expect(misses['default/original']).toEqual(['0.805, by 0.005']);
    expect(misses['default/original per queue']).toEqual(['A 1.00']);
    expect(misses['MAE']).toEqual(['A 20.4 s against 20.0, by 0.4 s']);
    // A waits 200 s on average, so its limit is 20 s; everyone's is 10 s.
    expect(misses['bias']).toEqual(['all -10.04 s against ±10.0, by 0.04 s', 'A 20.3 s against ±20.0, by 0.3 s']);
    expect(misses['phrase']).toEqual(['all 50.0% against 60.0%, by 10.0 points', 'A 59.0% against 60.0%, by 1.0 points']);
    expect(misses['"less']).toEqual(['all 2.03% against 2%, by 0.03 points', 'A 3.01% against 3%, by 0.01 points']);
    expect(misses['80%']).toEqual(['74.99%, 0.01 points outside']);
    expect(misses['of']).toEqual(['61.0%, by 1.0 points']);
    expect(misses['below']).toEqual(['120 s 1.00']);
  });

  it('leaves queues under 500 scored callers to the overall goals, and says so when none is large', () => {
    const verdicts = backtestGoals([group('small', { scored: 10, ratio: 5 }), group('all')], new Map());
    expect(verdicts[1]).toEqual({ goal: 'default/original RMSE < 1.0 on every queue of ≥ 500 scored callers', measured: 'no such queue', misses: [] });
    expect(verdicts[3]!.measured).toBe('all 0.0 s');
    expect(verdicts[8]).toMatchObject({ measured: 'no other cadence', misses: [] });
  });

  it('does not judge a slower cadence that scored nobody, and says so instead of showing NaN', () => {
    const nobody = { ...group('all', { scored: 0 }), ratio: { value: NaN, low: NaN, high: NaN } };
    const verdicts = backtestGoals([group('all')], new Map([[120, [group('all', { ratio: 0.9 })]], [300, [nobody]]]));
    expect(verdicts[8]).toEqual({ goal: 'below the original over all callers at the slower cadences', measured: '120 s 0.90, 300 s scored no caller', misses: ['300 s scored no caller: not judged'] });
  });

  it('shows a figure with the decimals it takes to tell it from its threshold', () => {
    expect(beside(0.9995, 1, 2)).toBe('0.9995');
    expect(beside(0.84, 0.8, 2)).toBe('0.84');
    expect(beside(2.03, 2, 1)).toBe('2.03');
    expect(beside(2, 2, 1)).toBe('2.0');
    expect(beside(0.99999999, 1, 2)).toBe('1.00000');
  });
});
