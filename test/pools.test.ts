/**
 * Queues that share workers: pools learned from target_workers and the Workers' attributes (as the
 * refresher reads them from the TaskRouter double), and the default estimate from a pool's work ahead.
 */
import { Simulation } from '../dev/simulation/engine';
import { loadScenario } from '../dev/simulation/scenario';
import { startTaskRouterDouble } from '../dev/taskrouter-double';
import { staticWorkspace } from '../dev/workspace-model';
import { DEFAULT_PARAMETERS, defaultEstimate, estimateWait, poolHistory, poolObservation, poolViews, queueLengthWait, waitRange, waitShape, type QueueHistory } from '../src/estimator';
import { queuePools, workerAttributes } from '../src/taskrouter/pools';
import { readWorkspace } from '../src/taskrouter/reader';
import { TaskRouterRest } from '../src/taskrouter/rest';
import { observation } from './helpers';

const worker = (...skills: string[]) => ({ attributes: { routing: { skills } } });
const queue = (sid: string, skill: string | null) => ({ sid, targetWorkers: skill === null ? null : `routing.skills HAS "${skill}"` });

describe('pools from target_workers and the Workers list', () => {
  it('joins queues that share a worker, through chains too, and leaves a team of its own alone', () => {
    const queues = [queue('WQ1', 'a'), queue('WQ2', 'b'), queue('WQ3', 'c'), queue('WQ4', 'd')];
    const { poolOf, resolvedShare } = queuePools(queues, [worker('a', 'b'), worker('b', 'c'), worker('d'), worker('A')]);
    expect([...poolOf]).toEqual([['WQ1', 'WQ1'], ['WQ2', 'WQ1'], ['WQ3', 'WQ1']]);
    expect(resolvedShare).toBe(1);
  });

  it('leaves a queue whose expression it cannot read alone, and says how many it read', () => {
    const queues = [queue('WQ1', 'a'), { sid: 'WQ2', targetWorkers: 'task.language == "es"' }, queue('WQ3', 'a'), queue('WQ4', null)];
    const { poolOf, resolvedShare } = queuePools(queues, [worker('a')]);
    expect([...poolOf]).toEqual([['WQ1', 'WQ1'], ['WQ3', 'WQ1']]);
    expect(resolvedShare).toBe(0.5);
  });

  it('matches the one-clause HAS form through its index exactly as the full evaluator does', () => {
    const workers = [worker('Sales', 'support'), worker('SUPPORT'), worker('billing'), { attributes: { routing: { skills: 'sales' } } }, { attributes: {} }];
    const fast = queuePools([queue('WQ1', 'support'), queue('WQ2', 'sales'), queue('WQ3', 'billing')], workers);
    const slow = queuePools(['support', 'sales', 'billing'].map((skill, index) => ({ sid: `WQ${index + 1}`, targetWorkers: `(routing.skills HAS "${skill}")` })), workers);
    expect(slow.poolOf).toEqual(fast.poolOf);
    expect([...fast.poolOf.keys()]).toEqual(['WQ1', 'WQ2']);
  });

  it('reads worker attributes as TaskRouter serves them (a JSON string), and anything else as none', () => {
    expect(workerAttributes('{"skills":["a"]}')).toEqual({ skills: ['a'] });
    expect(workerAttributes('not json')).toEqual({});
    expect(workerAttributes('[1]')).toEqual({});
    expect(workerAttributes({ skills: ['b'] })).toEqual({ skills: ['b'] });
    for (const none of ['null', '5', '"a"', ['a'], 5, null, undefined]) expect(workerAttributes(none)).toEqual({});
  });

  it('keys a pool by its smallest queue SID, whatever order the queues and workers come in', () => {
    const queues = [queue('WQ3', 'c'), queue('WQ2', 'b'), queue('WQ1', 'a'), queue('WQ4', 'nobody')];
    const { poolOf, resolvedShare } = queuePools(queues, [worker('c', 'b'), worker('b', 'a')]);
    expect([...poolOf]).toEqual([['WQ3', 'WQ1'], ['WQ2', 'WQ1'], ['WQ1', 'WQ1']]);
    expect(resolvedShare).toBe(1);
    expect(queuePools([], [worker('a')])).toEqual({ poolOf: new Map(), resolvedShare: 1 });
  });

  it('joins no pool through a queue it could read for some workers but not all', () => {
    // tag IN [...] is read for a worker whose tag is a string, not for one whose tag is a list.
    const workers = [{ attributes: { routing: { skills: ['a'] }, tag: 'x' } }, { attributes: { tag: ['x'] } }];
    const { poolOf, resolvedShare } = queuePools([queue('WQ1', 'a'), { sid: 'WQ2', targetWorkers: 'tag IN ["x"]' }], workers);
    expect([...poolOf]).toEqual([]);
    expect(resolvedShare).toBe(0.5);
  });

  it('indexes only the strings of a skill list', () => {
    const workers = [{ attributes: { routing: { skills: [1, 'A', null] } } }, worker('a')];
    expect([...queuePools([queue('WQ1', 'a'), queue('WQ2', '1')], workers).poolOf]).toEqual([]);
    expect([...queuePools([queue('WQ1', 'a'), queue('WQ2', 'a')], workers).poolOf]).toEqual([['WQ1', 'WQ1'], ['WQ2', 'WQ1']]);
  });

  it('is learned by the refresher from the double: the Workers list, one page per 1,000 workers', async () => {
    const sim = new Simulation(loadScenario('bank-own-team'), { startMs: Date.parse('2026-03-02T08:00:00Z') });
    sim.advanceTo(Date.parse('2026-03-02T08:30:00Z'));
    const big = staticWorkspace({ queueCount: 40, workerCount: 2500 });
    for (const [model, expected] of [[sim, 1], [big, 3]] as const) {
      const double = await startTaskRouterDouble({ model, authToken: 'token' });
      try {
        const client = new TaskRouterRest({ username: model.accountSid, password: 'token' }, { baseUrl: double.url, requestTimeoutMs: 5000, deadline: Date.now() + 30_000 });
        const reading = await readWorkspace(client, model.workspaceSid, ['voice'], 15);
        expect(double.stats.byEndpoint['workers']).toBe(expected);
        expect(reading.poolsResolved).toBe(1);
        const name = (sid: string) => reading.queueNames.get(sid);
        const pools = new Map<string, string[]>();
        for (const [sid, key] of reading.poolOf) pools.set(key, [...(pools.get(key) ?? []), name(sid)!].sort());
        if (model === sim) expect([...pools.values()]).toEqual([['PS', 'TT']]);
        else expect(pools.size).toBe(20);
      } finally {
        await double.close();
      }
    }
  });
});

