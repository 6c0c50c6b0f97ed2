/**
 * Overlapping refreshers (a late cron run beside a loop, two hosts) and clocks that disagree.
 */
import { startFunctions, type FunctionsServer } from '../../dev/local-stack';
import { sidFor, staticWorkspace, type WorkspaceModel } from '../../dev/workspace-model';
import { refreshAgeMs } from '../../src/cache/entry';
import { readAllEntries, readQueue, readRefreshRecord } from '../../src/cache/read';
import { refreshOnce, type RefreshReport } from '../../src/refresh';
import { createGate, type Gate } from '../../dev/gate';
import { startTestStack, type TestStack } from '../helpers';
import { record } from './report';
import { cacheState, lostData } from './cache-loss';

const QUEUES = 300;
const base = staticWorkspace({ queueCount: QUEUES, seed: 83 });
const basePending = (sid: string) => (base.realtime(sid, 'voice')['tasks_by_status'] as { pending: number }).pending;
/**
 * Every statistics read is a new generation, and every queue's waiting count carries it, so every
 * refresh changes every entry and a reader can tell which refresh an entry came from.
 */
let generation = 0;
let generations = 0;
const generationBySequence = new Map<number, number>();
const model: WorkspaceModel = {
  ...base,
  realtime: (sid, channel) => {
    const realtime = base.realtime(sid, channel);
    return { ...realtime, tasks_by_status: { ...(realtime['tasks_by_status'] as object), pending: basePending(sid) + generation } };
  },
};
/**
 * Each held run signs in with its own API key, so the double can tell its requests from every other
 * run's: the first request of that key is held until the test opens the run's gate.
 */
const RUNS = 8;
const apiKeys = Object.fromEntries(Array.from({ length: RUNS }, (_, index) => [sidFor('SK', `overlap-${index}`), `secret-${index}`]));
const holds = new Map<string, { release: Gate; arrived: Gate }>();
const generationByUser = new Map<string, number>();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    model,
    double: {
      apiKeys,
      fault: (request) => {
        if (!request.path.endsWith('/TaskQueues/Statistics')) return undefined;
        const own = ++generations;
        generationByUser.set(request.user, own);
        const hold = holds.get(request.user);
        if (!hold) {
          generation = own;
          return undefined;
        }
        holds.delete(request.user);
        hold.arrived.open();
        // The statistics are computed when the request is let go: with this run's generation.
        return { kind: 'hold', until: hold.release.opened.then(() => void (generation = own)) };
      },
    },
  });
});
afterAll(() => stack.stop());

/**
 * Starts refresh number `index` (its own API key) with its statistics request held, and returns once
 * that request has reached the double: by then the run has taken its number from Redis, so runs
 * started one after another this way are numbered in that order, and none finishes until released.
 */
async function heldRefresh(index: number, forceFull = false): Promise<{ report: Promise<RefreshReport>; release: () => void }> {
  const [apiKey, secret] = Object.entries(apiKeys)[index]!;
  const hold = { release: createGate(), arrived: createGate() };
  holds.set(apiKey, hold);
  const config = { ...stack.config, twilio: { ...stack.config.twilio!, username: apiKey, password: secret } };
  const report = refreshOnce(config, { redis: stack.redis, forceFull }).then((done) => {
    generationBySequence.set(done.snapshot.record.sequence, generationByUser.get(apiKey)!);
    return done;
  });
  await Promise.race([hold.arrived.opened, report]);
  return { report, release: hold.release.open };
}

