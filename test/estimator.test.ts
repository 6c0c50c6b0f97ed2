import { defaultEstimate, estimateWait, waitRange, headOfLineEstimate, originalEstimate, queueLengthEstimate, queueLengthWait } from '../src/estimator';
import { observation } from './helpers';

describe('estimators', () => {
  it('original: the mean in-queue wait of accepted tasks', () => {
    expect(originalEstimate(observation())).toEqual({ estimatedWaitSeconds: 90, confidence: 'high' });
    expect(originalEstimate(observation({ tasksAccepted: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_recent_acceptances' });
    expect(originalEstimate(observation({ avgWaitUntilAcceptedSeconds: null }))).toMatchObject({ estimatedWaitSeconds: null });
  });

  it('head of line: the oldest waiting task, or at once when agents are free', () => {
    expect(headOfLineEstimate(observation())).toEqual({ estimatedWaitSeconds: 120, confidence: 'low' });
    expect(headOfLineEstimate(observation({ tasksWaiting: 0, availableWorkers: 2, tasksInService: 1, avgWaitUntilAcceptedSeconds: 8 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
  });

  it('queue length: (ahead + 1) over throughput, less with abandonment', () => {
    // 30 accepted in 900 s: one every 30 s; 4 ahead + 1 = 150 s without abandonment.
    expect(queueLengthWait(5, 30 / 900, 0)).toBeCloseTo(150, 6);
    const noAbandon = queueLengthEstimate(observation({ tasksCanceled: 0 }));
    expect(noAbandon).toEqual({ estimatedWaitSeconds: 150, confidence: 'high' });
    // 2 canceled over 3100 s of waiting: each waiting caller leaves at 1/1550 per s, so callers ahead thin out.
    const withAbandon = queueLengthEstimate(observation());
    const expected = [0, 1, 2, 3, 4].reduce((sum, ahead) => sum + 1 / (30 / 900 + ahead * (2 / 3100)), 0);
    expect(withAbandon.estimatedWaitSeconds).toBe(Math.round(expected));
    expect(withAbandon.estimatedWaitSeconds!).toBeLessThan(150);
  });

  it('never answers zero from missing data', () => {
    for (const name of ['default', 'original', 'head-of-line', 'queue-length'] as const) {
      const estimate = estimateWait(name, observation({ tasksWaiting: null, longestWaitSeconds: null, availableWorkers: null, avgWaitUntilAcceptedSeconds: null, tasksAccepted: null }));
      expect(estimate.estimatedWaitSeconds).toBeNull();
      expect(estimate.confidence).toBe('none');
      expect(estimate.reason).toBeDefined();
    }
  });

  it('says why when nobody can answer', () => {
    expect(defaultEstimate(observation({ eligibleWorkers: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_eligible_workers' });
  });

  it('default: history when everyone is busy but nobody waits', () => {
    expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 0 }))).toEqual({ estimatedWaitSeconds: 90, confidence: 'high' });
    expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 0, tasksAccepted: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'no_recent_acceptances' });
  });

  it('default: head of line moved towards queue length while callers wait; never under a minute without evidence', () => {
    // 1 waiting for 70 s; queue length for position 2 at 1/30 per s thinned by abandonment: 59.4 s; 70 + 0.4 × (59.4 − 70) = 66.
    expect(defaultEstimate(observation({ tasksWaiting: 1, longestWaitSeconds: 70 }))).toEqual({ estimatedWaitSeconds: 66, confidence: 'high' });
    // Someone is waiting, so nothing says "at once": 10 + 0.4 × (59.4 − 10) = 30 s is raised to a minute.
    expect(defaultEstimate(observation({ tasksWaiting: 1, longestWaitSeconds: 10 }))).toEqual({ estimatedWaitSeconds: 60, confidence: 'high' });
    expect(headOfLineEstimate(observation({ tasksWaiting: 1, longestWaitSeconds: 10 })).estimatedWaitSeconds).toBe(10);
    // 4 waiting, no abandonment: queue length 150 s, head of line 120 s: 120 + 0.4 × 30 = 132.
    expect(defaultEstimate(observation({ tasksCanceled: 0 }))).toEqual({ estimatedWaitSeconds: 132, confidence: 'high' });
  });

  it('default: low confidence, with a reason, when the window saw few acceptances', () => {
    expect(defaultEstimate(observation({ tasksAccepted: 3, tasksCanceled: 0 }))).toMatchObject({ confidence: 'low', reason: 'few_recent_acceptances' });
    expect(defaultEstimate(observation({ tasksAccepted: 0, tasksWaiting: 2 }))).toEqual({ estimatedWaitSeconds: 120, confidence: 'low', reason: 'no_recent_acceptances' });
  });

  describe('workers as TaskRouter counts them', () => {
    it('after hours: every eligible worker logged out is "no agents", never a number', () => {
      const afterHours = observation({ eligibleWorkers: 5, loggedInWorkers: 0, availableWorkers: 0, tasksWaiting: 3, longestWaitSeconds: 400 });
      for (const name of ['default', 'head-of-line', 'queue-length'] as const) {
        expect(estimateWait(name, afterHours)).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'all_agents_logged_out', waitRange: null, waitShape: null });
      }
      // Logged in but on a break or Unavailable is not logged out: callers get a number.
      expect(defaultEstimate(observation({ loggedInWorkers: 2, availableWorkers: 0 })).estimatedWaitSeconds).not.toBeNull();
    });

    it('Available and nobody pending is not "at once" when recent callers waited minutes', () => {
      // A multitasking chat desk: agents stay Available at capacity; 28 of 30 accepted waited over a minute.
      const busyDesk = observation({ tasksWaiting: 0, availableWorkers: 4, acceptedQuickly: 2, avgWaitUntilAcceptedSeconds: 150 });
      expect(defaultEstimate(busyDesk)).toEqual({ estimatedWaitSeconds: 150, confidence: 'high' });
      expect(headOfLineEstimate(busyDesk).estimatedWaitSeconds).not.toBe(0);
      // Without the split, the mean acceptance wait decides.
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 4, avgWaitUntilAcceptedSeconds: 150 })).estimatedWaitSeconds).toBe(150);
    });

    it('"at once" with evidence: most recent callers answered within a minute', () => {
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 4, tasksInService: 3, acceptedQuickly: 28, avgWaitUntilAcceptedSeconds: 30 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 4, tasksInService: 3, avgWaitUntilAcceptedSeconds: 12 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
      // Quick answers, but each Available worker may be holding one of the queue's tasks: no promise, history (raised to a minute).
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 4, tasksInService: 4, acceptedQuickly: 30, avgWaitUntilAcceptedSeconds: 12 }))).toEqual({ estimatedWaitSeconds: 60, confidence: 'high' });
      // A quiet window: at once (low confidence) when an Available worker holds none of the queue's tasks.
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 1, tasksInService: 0, tasksAccepted: 0, avgWaitUntilAcceptedSeconds: 0 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'low', reason: 'no_recent_acceptances' });
      expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 1, tasksInService: 1, tasksAccepted: 3, acceptedQuickly: 3, avgWaitUntilAcceptedSeconds: 50 }))).toEqual({ estimatedWaitSeconds: 60, confidence: 'low', reason: 'few_recent_acceptances' });
    });

    it('lean statistics (no wait_duration_*) still give a number, at low confidence', () => {
      const lean = observation({ waitDurationsReported: false, totalWaitCanceledSeconds: null });
      expect(defaultEstimate(lean)).toMatchObject({ confidence: 'low', reason: 'missing_statistics' });
      expect(defaultEstimate(lean).estimatedWaitSeconds).toEqual(expect.any(Number));
      expect(originalEstimate(lean)).toEqual({ estimatedWaitSeconds: 90, confidence: 'low', reason: 'missing_statistics' });
    });
  });

  describe('predicted range', () => {
    it('holds the estimate, narrows as more callers are ahead, and is 0–60 s for "at once"', () => {
      const one = estimateWait('default', observation({ tasksWaiting: 1, longestWaitSeconds: 200 }));
      const many = estimateWait('default', observation({ tasksWaiting: 12, longestWaitSeconds: 200 }));
      for (const estimate of [one, many]) {
        expect(estimate.waitRange!.low).toBeLessThan(estimate.estimatedWaitSeconds!);
        expect(estimate.waitRange!.high).toBeGreaterThan(estimate.estimatedWaitSeconds!);
      }
      const relativeWidth = (e: typeof one) => (e.waitRange!.high - e.waitRange!.low) / e.estimatedWaitSeconds!;
      expect(relativeWidth(many)).toBeLessThan(relativeWidth(one));
      expect(estimateWait('default', observation({ tasksWaiting: 0, availableWorkers: 4, tasksInService: 1, acceptedQuickly: 30 })).waitRange).toEqual({ low: 0, high: 60 });
      expect(estimateWait('default', observation({ eligibleWorkers: 0 })).waitRange).toBeNull();
    });

    it('is the gamma quantiles of the estimate: 10% and 90% of Erlang(k) for k ahead when nothing else is uncertain', () => {
      // k = 1 departure ahead, no model variance, many acceptances: an exponential with the estimate as mean.
      const o = observation({ tasksWaiting: 0, availableWorkers: 0, tasksAccepted: 1e9, avgWaitUntilAcceptedSeconds: 100 });
      const range = waitRange(o, { estimatedWaitSeconds: 100, confidence: 'high' }, { queueLengthWeight: 0.4, rangeModelVariance: 0 });
      expect(range).toEqual({ low: Math.floor(-100 * Math.log(0.9)), high: Math.ceil(-100 * Math.log(0.1)) });
    });
  });

  describe('what each branch answers', () => {
    it('callers waiting and Available workers is not "at once": the waiting answer, raised to a minute', () => {
      expect(defaultEstimate(observation({ tasksWaiting: 2, availableWorkers: 3, tasksInService: 0, acceptedQuickly: 30, longestWaitSeconds: 20 }))).toEqual({ estimatedWaitSeconds: 60, confidence: 'high' });
      expect(defaultEstimate(observation({ tasksWaiting: 2, availableWorkers: 3, tasksInService: 0, acceptedQuickly: 30, longestWaitSeconds: 200 })).estimatedWaitSeconds).toBeGreaterThan(60);
    });

    it('without tasks_by_status: the window\'s history, low confidence, reason missing_statistics; nothing at all: null', () => {
      expect(defaultEstimate(observation({ tasksWaiting: null }))).toEqual({ estimatedWaitSeconds: 90, confidence: 'low', reason: 'missing_statistics' });
      expect(defaultEstimate(observation({ tasksWaiting: null, avgWaitUntilAcceptedSeconds: null }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'missing_statistics' });
      expect(defaultEstimate(observation({ tasksWaiting: 3, longestWaitSeconds: null }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'missing_statistics' });
    });

    it('a high-confidence estimate carries no reason', () => {
      expect(Object.keys(defaultEstimate(observation({ tasksCanceled: 0 })))).toEqual(['estimatedWaitSeconds', 'confidence']);
    });
  });

  describe('boundaries', () => {
    const quiet = { tasksWaiting: 0, availableWorkers: 4, tasksInService: 1 };
    it('"at once" needs at least 90% answered within a minute; without the split, a mean of at most 20 s', () => {
      expect(defaultEstimate(observation({ ...quiet, acceptedQuickly: 27 })).estimatedWaitSeconds).toBe(0);
      expect(defaultEstimate(observation({ ...quiet, acceptedQuickly: 26 })).estimatedWaitSeconds).toBe(90);
      expect(defaultEstimate(observation({ ...quiet, avgWaitUntilAcceptedSeconds: 20 })).estimatedWaitSeconds).toBe(0);
      expect(defaultEstimate(observation({ ...quiet, avgWaitUntilAcceptedSeconds: 21 })).estimatedWaitSeconds).toBe(60);
      expect(defaultEstimate(observation({ ...quiet, avgWaitUntilAcceptedSeconds: null }))).toMatchObject({ estimatedWaitSeconds: null });
      // Single-tasking: every Available worker is free, whatever is in service.
      expect(defaultEstimate(observation({ ...quiet, tasksInService: 9, multitasking: false, acceptedQuickly: 30 })).estimatedWaitSeconds).toBe(0);
      expect(defaultEstimate(observation({ ...quiet, tasksInService: null, acceptedQuickly: 30 })).estimatedWaitSeconds).toBe(90);
    });

    it('high confidence from 10 acceptances in the window', () => {
      expect(defaultEstimate(observation({ tasksAccepted: 10, tasksCanceled: 0 })).confidence).toBe('high');
      expect(defaultEstimate(observation({ tasksAccepted: 9, tasksCanceled: 0 }))).toMatchObject({ confidence: 'low', reason: 'few_recent_acceptances' });
    });

    it('queue length says why it has no answer', () => {
      expect(queueLengthEstimate(observation({ tasksWaiting: null }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
      expect(queueLengthEstimate(observation({ tasksAccepted: null }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
      expect(queueLengthEstimate(observation({ tasksAccepted: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'no_recent_acceptances' });
      expect(queueLengthEstimate(observation({ windowSeconds: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
      expect(headOfLineEstimate(observation({ tasksWaiting: 0, availableWorkers: 0 }))).toMatchObject({ estimatedWaitSeconds: null, reason: 'missing_statistics' });
      // No cancellations, or no waiting recorded: no abandonment correction (150 s exactly).
      expect(queueLengthEstimate(observation({ totalWaitAcceptedSeconds: 0, totalWaitCanceledSeconds: 0 })).estimatedWaitSeconds).toBe(150);
    });

    it('stores the model\'s shape: 1 / (1/(waiting + 1) + 1/acceptances + model variance), two decimals', () => {
      // 4 waiting → 5 ahead; 30 acceptances; variance 0.15: 1 / (0.2 + 0.0333 + 0.15) = 2.61.
      expect(estimateWait('default', observation()).waitShape).toBe(2.61);
      expect(estimateWait('default', observation({ eligibleWorkers: 0 })).waitShape).toBeNull();
    });
  });
});