describe('the default estimate in a pool', () => {
  const history = (busy: number): QueueHistory => ({ busy, coverage: 1, startedAtMs: 1, slotsPerWorker: null });

  it("sums a pool's counts, keeps its oldest wait and its most workers", () => {
    const a = observation({ tasksWaiting: 1, longestWaitSeconds: 30, availableWorkers: 0, eligibleWorkers: 5, tasksInService: 1, tasksAccepted: 2, totalWaitAcceptedSeconds: 100, tasksCanceled: 1, totalWaitCanceledSeconds: 50 });
    const b = observation({ tasksWaiting: 9, longestWaitSeconds: 200, availableWorkers: 0, eligibleWorkers: 7, tasksInService: 6, tasksAccepted: 58, totalWaitAcceptedSeconds: 2800, tasksCanceled: 3, totalWaitCanceledSeconds: 150 });
    const pool = poolObservation([a, b]);
    expect(pool).toMatchObject({ tasksWaiting: 10, longestWaitSeconds: 200, eligibleWorkers: 7, tasksInService: 7, tasksAccepted: 60, totalWaitAcceptedSeconds: 2900, tasksCanceled: 4, totalWaitCanceledSeconds: 200 });
    expect(pool.avgWaitUntilAcceptedSeconds).toBeCloseTo(2900 / 60, 10);
    // Every field: counts summed, the oldest wait and the worker counts at their largest, the rest as the first queue's or all of them say.
    const c = observation({ windowSeconds: 600, availableWorkers: 3, loggedInWorkers: 2, eligibleWorkers: 4, multitasking: false, acceptedQuickly: 4, tasksEntered: 5, waitDurationsReported: true });
    const d = observation({ windowSeconds: 600, availableWorkers: 1, loggedInWorkers: 6, eligibleWorkers: 9, multitasking: false, acceptedQuickly: 1, tasksEntered: 7, waitDurationsReported: false });
    expect(poolObservation([c, d])).toEqual({
      windowSeconds: 600, tasksWaiting: 8, longestWaitSeconds: 120, availableWorkers: 3, eligibleWorkers: 9, loggedInWorkers: 6, multitasking: false, tasksInService: 10,
      acceptedQuickly: 5, waitDurationsReported: false, avgWaitUntilAcceptedSeconds: 90, tasksEntered: 12, tasksAccepted: 60, tasksCanceled: 4, totalWaitCanceledSeconds: 800, totalWaitAcceptedSeconds: 5400,
    });
    expect(poolObservation([c, observation({ longestWaitSeconds: null, availableWorkers: null })])).toMatchObject({ longestWaitSeconds: 120, availableWorkers: 3, waitDurationsReported: true });
    expect(poolObservation([c, observation({ totalWaitAcceptedSeconds: null })])).toMatchObject({ tasksAccepted: 60, totalWaitAcceptedSeconds: null, avgWaitUntilAcceptedSeconds: null });
    expect(poolObservation([observation({ longestWaitSeconds: null }), observation({ longestWaitSeconds: null })]).longestWaitSeconds).toBeNull();
    expect(poolObservation([observation({ tasksAccepted: 0, totalWaitAcceptedSeconds: 0 }), observation({ tasksAccepted: 0, totalWaitAcceptedSeconds: 0 })]).avgWaitUntilAcceptedSeconds).toBeNull();
    expect(poolHistory([])).toBeNull();
    expect(poolHistory([{ busy: 1, coverage: 0.5, startedAtMs: 10, slotsPerWorker: 2 }, { busy: 2, coverage: 1, startedAtMs: 20, slotsPerWorker: 1 }])).toEqual({ busy: 3, coverage: 0.5, startedAtMs: 20, slotsPerWorker: null });
    expect(poolObservation([a, observation({ tasksWaiting: null })]).tasksWaiting).toBeNull();
    expect(poolHistory([history(1), history(6)])).toEqual({ busy: 7, coverage: 1, startedAtMs: 1, slotsPerWorker: null });
    expect(poolHistory([history(1), null])).toBeNull();
    const views = poolViews([{ queueSid: 'WQa', observation: a, history: history(1) }, { queueSid: 'WQb', observation: b, history: history(6) }, { queueSid: 'WQc', observation: a, history: null }], new Map([['WQa', 'WQa'], ['WQb', 'WQa']]));
    expect([...views.keys()]).toEqual(['WQa', 'WQb']);
    expect(views.get('WQa')).toBe(views.get('WQb'));
    expect(views.get('WQa')!.queues).toBe(2);
    // Queues without a pool key stand alone, however many there are.
    expect([...poolViews([{ queueSid: 'WQa', observation: a, history: null }, { queueSid: 'WQb', observation: b, history: null }], new Map()).keys()]).toEqual([]);
    // A pool of one queue is no pool.
    expect(poolViews([{ queueSid: 'WQa', observation: a, history: null }, { queueSid: 'WQb', observation: b, history: null }], new Map([['WQa', 'WQa'], ['WQb', 'WQb']])).size).toBe(0);
  });

  it("models a pooled queue's wait on the pool's line: the shape and range come from the pool's callers and acceptances", () => {
    const small = observation({ tasksWaiting: 0, availableWorkers: 0, tasksAccepted: 2 });
    const pool = observation({ tasksWaiting: 9, availableWorkers: 0, tasksAccepted: 60 });
    const poolView = { observation: pool, history: history(7), queues: 2 };
    const pooled = estimateWait('default', small, history(1), DEFAULT_PARAMETERS, poolView);
    expect(pooled.waitShape).toBe(waitShape(pool));
    expect(pooled.waitShape).not.toBe(waitShape(small));
    expect(pooled.waitRange).toEqual(waitRange(pool, pooled));
    // Another estimator given the same pool models the queue's own line.
    const original = estimateWait('original', small, history(1), DEFAULT_PARAMETERS, poolView);
    expect(original.waitShape).toBe(waitShape(small));
  });

  it("takes the work ahead in the pool at the pool's drain rate, then moves towards the queue's own waits", () => {
    const small = observation({ tasksWaiting: 1, longestWaitSeconds: 30, availableWorkers: 0, tasksInService: 1, tasksAccepted: 3, avgWaitUntilAcceptedSeconds: 40, totalWaitAcceptedSeconds: 120, tasksCanceled: 0, totalWaitCanceledSeconds: 0 });
    const pool = observation({ tasksWaiting: 10, longestWaitSeconds: 200, availableWorkers: 0, tasksInService: 7, tasksAccepted: 60, avgWaitUntilAcceptedSeconds: 50, totalWaitAcceptedSeconds: 3000, tasksCanceled: 0, totalWaitCanceledSeconds: 0 });
    const poolView = { observation: pool, history: history(7), queues: 2 };
    const alone = { ...DEFAULT_PARAMETERS, headOfLineWeight: 0, ownWaitWeight: 0, rateEvidence: 0 };
    // The pool drains 7 busy slots at 60 acceptances / 900 s of 7 busy on average: 60/900 per second.
    const byPool = queueLengthWait(11, 60 / 900, 0);
    expect(defaultEstimate(small, history(1), alone, poolView).estimatedWaitSeconds).toBe(Math.round(byPool));
    expect(defaultEstimate(small, history(1), { ...alone, headOfLineWeight: 0.5 }, poolView).estimatedWaitSeconds).toBe(Math.round(byPool + (200 - byPool) * 0.5));
    expect(defaultEstimate(small, history(1), { ...alone, ownWaitWeight: 0.5 }, poolView).estimatedWaitSeconds).toBe(Math.round(byPool + (40 - byPool) * 0.5));
    // Without a mean wait of its own (none of its callers accepted in the window), the pool's estimate stands.
    expect(defaultEstimate({ ...small, tasksAccepted: 0 }, history(1), { ...alone, ownWaitWeight: 0.5, rateEvidence: 1 }, poolView).estimatedWaitSeconds).toBe(Math.round(byPool));
    // Alone, the queue's own throughput (3 in 900 s) says its next caller waits far longer.
    expect(defaultEstimate(small, history(1), alone).estimatedWaitSeconds).toBe(Math.round(queueLengthWait(2, 3 / 900, 0)));
    // The own-wait weight only corrects a pool's estimate.
    expect(defaultEstimate(small, history(1), { ...alone, ownWaitWeight: 1 }).estimatedWaitSeconds).toBe(Math.round(queueLengthWait(2, 3 / 900, 0)));
  });

  it('still says a free slot is free, and no agents is no agents, whatever the pool', () => {
    const poolView = { observation: observation({ tasksWaiting: 10 }), history: history(7), queues: 2 };
    expect(defaultEstimate(observation({ tasksWaiting: 0, availableWorkers: 2, tasksInService: 0 }), null, DEFAULT_PARAMETERS, poolView).estimatedWaitSeconds).toBe(0);
    expect(defaultEstimate(observation({ loggedInWorkers: 0 }), null, DEFAULT_PARAMETERS, poolView)).toMatchObject({ estimatedWaitSeconds: null, reason: 'all_agents_logged_out' });
  });
});