describe('overlapping refreshers', () => {
  it('an older run that finishes last never overwrites the newer snapshot', async () => {
    const older = await heldRefresh(0);
    const newer = await refreshOnce(stack.config, { redis: stack.redis });
    // What the newer run wrote must be exactly what is there after the older one finishes.
    const written = await cacheState(stack);
    older.release();
    const olderReport = await older.report;
    const lost = lostData(written, await cacheState(stack));
    const meta = await readRefreshRecord(stack.redis, model.workspaceSid);
    const survived = newer.outcome === 'written' && olderReport.outcome === 'superseded' && meta!.sequence === newer.snapshot.record.sequence && lost.length === 0;
    record({ kind: 'fault', area: 'Overlap', fault: 'older run finishes after a newer one', survived, dataLost: lost.length > 0, detail: `newer ${newer.outcome}, older ${olderReport.outcome}${lost.length > 0 ? `; LOST: ${lost.slice(0, 3).join(', ')}` : ''}` });
    expect(lost).toEqual([]);
    expect(newer.snapshot.record.sequence).toBeGreaterThan(olderReport.snapshot.record.sequence);
    expect(olderReport.outcome).toBe('superseded');
    expect(meta!.sequence).toBe(newer.snapshot.record.sequence);
  });

  it('readers never see an entry and a refresh record that do not belong together, while refreshes overlap', async () => {
    await refreshOnce(stack.config, { redis: stack.redis });
    const before = await cacheState(stack);
    let reading = true;
    const seen: { generation: number; sequence: number }[] = [];
    let partial = 0;
    const reader = (async () => {
      for (let read = 0; reading; read++) {
        const queue = model.queues()[read % QUEUES]!;
        const lookup = await readQueue(stack.redis, model.workspaceSid, 'voice', { queueSid: queue.sid });
        if (!lookup.found) throw new Error(`queue ${queue.sid} missing: ${lookup.reason}`);
        seen.push({ generation: lookup.entry.tasksWaiting! - basePending(queue.sid), sequence: lookup.refresh.sequence });
        if ((await readAllEntries(stack.redis, model.workspaceSid, 'voice')).length !== QUEUES) partial++;
      }
    })();
    // Eight refreshers (two of them full writes), all started (numbered 0..7) before any finishes, then
    // let go in a scrambled order, each to the end before the next: runs 3 and 7 are each the newest
    // when they write; between two releases the readers read.
    const runs = [];
    for (let index = 0; index < RUNS; index++) runs.push(await heldRefresh(index, index === 3 || index === 5));
    const order = [3, 0, 7, 5, 1, 6, 2, 4];
    const outcomes: Record<number, string> = {};
    for (const index of order) {
      const readsBefore = seen.length;
      runs[index]!.release();
      outcomes[index] = (await runs[index]!.report).outcome;
      while (seen.length < readsBefore + 3) await new Promise((resolve) => setImmediate(resolve));
    }
    reading = false;
    await reader;
    const reports = await Promise.all(runs.map((run) => run.report));
    const sequences = reports.map((report) => report.snapshot.record.sequence);
    const meta = await readRefreshRecord(stack.redis, model.workspaceSid);
    const expected = { 0: 'superseded', 1: 'superseded', 2: 'superseded', 3: 'written', 4: 'superseded', 5: 'superseded', 6: 'superseded', 7: 'written' };
    // Every read's entry carries the generation of the refresh whose record came with it.
    const mixed = seen.filter(({ generation: entryGeneration, sequence }) => generationBySequence.has(sequence) && generationBySequence.get(sequence) !== entryGeneration).length;
    const checked = seen.filter(({ sequence }) => generationBySequence.has(sequence)).length;
    const lost = lostData(before, await cacheState(stack));
    const survived = mixed === 0 && partial === 0 && meta!.sequence === sequences[7] && JSON.stringify(outcomes) === JSON.stringify(expected) && lost.length === 0;
    expect(lost).toEqual([]);
    record({ kind: 'fault', area: 'Overlap', fault: 'eight overlapping refreshers, readers polling', survived, dataLost: lost.length > 0, detail: `${seen.length} reads (${checked} of runs started here), ${mixed} mixed, ${partial} partial; ${reports.filter((report) => report.outcome === 'superseded').length} runs superseded` });
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(outcomes).toEqual(expected);
    expect(checked).toBeGreaterThan(10);
    expect(mixed).toBe(0);
    expect(partial).toBe(0);
    expect(meta!.sequence).toBe(sequences[7]);
  });
});

describe('clock skew', () => {
  let functions: FunctionsServer;
  beforeAll(async () => {
    functions = await startFunctions({ ...stack.env, STALE_AFTER_SECONDS: '120' }, { warm: true });
  }, 60_000);
  afterAll(() => functions.stop());
  const queueSid = model.queues()[0]!.sid;
  const answer = async () => (await fetch(`${functions.url}/get-queue-times?queueSid=${queueSid}`)).json() as Promise<{ ageSeconds: number; stale: boolean }>;

  it.each([
    ['refresher clock 10 minutes fast', 600_000],
    ['refresher clock 10 minutes slow', -600_000],
  ])('%s: fresh data is fresh, never a negative age', async (name, skewMs) => {
    const before = await cacheState(stack);
    await refreshOnce(stack.config, { redis: stack.redis, now: () => Date.now() + skewMs });
    const lost = lostData(before, await cacheState(stack));
    expect(lost).toEqual([]);
    const body = await answer();
    const survived = body.ageSeconds >= 0 && body.ageSeconds <= 5 && body.stale === false;
    record({ kind: 'fault', area: 'Clock skew', fault: name, survived, dataLost: lost.length > 0, detail: `ageSeconds ${body.ageSeconds}, stale ${body.stale}` });
    expect(body.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(body.ageSeconds).toBeLessThanOrEqual(5);
    expect(body.stale).toBe(false);
  });

  it('old data shows its age and is stale, whatever the refresher clock', async () => {
    // The statistics were read (first clock reading) 10 minutes before the write, on a refresher whose
    // clock is also 10 minutes fast.
    const skew = 600_000;
    let readings = 0;
    const before = await cacheState(stack);
    await refreshOnce(stack.config, { redis: stack.redis, now: () => Date.now() + skew - (readings++ === 0 ? 600_000 : 0) });
    const lost = lostData(before, await cacheState(stack));
    expect(lost).toEqual([]);
    const body = await answer();
    const survived = body.ageSeconds >= 595 && body.ageSeconds <= 610 && body.stale === true;
    record({ kind: 'fault', area: 'Clock skew', fault: 'old data, fast refresher clock', survived, dataLost: lost.length > 0, detail: `ageSeconds ${body.ageSeconds}, stale ${body.stale}` });
    expect(body.stale).toBe(true);
    expect(body.ageSeconds).toBeGreaterThanOrEqual(595);
  });

  it('a Function with a wrong clock still ages by Redis time', () => {
    const refresh = { readAtMs: Date.parse('2026-01-01T00:00:00.000Z'), clockOffsetMs: 0 };
    const clock = { redisNowMs: Date.parse('2026-01-01T00:01:30.000Z'), localNowMs: 5_000 };
    // The local clock is nonsense (5 s after the epoch); 2 s later it reads 7 s: the age moves by 2 s.
    expect(refreshAgeMs(refresh, clock, 7_000)).toBe(92_000);
    expect(refreshAgeMs({ ...refresh, clockOffsetMs: 200_000 }, clock, 5_000)).toBe(0);
  });
});
