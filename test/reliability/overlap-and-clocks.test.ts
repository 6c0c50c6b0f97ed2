/**
 * Overlapping refreshers (a late cron run beside a loop, two hosts) and clocks that disagree.
 */
import { startFunctions, type FunctionsServer } from '../../dev/local-stack';
import { staticWorkspace } from '../../dev/workspace-model';
import { entryAgeMs, readAllQueues, readSnapshotMeta, type QueueWaitEntry } from '../../src/cache/snapshot';
import { refreshOnce } from '../../src/refresh';
import { startTestStack, type TestStack } from '../helpers';
import { record } from './report';

const QUEUES = 300;
const model = staticWorkspace({ queueCount: QUEUES, seed: 83 });
let slowRequests = false;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ model, double: { fault: () => (slowRequests ? { kind: 'delay', ms: 400 } : undefined) } });
});
afterAll(() => stack.stop());

describe('overlapping refreshers', () => {
  it('an older run that finishes last never overwrites the newer snapshot', async () => {
    slowRequests = true;
    const older = refreshOnce(stack.config, { redis: stack.redis });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the older run's requests are on their way
    slowRequests = false;
    const newer = await refreshOnce(stack.config, { redis: stack.redis });
    const olderReport = await older;
    const meta = await readSnapshotMeta(stack.redis, model.workspaceSid);
    const survived = newer.outcome === 'written' && olderReport.outcome === 'superseded' && meta!.sequence === newer.snapshot.meta.sequence;
    record({ kind: 'fault', area: 'Overlap', fault: 'older run finishes after a newer one', survived, dataLost: !survived, detail: `newer ${newer.outcome}, older ${olderReport.outcome}` });
    expect(olderReport.outcome).toBe('superseded');
    expect(meta!.sequence).toBe(newer.snapshot.meta.sequence);
  });

  it('readers always see one whole snapshot while refreshes overlap', async () => {
    let reading = true;
    let reads = 0;
    let mixed = 0;
    let partial = 0;
    const reader = (async () => {
      while (reading) {
        const entries = await readAllQueues(stack.redis, model.workspaceSid, 'voice');
        reads++;
        if (new Set(entries.map((entry: QueueWaitEntry) => entry.readAt)).size !== 1) mixed++;
        if (entries.length !== QUEUES) partial++;
      }
    })();
    // Eight refreshers, started 15 ms apart, the even ones slowed down: they overlap and finish out of order.
    const runs = Array.from({ length: 8 }, (_, index) =>
      new Promise((resolve) => setTimeout(resolve, index * 15)).then(() => {
        slowRequests = index % 2 === 0;
        return refreshOnce(stack.config, { redis: stack.redis });
      }),
    );
    const reports = await Promise.all(runs);
    slowRequests = false;
    reading = false;
    await reader;
    const newest = Math.max(...reports.map((report) => report.snapshot.meta.sequence));
    const meta = await readSnapshotMeta(stack.redis, model.workspaceSid);
    const survived = mixed === 0 && partial === 0 && meta!.sequence === newest;
    record({ kind: 'fault', area: 'Overlap', fault: 'eight overlapping refreshers, readers polling', survived, dataLost: !survived, detail: `${reads} reads, ${mixed} mixed, ${partial} partial; ${reports.filter((report) => report.outcome === 'superseded').length} runs superseded` });
    expect(reads).toBeGreaterThan(0);
    expect(mixed).toBe(0);
    expect(partial).toBe(0);
    expect(meta!.sequence).toBe(newest);
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
    await refreshOnce(stack.config, { redis: stack.redis, now: () => Date.now() + skewMs });
    const body = await answer();
    const survived = body.ageSeconds >= 0 && body.ageSeconds <= 5 && body.stale === false;
    record({ kind: 'fault', area: 'Clock skew', fault: name, survived, dataLost: false, detail: `ageSeconds ${body.ageSeconds}, stale ${body.stale}` });
    expect(body.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(body.ageSeconds).toBeLessThanOrEqual(5);
    expect(body.stale).toBe(false);
  });

  it('old data shows its age and is stale, whatever the refresher clock', async () => {
    // The statistics were read (first clock reading) 10 minutes before the write, on a refresher whose
    // clock is also 10 minutes fast.
    const skew = 600_000;
    let readings = 0;
    await refreshOnce(stack.config, { redis: stack.redis, now: () => Date.now() + skew - (readings++ === 0 ? 600_000 : 0) });
    const body = await answer();
    const survived = body.ageSeconds >= 595 && body.ageSeconds <= 610 && body.stale === true;
    record({ kind: 'fault', area: 'Clock skew', fault: 'old data, fast refresher clock', survived, dataLost: false, detail: `ageSeconds ${body.ageSeconds}, stale ${body.stale}` });
    expect(body.stale).toBe(true);
    expect(body.ageSeconds).toBeGreaterThanOrEqual(595);
  });

  it('a Function with a wrong clock still ages by Redis time', () => {
    const entry = { readAt: '2026-01-01T00:00:00.000Z' } as QueueWaitEntry;
    const clock = { redisNowMs: Date.parse('2026-01-01T00:01:30.000Z'), localNowMs: 5_000, offsetMs: 0 };
    // The local clock is nonsense (5 s after the epoch); 2 s later it reads 7 s: the age moves by 2 s.
    expect(entryAgeMs(entry, clock, 7_000)).toBe(92_000);
    expect(entryAgeMs(entry, { ...clock, offsetMs: 200_000 }, 5_000)).toBe(0);
  });
});
