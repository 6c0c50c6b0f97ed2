import { defaultEstimate, estimateWait, headOfLineEstimate, originalEstimate, queueLengthEstimate, queueLengthWait } from '../src/estimator';
import { observation } from './helpers';

describe('estimators', () => {
  it('original: the mean in-queue wait of accepted tasks', () => {
    expect(originalEstimate(observation())).toEqual({ estimatedWaitSeconds: 90, confidence: 'high' });
    expect(originalEstimate(observation({ tasksAccepted: 0 }))).toEqual({ estimatedWaitSeconds: null, confidence: 'none', reason: 'no_recent_acceptances' });
    expect(originalEstimate(observation({ avgWaitUntilAcceptedSeconds: null }))).toMatchObject({ estimatedWaitSeconds: null });
  });

  it('head of line: the oldest waiting task, or at once when agents are free', () => {
    expect(headOfLineEstimate(observation())).toEqual({ estimatedWaitSeconds: 120, confidence: 'low' });
    expect(headOfLineEstimate(observation({ tasksWaiting: 0, availableWorkers: 2 }))).toEqual({ estimatedWaitSeconds: 0, confidence: 'high' });
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

  it('default: head of line for one caller waiting, moved towards queue length for more', () => {
    expect(defaultEstimate(observation({ tasksWaiting: 1, longestWaitSeconds: 70 }))).toEqual({ estimatedWaitSeconds: 70, confidence: 'high' });
    // 4 waiting, no abandonment: queue length 150 s, head of line 120 s: 120 + 0.4 × 30 = 132.
    expect(defaultEstimate(observation({ tasksCanceled: 0 }))).toEqual({ estimatedWaitSeconds: 132, confidence: 'high' });
  });

  it('default: low confidence, with a reason, when the window saw few acceptances', () => {
    expect(defaultEstimate(observation({ tasksAccepted: 3, tasksCanceled: 0 }))).toMatchObject({ confidence: 'low', reason: 'few_recent_acceptances' });
    expect(defaultEstimate(observation({ tasksAccepted: 0, tasksWaiting: 2 }))).toEqual({ estimatedWaitSeconds: 120, confidence: 'low', reason: 'no_recent_acceptances' });
  });
});
