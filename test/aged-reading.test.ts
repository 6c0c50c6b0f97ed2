import fc from 'fast-check';
import {
  answerAt, estimateWait, expectedRemainingWait, modelAt, modelMean, promiseHolds, rangeOf, READING_TIME_CONSTANT_SECONDS, remainingCdf, remainingMean, remainingQuantile, spokenWait, toldSeconds, waitRange, windowWait, windowWaitFor, type WaitModel,
} from '../src/estimator';
import { loadWaitTimeConfig } from '../src/config';
import { describeEntry } from '../src/endpoints/wait-time';
import { holdMusicTwiml } from '../src/endpoints/hold-music';
import { decodeEntry, encodeEntry, type QueueWaitEntry } from '../src/cache/entry';
import { ENGLISH } from '../src/speech';
import { observation } from './helpers';

describe('a model whose reading has aged: a mixture with the window', () => {
  it('a free slot keeps its atom at 0, and the window\'s exponential takes the rest', () => {
    const model = { meanSeconds: 0, shape: 1, aged: { weight: 0.4, meanSeconds: 100 } };
    expect(modelMean(model)).toBeCloseTo(40, 9);
    expect(remainingCdf(model, 0)).toBeCloseTo(0.6, 9);
    expect(remainingCdf(model, 100)).toBeCloseTo(0.6 + 0.4 * (1 - Math.exp(-1)), 9);
    // The atom holds 60%: the median is no wait; the 90th percentile solves 0.6 + 0.4 (1 − e^(−x/100)) = 0.9.
    expect(remainingQuantile(model, 0.5)).toBe(0);
    expect(remainingQuantile(model, 0.9)).toBeCloseTo(100 * Math.log(4), 6);
    // Once a caller has waited, the atom is behind them: the exponential's memoryless mean is left.
    expect(remainingMean({ ...model, waitedSeconds: 30 })).toBeCloseTo(100, 9);
    expect(remainingMean(model)).toBeCloseTo(40, 9);
  });

  it('two parts of a wait: the CDF is their weighted sum, the quantile inverts it, the remaining mean weighs each by its survival', () => {
    const erlangAndExponential = { meanSeconds: 200, shape: 2, aged: { weight: 0.5, meanSeconds: 100 } };
    const survive = (t: number) => Math.exp(-t / 100) * (1 + t / 100);
    expect(remainingCdf(erlangAndExponential, 150)).toBeCloseTo(0.5 * (1 - survive(150)) + 0.5 * (1 - Math.exp(-1.5)), 9);
    for (const p of [0.1, 0.5, 0.9]) expect(remainingCdf(erlangAndExponential, remainingQuantile(erlangAndExponential, p))).toBeCloseTo(p, 6);
    // Two exponentials, means 300 and 100, after 100 s: each part's mean is its own, weighted by e^(−100/mean).
    const two = { meanSeconds: 300, shape: 1, aged: { weight: 0.5, meanSeconds: 100 }, waitedSeconds: 100 };
    const [a, b] = [0.5 * Math.exp(-1 / 3), 0.5 * Math.exp(-1)];
    expect(remainingMean(two)).toBeCloseTo((a * 300 + b * 100) / (a + b), 9);
    // A single part is expectedRemainingWait's closed form.
    expect(remainingMean({ meanSeconds: 300, shape: 8, waitedSeconds: 120 })).toBeCloseTo(expectedRemainingWait(300, 8, 120), 9);
  });

  it('far past every part\'s mass, the wait still to come is the slower part\'s gap between departures', () => {
    // Shape 50, mean 100 (gaps of 2 s) beside an exponential of mean 1: after an hour neither has weight
    // left, and the tail that decays slowest, the 2 s gap, is what remains.
    const far = { meanSeconds: 100, shape: 50, aged: { weight: 0.5, meanSeconds: 1 }, waitedSeconds: 3600 };
    expect(remainingMean(far)).toBeCloseTo(2, 9);
    expect(remainingMean({ meanSeconds: 100, shape: 50, waitedSeconds: 3600 })).toBeCloseTo(2, 9);
    expect(remainingQuantile(far, 0.5)).toBeCloseTo(2 * Math.log(2), 6);
    // A free slot with nothing else: nobody waits on past 0.
    expect(remainingMean({ meanSeconds: 0, shape: 1, waitedSeconds: 30 })).toBe(0);
    expect(remainingMean({ meanSeconds: 0, shape: 1, aged: { weight: 0.5, meanSeconds: 0 }, waitedSeconds: 30 })).toBe(0);
  });

  it('no wait is shorter than none: the CDF is 0 below 0 seconds, atoms, waits begun and the far tail alike', () => {
    // Each model with its atom at 0: all of a free slot, the reading's share of an aged one, none otherwise.
    const models: [WaitModel, number][] = [
      [{ meanSeconds: 0, shape: 1 }, 1],
      [{ meanSeconds: 0, shape: 1, aged: { weight: 0.4, meanSeconds: 100 } }, 0.6],
      [{ meanSeconds: 200, shape: 2, aged: { weight: 0.5, meanSeconds: 100 }, waitedSeconds: 60 }, 0],
      [{ meanSeconds: 100, shape: 50, waitedSeconds: 3600 }, 0],
    ];
    for (const [model, atom] of models) {
      expect(remainingCdf(model, -1)).toBe(0);
      expect(remainingCdf(model, 0)).toBeCloseTo(atom, 12);
    }
  });

  it('a weight of 0 is the reading\'s own model, for any reading', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3600 }), fc.double({ min: 0.3, max: 60, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (mean, shape, p) => {
        const alone = { meanSeconds: mean, shape };
        const mixed = { ...alone, aged: { weight: 0, meanSeconds: 500 } };
        expect(remainingQuantile(mixed, p)).toBe(remainingQuantile(alone, p));
        expect(modelMean(mixed)).toBe(mean);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the answer at the moment a caller asks (modelAt)', () => {
  const reading = { estimatedWaitSeconds: 200, waitShape: 3, windowWaitSeconds: 50 };

  it('is the reading at once, and moves towards the window\'s wait with the reading\'s age', () => {
    expect(modelAt(reading, 0)).toEqual({ meanSeconds: 200, shape: 3 });
    const aged = modelAt(reading, READING_TIME_CONSTANT_SECONDS)!;
    expect(aged.aged).toEqual({ weight: 1 - Math.exp(-1), meanSeconds: 50 });
    expect(toldSeconds(aged)).toBe(Math.round(200 * Math.exp(-1) + 50 * (1 - Math.exp(-1))));
    // Told less the older the reading, never past the window's wait.
    const told = [0, 30, 120, 300, 900, 3600].map((age) => toldSeconds(modelAt(reading, age)!));
    expect(told).toEqual([...told].sort((x, y) => y - x));
    expect(told.at(-1)).toBeGreaterThanOrEqual(50);
  });

  it('an entry without the window\'s wait (written before it existed, or by another estimator) is the reading at any age', () => {
    expect(modelAt({ estimatedWaitSeconds: 200, waitShape: 3 }, 900)).toEqual({ meanSeconds: 200, shape: 3 });
    expect(modelAt({ estimatedWaitSeconds: 200 }, 900)).toEqual({ meanSeconds: 200, shape: 1 });
    expect(modelAt({ estimatedWaitSeconds: 200, waitShape: 3, windowWaitSeconds: null }, 900)).toEqual({ meanSeconds: 200, shape: 3 });
    expect(modelAt({ estimatedWaitSeconds: null, windowWaitSeconds: 50 }, 900)).toBeNull();
    expect(answerAt({ estimatedWaitSeconds: null, windowWaitSeconds: 50, waitRange: null }, 900)).toBeNull();
  });

  it('the range at once is the stored range, for any reading', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 50 }), (waiting, available, accepted, busy) => {
        const o = observation({ tasksWaiting: waiting, availableWorkers: available, tasksAccepted: accepted, tasksInService: busy, avgWaitUntilAcceptedSeconds: 40 });
        const estimate = estimateWait('default', o);
        const model = modelAt({ ...estimate, windowWaitSeconds: windowWaitFor('default', estimate.estimatedWaitSeconds, o) }, 0);
        if (model === null) expect(estimate.estimatedWaitSeconds).toBeNull();
        else expect(rangeOf(model)).toEqual(waitRange(o, estimate));
      }),
      { numRuns: 300 },
    );
  });

  it('a free slot keeps its minute in the range however old the reading', () => {
    const free = modelAt({ estimatedWaitSeconds: 0, waitShape: 1, windowWaitSeconds: 10 }, 60)!;
    expect(rangeOf(free)).toEqual({ low: 0, high: 60 });
    expect(rangeOf(modelAt({ estimatedWaitSeconds: 0, waitShape: 1, windowWaitSeconds: 200 }, 600)!).high).toBeGreaterThan(60);
  });

  it('"less than a minute" is promised on the reading alone: the window\'s tail neither grants nor withdraws it', () => {
    const free = modelAt({ estimatedWaitSeconds: 0, waitShape: 1, windowWaitSeconds: 400 }, 300)!;
    // Under the whole mixture more than 2% of callers would wait over two minutes...
    expect(1 - remainingCdf(free, 120)).toBeGreaterThan(0.02);
    // ...but the reading is a free slot, and its atom still holds the most probability.
    expect(promiseHolds(free)).toBe(true);
    expect(spokenWait(free, 'approximate').phrase).toBe('less than a minute');
    // A long line with a short window: no promise, however old.
    expect(promiseHolds(modelAt({ estimatedWaitSeconds: 600, waitShape: 5, windowWaitSeconds: 5 }, 3600)!)).toBe(false);
  });
});

