import {
  abandonmentPerSecond, advanceHistory, decodeHistory, defaultEstimate, drainRatePerSecond, encodeHistory, estimateWait, freeSlot, handleSeconds, headOfLineEstimate, originalEstimate, throughputPerSecond,
  expectedRemainingWait, probabilityBetween, PROMISE_TAIL_SHAPE, promiseHolds, remainingCdf, remainingQuantile, queueLengthEstimate, queueLengthWait, spokenWait, waitRange, type QueueHistory,
} from '../src/estimator';
import { gammaCdf } from '../src/gamma';
import { observation } from './helpers';

/** A history that has seen a whole window with `busy` tasks in service on average. */
const seen = (busy: number, slotsPerWorker: number | null = null): QueueHistory => ({ busy, coverage: 1, startedAtMs: 0, slotsPerWorker });
const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('estimators', () => {
  it('original: the mean in-queue wait of accepted tasks', () => {
    expect(originalEstimate(observation())).toEqual({ estimatedWaitSeconds: 90, confidence: 'high' });
    expect(originalEstimate(observation({ tasksAccepted: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_recent_acceptances' });
    expect(originalEstimate(observation({ avgWaitUntilAcceptedSeconds: null }))).toMatchObject({ estimatedWaitSeconds: null });
  });

  it('head of line: the oldest waiting task, or 0 with a free slot', () => {
    expect(headOfLineEstimate(observation())).toEqual({ estimatedWaitSeconds: 120, confidence: 'low' });
    expect(headOfLineEstimate(observation({ tasksWaiting: 0, availableWorkers: 2, tasksInService: 1 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
    expect(headOfLineEstimate(observation({ tasksWaiting: 0, availableWorkers: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
  });

  it('queue length: (ahead + 1) over throughput, less with abandonment', () => {
    // 30 accepted in 900 s: one every 30 s; 4 ahead + 1 = 150 s without abandonment.
    expect(queueLengthWait(5, 30 / 900, 0)).toBeCloseTo(150, 6);
    expect(queueLengthEstimate(observation({ tasksCanceled: 0 }))).toEqual({ estimatedWaitSeconds: 150, confidence: 'high' });
    // 2 canceled over 3100 s of waiting: each waiting caller leaves at 1/1550 per s, so callers ahead thin out.
    const expected = [0, 1, 2, 3, 4].reduce((sum, ahead) => sum + 1 / (30 / 900 + ahead * (2 / 3100)), 0);
    expect(queueLengthEstimate(observation()).estimatedWaitSeconds).toBe(Math.round(expected));
    expect(queueLengthEstimate(observation({ tasksAccepted: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'no_recent_acceptances' });
    expect(queueLengthEstimate(observation({ windowSeconds: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
  });

  it('never answers zero from missing data', () => {
    for (const name of ['default', 'original', 'head-of-line', 'queue-length'] as const) {
      const estimate = estimateWait(name, observation({ tasksWaiting: null, longestWaitSeconds: null, availableWorkers: null, avgWaitUntilAcceptedSeconds: null, tasksAccepted: null }));
      expect(estimate).toMatchObject({ estimatedWaitSeconds: null, confidence: 'none', waitRange: null, waitShape: null });
      expect(['missing_statistics', 'no_recent_acceptances']).toContain(estimate.reason);
    }
  });

  it('says why when nobody can answer: no eligible workers, or every one logged out', () => {
    expect(defaultEstimate(observation({ eligibleWorkers: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_eligible_workers' });
    expect(defaultEstimate(observation({ loggedInWorkers: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'all_agents_logged_out' });
    expect(defaultEstimate(observation({ loggedInWorkers: 2, availableWorkers: 0 })).estimatedWaitSeconds).not.toBeNull();
  });
});

describe('history and rates', () => {
  it('averages tasks in service over time with a half-window time constant, and forgets after a gap', () => {
    const first = advanceHistory(null, observation({ tasksInService: 4 }), 0, T0)!;
    expect(first).toEqual({ busy: 4, coverage: 0, startedAtMs: T0, slotsPerWorker: null });
    const later = advanceHistory(first, observation({ tasksInService: 10 }), 450, T0 + 450_000)!;
    // One time constant: 4·e^-1 + 10·(1 − e^-1).
    expect(later.busy).toBeCloseTo(4 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 2);
    expect(later.coverage).toBe(0.5);
    expect(advanceHistory(later, observation({ tasksInService: 2 }), 901, T0 + 1_351_000)).toEqual({ busy: 2, coverage: 0, startedAtMs: T0 + 1_351_000, slotsPerWorker: null });
    expect(advanceHistory(later, observation({ tasksInService: null }), 30, T0 + 480_000)).toBeNull();
    // A whole window since the last reading still continues the average; no time at all starts afresh.
    expect(advanceHistory(later, observation({ tasksInService: 2 }), 900, T0 + 1_350_000)).toMatchObject({ startedAtMs: T0, coverage: 1 });
    expect(advanceHistory(later, observation({ tasksInService: 2 }), 0, T0 + 450_000)).toEqual({ busy: 2, coverage: 0, startedAtMs: T0 + 450_000, slotsPerWorker: null });
  });

  it('learns slots per Available worker only while callers wait', () => {
    const waiting = advanceHistory(null, observation({ tasksWaiting: 3, tasksInService: 12, availableWorkers: 4 }), 0, T0)!;
    expect(waiting.slotsPerWorker).toBe(3);
    const quiet = advanceHistory(waiting, observation({ tasksWaiting: 0, tasksInService: 5, availableWorkers: 4 }), 30, T0 + 30_000)!;
    expect(quiet.slotsPerWorker).toBe(3);
  });

  it('stores its start, not its coverage (0 once it covers a window), so a steady queue\'s stored history stops changing', () => {
    const history = { busy: 3.52, coverage: 0.5, startedAtMs: T0, slotsPerWorker: 2.5 };
    expect(encodeHistory(history)).toBe(`3.52,${T0 / 1000},2.5`);
    // Covered: the start no longer matters, and a start of 0 covers every later reading.
    expect(encodeHistory({ ...history, coverage: 1 })).toBe('3.52,0,2.5');
    expect(advanceHistory(decodeHistory('3.52,0,2.5'), observation({ tasksInService: 3.52 }), 30, T0)).toMatchObject({ coverage: 1, startedAtMs: 0 });
    // Coverage comes back from the next reading's time.
    expect(decodeHistory(encodeHistory(history))).toEqual({ ...history, coverage: 0 });
    expect(advanceHistory(decodeHistory(encodeHistory(history)), observation({ tasksInService: 3.52 }), 30, T0 + 600_000)).toMatchObject({ coverage: 0.67, busy: 3.52 });
    const steady = advanceHistory(history, observation({ tasksInService: 3.52 }), 30, T0 + 1_800_000)!;
    expect(encodeHistory(advanceHistory(steady, observation({ tasksInService: 3.52 }), 30, T0 + 1_830_000)!)).toBe(encodeHistory(steady));
    expect(decodeHistory(encodeHistory({ ...history, slotsPerWorker: null }))).toEqual({ ...history, coverage: 0, slotsPerWorker: null });
    for (const bad of [undefined, 7, '', '1,2', 'a,b,c', '-1,1772438400,', '1,-1,', '1,1.5,', '1,1772438400,-2', '1,1772438400,2,9']) expect(decodeHistory(bad)).toBeNull();
    // Zero is a value: an idle queue, and a capacity not learned as more than nothing.
    expect(decodeHistory('0,1772438400,0')).toEqual({ busy: 0, coverage: 0, startedAtMs: 1_772_438_400_000, slotsPerWorker: 0 });
  });

  it('handle time by Little\'s law, and the drain rate now from work in service', () => {
    // 30 accepted in 900 s with 2.5 in service on average: each task holds a slot 75 s.
    expect(handleSeconds(observation(), seen(2.5))).toBeCloseTo(75, 6);
    expect(handleSeconds(observation(), null)).toBeNull();
    // 5 in service now at 75 s each: 1/15 per s, twice the window's throughput (the window was half idle).
    expect(drainRatePerSecond(observation(), seen(2.5), 0)).toBeCloseTo(5 / 75, 6);
    // Thin evidence moves it back towards the window's throughput: 30 acceptances, 30 for half weight.
    expect(drainRatePerSecond(observation(), seen(2.5), 30)).toBeCloseTo(30 / 900 + 0.5 * (5 / 75 - 30 / 900), 6);
    // No history, or no acceptances: the throughput, or nothing.
    expect(drainRatePerSecond(observation(), null, 0)).toBeCloseTo(30 / 900, 6);
    expect(drainRatePerSecond(observation({ tasksAccepted: 0 }), seen(2.5), 0)).toBeNull();
    // Nobody in service now, or not reported: nothing to correct the window's throughput with.
    expect(drainRatePerSecond(observation({ tasksInService: 0 }), seen(2.5), 0)).toBeCloseTo(30 / 900, 9);
    expect(drainRatePerSecond(observation({ tasksInService: null }), seen(2.5), 0)).toBeCloseTo(30 / 900, 9);
    // A history that never saw a task in service gives no handle time; an empty window no throughput.
    expect(handleSeconds(observation(), seen(0))).toBeNull();
    expect(throughputPerSecond(observation({ windowSeconds: 0 }))).toBeNull();
    expect(throughputPerSecond(observation({ tasksAccepted: null }))).toBeNull();
  });

  it('abandonment: cancellations over all the seconds callers waited, 0 without either', () => {
    // 2 canceled over 2,700 + 400 s of waiting.
    expect(abandonmentPerSecond(observation())).toBeCloseTo(2 / 3100, 12);
    expect(abandonmentPerSecond(observation({ tasksCanceled: 0 }))).toBe(0);
    expect(abandonmentPerSecond(observation({ tasksCanceled: null }))).toBe(0);
    // Cancellations reported without any waiting time (a queue's own timeout of 0 s): no rate, not infinity.
    expect(abandonmentPerSecond(observation({ totalWaitAcceptedSeconds: 0, totalWaitCanceledSeconds: 0 }))).toBe(0);
    expect(abandonmentPerSecond(observation({ totalWaitAcceptedSeconds: null, totalWaitCanceledSeconds: 50 }))).toBeCloseTo(2 / 50, 12);
  });

  it('finds a free slot by the workspace mode and the learned capacity', () => {
    const quiet = { tasksWaiting: 0, availableWorkers: 4 };
    expect(freeSlot(observation({ ...quiet, multitasking: false, tasksInService: 9 }), null)).toBe(true);
    expect(freeSlot(observation({ ...quiet, tasksInService: 3 }), null)).toBe(true);
    expect(freeSlot(observation({ ...quiet, tasksInService: 4 }), null)).toBe(false);
    // Agents holding three chats each: 4 workers × 3 slots, 10 held, so one is free.
    expect(freeSlot(observation({ ...quiet, tasksInService: 10 }), seen(9, 3))).toBe(true);
    expect(freeSlot(observation({ ...quiet, tasksInService: 12 }), seen(9, 3))).toBe(false);
    // 2.875 slots a head × 4 = 11.5: eleven held leaves half a slot, not a whole task.
    expect(freeSlot(observation({ ...quiet, tasksInService: 10 }), seen(9, 2.875))).toBe(true);
    expect(freeSlot(observation({ ...quiet, tasksInService: 11 }), seen(9, 2.875))).toBe(false);
    // A capacity of 0 learned is no capacity: fewer in service than Available workers decides.
    expect(freeSlot(observation({ ...quiet, tasksInService: 3 }), seen(9, 0))).toBe(true);
    expect(freeSlot(observation({ ...quiet, tasksInService: null }), null)).toBe(false);
    expect(freeSlot(observation({ tasksWaiting: 1, availableWorkers: 4, tasksInService: 0 }), null)).toBe(false);
  });
});

describe('the comparison estimators and their guards', () => {
  const free = { tasksWaiting: 0, availableWorkers: 2, tasksInService: 0 };
  it('head of line: the oldest wait, 0 with a free slot, nothing without agents or the statistics', () => {
    expect(headOfLineEstimate(observation())).toEqual({ estimatedWaitSeconds: 120, confidence: 'low' });
    expect(headOfLineEstimate(observation(free))).toMatchObject({ estimatedWaitSeconds: 0 });
    expect(headOfLineEstimate(observation({ eligibleWorkers: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'no_eligible_workers' });
    for (const missing of [{ tasksWaiting: null }, { longestWaitSeconds: null }, { tasksWaiting: 0 }]) {
      expect(headOfLineEstimate(observation(missing))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
    }
  });

  it('queue length: over the throughput with abandonment, 0 with a free slot, nothing without agents or the statistics', () => {
    expect(queueLengthEstimate(observation()).estimatedWaitSeconds).toBe(Math.round(queueLengthWait(5, 30 / 900, 2 / 3100)));
    expect(queueLengthEstimate(observation(free))).toMatchObject({ estimatedWaitSeconds: 0 });
    expect(queueLengthEstimate(observation({ loggedInWorkers: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'all_agents_logged_out' });
    expect(queueLengthEstimate(observation({ tasksWaiting: null }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
    expect(queueLengthEstimate(observation({ tasksAccepted: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'no_recent_acceptances' });
  });

  it('a free slot with no acceptances in the window is 0, of low confidence', () => {
    expect(defaultEstimate(observation({ ...free, tasksAccepted: 0 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'low', reason: 'no_recent_acceptances' });
  });

  it('without a drain rate (a window of no length), the window\'s mean wait as the original says it', () => {
    const o = observation({ windowSeconds: 0 });
    expect(defaultEstimate(o)).toEqual(originalEstimate(o));
    expect(defaultEstimate(o).estimatedWaitSeconds).toBe(90);
  });

  it('a queue first seen by a running refresher starts its history afresh', () => {
    expect(advanceHistory(null, observation({ tasksInService: 3 }), 30, T0)).toEqual({ busy: 3, coverage: 0, startedAtMs: T0, slotsPerWorker: null });
  });
});

describe('the default', () => {
  it('is 0 with a free slot, and the queue-length wait at the drain rate now moved towards head of line', () => {
    expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 2, tasksInService: 1 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
    const parameters = { headOfLineWeight: 0.25, drainEvidence: 0, rangeModelVariance: 0, ownWaitWeight: 0, rateEvidence: 0 };
    const rate = 5 / 75;
    const byLength = [0, 1, 2, 3, 4].reduce((sum, ahead) => sum + 1 / (rate + ahead * (2 / 3100)), 0);
    expect(defaultEstimate(observation(), seen(2.5), parameters).estimatedWaitSeconds).toBe(Math.round(byLength + (120 - byLength) * 0.25));
    // Nobody waiting and no free slot: the next departure, no head of line to lean on.
    expect(defaultEstimate(observation({ tasksWaiting: 0 }), seen(2.5), parameters).estimatedWaitSeconds).toBe(Math.round(1 / rate));
  });

  it('moves a rate measured from few acceptances towards the window\'s mean wait, rateEvidence ÷ (A + rateEvidence) of the way', () => {
    const off = { headOfLineWeight: 0, drainEvidence: 0, rangeModelVariance: 0, ownWaitWeight: 0, rateEvidence: 0 };
    const on = { ...off, rateEvidence: 1 };
    // Nobody waiting, one busy slot on average and one in service: the next departure in 900 s ÷ A.
    const thin = observation({ tasksWaiting: 0, tasksInService: 1, tasksAccepted: 1, avgWaitUntilAcceptedSeconds: 40, tasksCanceled: 0 });
    expect(defaultEstimate(thin, seen(1), off).estimatedWaitSeconds).toBe(900);
    // One acceptance: half way from 900 s to the 40 s the window's caller waited.
    expect(defaultEstimate(thin, seen(1), on).estimatedWaitSeconds).toBe(470);
    expect(defaultEstimate(thin, seen(1), { ...off, rateEvidence: 3 }).estimatedWaitSeconds).toBe(Math.round(900 + (40 - 900) * 0.75));
    // 99 acceptances: a hundredth of the way.
    const thick = { ...thin, tasksAccepted: 99 };
    expect(defaultEstimate(thick, seen(1), on).estimatedWaitSeconds).toBe(Math.round(900 / 99 + (40 - 900 / 99) / 100));
    // No mean wait of its own to move towards: the rate's estimate as it is.
    expect(defaultEstimate({ ...thin, avgWaitUntilAcceptedSeconds: null }, seen(1), on).estimatedWaitSeconds).toBe(900);
    // A queue in a pool counts the pool's acceptances: 59 behind it here, so a sixtieth of the way.
    const pool = { observation: { ...thin, tasksAccepted: 59, avgWaitUntilAcceptedSeconds: 10 }, history: seen(1), queues: 2 };
    expect(defaultEstimate(thin, seen(1), on, pool).estimatedWaitSeconds).toBe(Math.round(900 / 59 + (40 - 900 / 59) / 60));
  });

  it('falls back to the window\'s mean wait without tasks_by_status or acceptances', () => {
    expect(defaultEstimate(observation({ tasksWaiting: null }))).toEqual({ estimatedWaitSeconds: 90, confidence: 'low', reason: 'missing_statistics' });
    expect(defaultEstimate(observation({ tasksWaiting: null, avgWaitUntilAcceptedSeconds: null }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'missing_statistics' });
    expect(defaultEstimate(observation({ tasksAccepted: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_recent_acceptances' });
  });

  it('grades confidence: 10 acceptances for high, lean statistics low, and a high estimate carries no reason', () => {
    expect(defaultEstimate(observation({ tasksAccepted: 10 })).confidence).toBe('high');
    expect(defaultEstimate(observation({ tasksAccepted: 9 }))).toMatchObject({ confidence: 'low', reason: 'few_recent_acceptances' });
    expect(defaultEstimate(observation({ waitDurationsReported: false }))).toMatchObject({ confidence: 'low', reason: 'missing_statistics' });
    expect(Object.keys(defaultEstimate(observation()))).toEqual(['estimatedWaitSeconds', 'confidence']);
  });
});

describe('predicted range', () => {
  it('holds the estimate, narrows as more callers are ahead, and is 0–60 s for a free slot', () => {
    const one = estimateWait('default', observation({ tasksWaiting: 1, longestWaitSeconds: 200 }));
    const many = estimateWait('default', observation({ tasksWaiting: 12, longestWaitSeconds: 200 }));
    for (const estimate of [one, many]) {
      expect(estimate.waitRange!.low).toBeLessThan(estimate.estimatedWaitSeconds!);
      expect(estimate.waitRange!.high).toBeGreaterThan(estimate.estimatedWaitSeconds!);
    }
    const relativeWidth = (e: typeof one) => (e.waitRange!.high - e.waitRange!.low) / e.estimatedWaitSeconds!;
    expect(relativeWidth(many)).toBeLessThan(relativeWidth(one));
    expect(estimateWait('default', observation({ tasksWaiting: 0, availableWorkers: 4, tasksInService: 1 })).waitRange).toEqual({ low: 0, high: 60 });
  });

  it('is the gamma quantiles of the estimate: 10% and 90% of an exponential for one departure ahead', () => {
    const o = observation({ tasksWaiting: 0, tasksAccepted: 1e9 });
    const range = waitRange(o, { estimatedWaitSeconds: 100, confidence: 'high' }, { headOfLineWeight: 0, drainEvidence: 0, rangeModelVariance: 0, ownWaitWeight: 0, rateEvidence: 0 });
    expect(range).toEqual({ low: Math.floor(-100 * Math.log(0.9)), high: Math.ceil(-100 * Math.log(0.1)) });
  });

  it('stores the model\'s shape: 1 / (1/(waiting + 1) + 1/acceptances + model variance), two decimals', () => {
    // 4 waiting → 5 ahead; 30 acceptances; variance 0.15: 1 / (0.2 + 0.0333 + 0.15) = 2.61.
    expect(estimateWait('default', observation(), null, { headOfLineWeight: 0, drainEvidence: 0, rangeModelVariance: 0.15, ownWaitWeight: 0, rateEvidence: 0 }).waitShape).toBe(2.61);
    expect(estimateWait('default', observation({ eligibleWorkers: 0 })).waitShape).toBeNull();
  });
});

describe('phrases from the predicted distribution', () => {
  it('says "about N minutes" for the N whose interval is most likely, not the rounded mean', () => {
    // Exponential with mean 150 s: the mode is at 0, so the likeliest "about N" is 1 minute, not 3 (the rounded mean).
    expect(spokenWait({ meanSeconds: 150, shape: 1 }, 'approximate')).toMatchObject({ phrase: 'about 1 minute', minutes: 1, minSeconds: 30, maxSeconds: 90 });
    // A narrow model around 270 s: about 5 minutes (4.5–5.5 min holds the most).
    const narrow = spokenWait({ meanSeconds: 300, shape: 50 }, 'approximate');
    expect(narrow.phrase).toBe('about 5 minutes');
    expect(probabilityBetween({ meanSeconds: 300, shape: 50 }, narrow.minSeconds, narrow.maxSeconds)).toBeGreaterThan(probabilityBetween({ meanSeconds: 300, shape: 50 }, 210, 270));
    // Past ten minutes, steps of five.
    expect(spokenWait({ meanSeconds: 1200, shape: 100 }, 'approximate')).toMatchObject({ phrase: 'about 20 minutes', minSeconds: 1050, maxSeconds: 1350 });
  });

  it('promises "less than a minute" only when the model breaks it for at most 2% of callers', () => {
    expect(spokenWait({ meanSeconds: 0, shape: 1 }, 'approximate')).toMatchObject({ phrase: 'less than a minute', minutes: 0 });
    // Mean 20 s, exponential: P(wait > 120 s) = e^-6 = 0.25%: promised.
    expect(promiseHolds({ meanSeconds: 20, shape: 1 })).toBe(true);
    expect(spokenWait({ meanSeconds: 20, shape: 1 }, 'approximate').phrase).toBe('less than a minute');
    // Mean 40 s: P(> 120 s) = e^-3 = 5%: not promised, although under a minute is the likeliest.
    expect(promiseHolds({ meanSeconds: 40, shape: 1 })).toBe(false);
    expect(spokenWait({ meanSeconds: 40, shape: 1 }, 'approximate').phrase).toBe('about 1 minute');
  });

  it(`judges the promise on a tail no thinner than a gamma of shape ${PROMISE_TAIL_SHAPE}, however many callers are ahead`, () => {
    // Mean 45 s, ten departures ahead: the Erlang tail past 120 s is 0.007%, but at shape 2.5 it is
    // 2.04%, over the 2% allowed.
    expect(1 - gammaCdf(10, 120 / 4.5)).toBeLessThan(0.0001);
    expect(1 - gammaCdf(PROMISE_TAIL_SHAPE, 120 / (45 / PROMISE_TAIL_SHAPE))).toBeGreaterThan(0.02);
    expect(promiseHolds({ meanSeconds: 45, shape: 10 })).toBe(false);
    expect(spokenWait({ meanSeconds: 45, shape: 10 }, 'approximate').phrase).toBe('about 1 minute');
    // Mean 35 s: 0.42% at shape 2.5, so it is promised.
    expect(promiseHolds({ meanSeconds: 35, shape: 10 })).toBe(true);
    // A model already wider than the cap is judged as it is: mean 40 s at shape 2 breaks it for 1.7%.
    expect(promiseHolds({ meanSeconds: 40, shape: 2 })).toBe(true);
    expect(promiseHolds({ meanSeconds: 50, shape: 2 })).toBe(false);
  });

  it('speaks the other styles from the same model', () => {
    expect(spokenWait({ meanSeconds: 300, shape: 4 }, 'less-than')).toMatchObject({ minSeconds: 0 });
    const lessThan = spokenWait({ meanSeconds: 300, shape: 4 }, 'less-than');
    expect(probabilityBetween({ meanSeconds: 300, shape: 4 }, 0, lessThan.maxSeconds)).toBeGreaterThanOrEqual(0.9);
    const range = spokenWait({ meanSeconds: 300, shape: 4 }, 'range');
    expect(range.phrase).toMatch(/^\d+ to \d+ minutes$/);
    expect(probabilityBetween({ meanSeconds: 300, shape: 4 }, range.minSeconds, range.maxSeconds)).toBeGreaterThanOrEqual(0.8);
  });

  it('speaks of the wait still to come for a caller who has waited', () => {
    const model = { meanSeconds: 300, shape: 8 };
    const fresh = spokenWait(model, 'approximate').minutes;
    const later = spokenWait({ ...model, waitedSeconds: 240 }, 'approximate').minutes;
    expect(later).toBeLessThan(fresh);
    expect(later).toBeGreaterThanOrEqual(1);
  });
});

describe('the model\'s distribution, exactly', () => {
  it('is the gamma CDF, conditioned on the wait so far, and nothing for a free slot', () => {
    // Exponential, mean 100 s: P(W ≤ 100) = 1 − e^-1; memoryless after any wait.
    expect(probabilityBetween({ meanSeconds: 100, shape: 1 }, 0, 100)).toBeCloseTo(1 - Math.exp(-1), 9);
    expect(probabilityBetween({ meanSeconds: 100, shape: 1, waitedSeconds: 250 }, 0, 100)).toBeCloseTo(1 - Math.exp(-1), 9);
    expect(probabilityBetween({ meanSeconds: 100, shape: 1 }, 100, 200)).toBeCloseTo(Math.exp(-1) - Math.exp(-2), 9);
    expect(probabilityBetween({ meanSeconds: 100, shape: 1 }, -5, 100)).toBeCloseTo(1 - Math.exp(-1), 9);
    // Erlang(2), mean 100 (scale 50), having waited 50: P(W ≤ 150 | W > 50) from the closed form.
    const survive = (t: number) => Math.exp(-t / 50) * (1 + t / 50);
    expect(probabilityBetween({ meanSeconds: 100, shape: 2, waitedSeconds: 50 }, 0, 100)).toBeCloseTo((survive(50) - survive(150)) / survive(50), 9);
    // A free slot: all of the probability at 0.
    expect(probabilityBetween({ meanSeconds: 0, shape: 1 }, 0, 1)).toBe(1);
    expect(probabilityBetween({ meanSeconds: 0, shape: 1 }, 1, 60)).toBe(0);
    expect(probabilityBetween({ meanSeconds: 100, shape: 1 }, 50, 40)).toBe(0);
  });

  it('far in the tail, the wait still to come is one more gap between departures', () => {
    // Shape 50, mean 100: having waited an hour, the model has no weight left; exponential with scale 2 s.
    expect(probabilityBetween({ meanSeconds: 100, shape: 50, waitedSeconds: 3600 }, 0, 2)).toBeCloseTo(1 - Math.exp(-1), 9);
    // A tiny scale is floored at 1 s.
    expect(probabilityBetween({ meanSeconds: 10, shape: 100, waitedSeconds: 3600 }, 0, 1)).toBeCloseTo(1 - Math.exp(-1), 9);
    expect(expectedRemainingWait(100, 50, 3600)).toBeCloseTo(2, 9);
    expect(expectedRemainingWait(0, 1, 10)).toBe(0);
  });

  it('inverts to the quantile of the wait still to come, capped at 122,880 s', () => {
    // Not yet waited: the gamma's own quantile; exponential mean 100: the 90th percentile is 100 ln 10.
    expect(remainingQuantile({ meanSeconds: 100, shape: 1 }, 0.9)).toBeCloseTo(100 * Math.log(10), 6);
    // Memoryless: the same after 250 s waited, found by bisection this time.
    expect(remainingQuantile({ meanSeconds: 100, shape: 1, waitedSeconds: 250 }, 0.9)).toBeCloseTo(100 * Math.log(10), 6);
    // Erlang(2) after 50 s: the bisection's answer puts exactly p of the remaining wait below it.
    const erlang = { meanSeconds: 100, shape: 2, waitedSeconds: 50 };
    for (const p of [0.1, 0.5, 0.9]) expect(remainingCdf(erlang, remainingQuantile(erlang, p))).toBeCloseTo(p, 9);
    // Far in the tail: one more gap between departures (exponential, scale 2 s): the median is 2 ln 2.
    expect(remainingQuantile({ meanSeconds: 100, shape: 50, waitedSeconds: 3600 }, 0.5)).toBeCloseTo(2 * Math.log(2), 6);
    // A free slot has no wait at all; a model of weeks stops at the cap instead of searching on.
    expect(remainingQuantile({ meanSeconds: 0, shape: 1, waitedSeconds: 30 }, 0.9)).toBe(0);
    expect(remainingQuantile({ meanSeconds: 1e6, shape: 1, waitedSeconds: 10 }, 0.9)).toBe(122_880);
  });
});

describe('the other speech styles, exactly', () => {
  it('less-than: the smallest natural bound above the 90th percentile', () => {
    // Exponential mean 100: 90th percentile 230.3 s, so "less than 4 minutes".
    expect(spokenWait({ meanSeconds: 100, shape: 1 }, 'less-than')).toEqual({ phrase: 'less than 4 minutes', minSeconds: 0, maxSeconds: 240, minutes: 4 });
    // 90th percentile 691 s: past ten minutes, steps of five.
    expect(spokenWait({ meanSeconds: 300, shape: 1 }, 'less-than')).toMatchObject({ phrase: 'less than 15 minutes', maxSeconds: 900 });
    // Narrow and short: under a minute with the promise kept.
    expect(spokenWait({ meanSeconds: 30, shape: 30 }, 'less-than')).toMatchObject({ phrase: 'less than a minute', minutes: 0 });
    // Short but not promised (P(wait > 2 min) = e^-4 = 1.8%... kept; e^-3 = 5% is not).
    expect(spokenWait({ meanSeconds: 40, shape: 1 }, 'less-than')).toMatchObject({ phrase: 'less than 2 minutes', maxSeconds: 120 });
    // Promised (e^-4 = 1.8%) but the 90th percentile is 69 s: the bound, not "less than a minute".
    expect(spokenWait({ meanSeconds: 30, shape: 1 }, 'less-than')).toMatchObject({ phrase: 'less than 2 minutes', maxSeconds: 120 });
    // A heavy tail (shape 0.05): 90% wait under 31 s, but too many wait past 2 minutes to promise it.
    expect(promiseHolds({ meanSeconds: 20, shape: 0.05 })).toBe(false);
    expect(spokenWait({ meanSeconds: 20, shape: 0.05 }, 'less-than')).toMatchObject({ phrase: 'less than 2 minutes', maxSeconds: 120 });
  });

  it('range: the 10th to 90th percentile in whole minutes', () => {
    // Erlang(4), mean 400: 10th percentile 174 s, 90th 667 s → "2 to 12 minutes".
    const range = spokenWait({ meanSeconds: 400, shape: 4 }, 'range');
    expect(range).toEqual({ phrase: '2 to 12 minutes', minSeconds: 120, maxSeconds: 720, minutes: 7 });
    // Starting under a minute: "less than N minutes".
    expect(spokenWait({ meanSeconds: 100, shape: 1 }, 'range')).toEqual({ phrase: 'less than 4 minutes', minSeconds: 0, maxSeconds: 240, minutes: 4 });
    // All under a minute, promised.
    expect(spokenWait({ meanSeconds: 20, shape: 40 }, 'range')).toMatchObject({ phrase: 'less than a minute' });
    // Under two minutes but not under one, and under one without the promise: never "less than a minute".
    expect(spokenWait({ meanSeconds: 30, shape: 1 }, 'range')).toMatchObject({ phrase: 'less than 2 minutes', maxSeconds: 120 });
    expect(spokenWait({ meanSeconds: 20, shape: 0.05 }, 'range')).toMatchObject({ phrase: 'less than 2 minutes', maxSeconds: 120 });
    // Of the wait still to come: Erlang(4) mean 400 after 300 s waited is narrower and lower.
    expect(spokenWait({ meanSeconds: 400, shape: 4, waitedSeconds: 300 }, 'range').maxSeconds).toBeLessThan(720);
  });

  it('approximate: ties go to the first candidate, and every "about N" up to the tail is considered', () => {
    // A model centred on 20 minutes, narrow: the 5-minute step there.
    expect(spokenWait({ meanSeconds: 1200, shape: 400 }, 'approximate').phrase).toBe('about 20 minutes');
    // Far out, hours: still an "about N" near the mean.
    expect(spokenWait({ meanSeconds: 3 * 3600, shape: 400 }, 'approximate').phrase).toBe('about 180 minutes');
    expect(spokenWait({ meanSeconds: 10 * 3600, shape: 400 }, 'approximate').phrase).toBe('about 600 minutes');
    // Narrow, with its 99.9th percentile at 1,879 s: the candidates reach 30 minutes (27.5–32.5), where it lies.
    expect(remainingQuantile({ meanSeconds: 1850, shape: 40_000 }, 0.999)).toBeCloseTo(1850 * (1 + 3.09 / 200), -1);
    expect(spokenWait({ meanSeconds: 1850, shape: 40_000 }, 'approximate')).toMatchObject({ phrase: 'about 30 minutes', minSeconds: 1650, maxSeconds: 1950 });
  });
});