describe('the window\'s wait an entry stores', () => {
  it('is the window\'s mean wait to two significant figures, whole seconds, and only beside a default estimate', () => {
    const at = (avg: number | null, accepted = 10) => windowWait(observation({ avgWaitUntilAcceptedSeconds: avg, tasksAccepted: accepted }));
    expect([at(7.4), at(37.4), at(143), at(1234), at(null), at(50, 0)]).toEqual([7, 37, 140, 1200, null, null]);
    const o = observation({ avgWaitUntilAcceptedSeconds: 37, tasksAccepted: 10 });
    expect(windowWaitFor('default', 90, o)).toBe(37);
    expect(windowWaitFor('default', null, o)).toBeNull();
    expect(windowWaitFor('original', 37, o)).toBeNull();
  });

  it('round-trips through the cache, and an entry without it decodes as before', () => {
    const entry: QueueWaitEntry = { queueSid: `WQ${'b'.repeat(32)}`, queueName: 'Sales', channel: 'voice', estimatedWaitSeconds: 0, waitRange: { low: 0, high: 60 }, waitShape: 1, windowWaitSeconds: 37, confidence: 'high', tasksWaiting: 0, availableWorkers: 2 };
    expect(decodeEntry(entry.queueSid, 'voice', encodeEntry(entry))).toEqual(entry);
    const { windowWaitSeconds: _window, ...older } = entry;
    expect(decodeEntry(entry.queueSid, 'voice', encodeEntry(older))).toEqual(older);
  });
});

describe('get-queue-times and hold music age the reading alike', () => {
  const config = loadWaitTimeConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}` });
  const READ_AT = Date.parse('2026-03-02T09:00:00Z');
  const lookup = (fields: Partial<QueueWaitEntry>) => ({
    found: true as const,
    entry: { queueSid: `WQ${'b'.repeat(32)}`, queueName: 'Sales', channel: 'voice', estimatedWaitSeconds: 200, waitRange: { low: 90, high: 340 }, waitShape: 3, confidence: 'high' as const, tasksWaiting: 2, availableWorkers: 0, ...fields },
    refresh: { sequence: 1, readAtMs: READ_AT, clockOffsetMs: 0 },
    clock: { redisNowMs: READ_AT, localNowMs: READ_AT },
  });

  it('at once, the stored answer; five minutes later, the aged one, in every field a caller hears', () => {
    expect(describeEntry(config, lookup({ windowWaitSeconds: 50 }), READ_AT, ENGLISH)).toMatchObject({ waitTime: 200, waitRange: { low: 90, high: 340 }, ageSeconds: 0 });
    const later = describeEntry(config, lookup({ windowWaitSeconds: 50 }), READ_AT + 300_000, ENGLISH);
    const model = modelAt({ estimatedWaitSeconds: 200, waitShape: 3, windowWaitSeconds: 50 }, 300)!;
    const spoken = spokenWait(model, 'approximate');
    expect(later).toMatchObject({ waitTime: toldSeconds(model), waitRange: rangeOf(model), waitMinutes: spoken.minutes, phrase: spoken.phrase, ageSeconds: 300 });
    expect(later.waitTime).toBeLessThan(200);
  });

  it('an entry written before the window\'s wait was stored answers as it always did, at any age (the upgrade path)', () => {
    expect(describeEntry(config, lookup({}), READ_AT + 300_000, ENGLISH)).toMatchObject({ waitTime: 200, waitRange: { low: 90, high: 340 }, ageSeconds: 300 });
  });

  it('hold music announces the aged model\'s remaining wait', () => {
    const hold = { holdMusicUrl: 'https://example.com/music.mp3', holdMusicSeconds: undefined, announceEverySeconds: 60, minimumAnnouncedSeconds: 60, speechStyle: 'approximate' as const };
    const request = { waitTime: undefined, queueSid: `WQ${'b'.repeat(32)}`, channel: 'voice', since: 1000, next: 1000 };
    const aged = { seconds: 300, shape: 6, aged: { weight: 0.7, meanSeconds: 60 } };
    const waited = 20;
    const expected = spokenWait({ meanSeconds: 300, shape: 6, waitedSeconds: waited, aged: aged.aged }, 'approximate').phrase;
    expect(holdMusicTwiml(hold, request, aged, ENGLISH, 1000 + waited)).toContain(`<Say>${ENGLISH.holdAnnouncement.replace('{phrase}', expected)}</Say>`);
    // Without the window's part the same reading says more: most of the mixture's weight is on the window's minute.
    expect([expected, spokenWait({ meanSeconds: 300, shape: 6, waitedSeconds: waited }, 'approximate').phrase]).toEqual(['about 1 minute', 'about 4 minutes']);
  });
});
