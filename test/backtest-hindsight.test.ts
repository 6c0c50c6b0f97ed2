/**
 * The backtest's hindsight bound: the most often a rule deciding per cell could tell callers a true
 * phrase while keeping "less than a minute" within a share of broken promises. Checked on cells whose
 * optimum is worked out by hand, and against the linear programme's optimum found by brute force on
 * generated cells.
 */
import fc from 'fast-check';
import type { HeardCaller } from '../bench/backtest/heard';
import { HINDSIGHT_FACTS, hindsightByFound, hindsightByQueue, hindsightCell, phraseTrueInHindsight, rmseRatioInHindsight, rmseRatioInHindsightFor } from '../bench/backtest/hindsight';
import { FOUND } from '../bench/backtest/heard';

interface Made {
  queue?: string;
  wait: number;
  outcome?: HeardCaller['outcome'];
  found?: HeardCaller['found'];
  available?: number | null;
  ours?: number | null;
  original?: number | null;
  priority?: number;
}

function heard({ queue = 'Q', wait, outcome = 'accepted', found = 'callers waiting in its line', available = 0, ours = 40, original = 20, priority = 0 }: Made): HeardCaller {
  return { queue, channel: 'voice', day: 0, outcome, priority, waitSeconds: wait, estimates: { default: ours, original, 'head-of-line': null, 'queue-length': null }, range: null, shape: null, found, availableWorkers: available };
}

const repeat = (count: number, made: Made) => Array.from({ length: count }, () => heard(made));

/**
 * Cell A: ten callers at a free slot (two agents Available, the queue's mean wait 5 s), all answered at
 * once. Cell B: ten behind a line (mean wait 20 s): eight answered in 10 s, two after 200 s.
 */
const cellA = repeat(10, { wait: 0, found: 'free slot', available: 2, ours: 0, original: 5 });
const cellB = [...repeat(8, { wait: 10 }), ...repeat(2, { wait: 200 })];

describe('the hindsight bound on phrase truth with the promise kept', () => {
  it('puts callers in cells by queue, what they found, agents Available and the band of the queue mean wait; the second family adds the default estimate band, the third the caller\'s priority', () => {
    expect(hindsightCell(cellA[0]!, 'reading')).toBe('Q|free slot|2|0');
    expect(hindsightCell(cellB[0]!, 'reading')).toBe('Q|callers waiting in its line|0|1');
    expect(hindsightCell(heard({ wait: 0, available: 7, original: 120 }), 'reading')).toBe('Q|callers waiting in its line|3|4');
    expect(hindsightCell(heard({ wait: 0, available: null, original: 119 }), 'reading')).toBe('Q|callers waiting in its line|unknown|3');
    expect(hindsightCell(heard({ wait: 0, original: 14 }), 'reading')).toBe('Q|callers waiting in its line|0|0');
    expect(hindsightCell(heard({ wait: 0, original: 15 }), 'reading')).toBe('Q|callers waiting in its line|0|1');
    expect(hindsightCell(heard({ wait: 0, original: null }), 'reading')).toBe('Q|callers waiting in its line|0|none');
    expect(hindsightCell(cellA[0]!, 'reading and default')).toBe('Q|free slot|2|0|zero');
    expect(hindsightCell(heard({ wait: 0, ours: 14 }), 'reading and default')).toBe('Q|callers waiting in its line|0|1|0');
    expect(hindsightCell(heard({ wait: 0, ours: 60 }), 'reading and default')).toBe('Q|callers waiting in its line|0|1|3');
    expect(hindsightCell(heard({ wait: 0, priority: 5 }), 'reading, default and priority')).toBe('Q|callers waiting in its line|0|1|2|5');
    expect(hindsightCell(cellA[0]!, 'reading, default and priority')).toBe('Q|free slot|2|0|zero|0');
  });

  it('spends the allowance of broken promises where it buys the most true phrases, a fraction of a cell at the margin', () => {
    // 3% of the 20 callers told "less than a minute" may break: A gives 0.3 of allowance, B needs 1.7
    // (two broken of ten). The best "about" for B is "about 3 minutes" (true for the two), so telling
    // B gains 6 at 1.7 apiece: 0.3 / 1.7 of it. True: 10 + 2 + 6 × 0.3 / 1.7 of 20.
    const bound = phraseTrueInHindsight('Q', [...cellA, ...cellB], 0.03, 'reading');
    expect(bound).toMatchObject({ group: 'Q', facts: 'reading', scored: 20, cells: 2, limit: 0.03 });
    expect(bound.phraseTrue).toBeCloseTo((12 + (6 * 0.3) / 1.7) / 20, 10);
    // With no limit each cell takes its better phrase; with none allowed B cannot be told it at all.
    expect(phraseTrueInHindsight('Q', [...cellA, ...cellB], 1, 'reading').phraseTrue).toBeCloseTo(18 / 20, 10);
    expect(phraseTrueInHindsight('Q', [...cellA, ...cellB], 0, 'reading').phraseTrue).toBeCloseTo(12 / 20, 10);
  });

  it('gives up true phrases in one cell to buy the allowance another needs, when that gains more', () => {
    // C: ten answered in 10 s, two hung up after 200 s; 10% may break, so telling all of C uses 2 − 1.2
    // = 0.8. P: ten answered in 70 s, "about 1 minute" for all; telling P "less than a minute" costs its
    // ten true phrases and frees 1.0. Telling C fully and P four fifths: 10 (P's) + 10 − 8 = 12 of 20.
    const consumer = [...repeat(10, { wait: 10, available: 1 }), ...repeat(2, { wait: 200, outcome: 'abandoned', available: 1 })];
    const producer = repeat(10, { wait: 70, available: 2 });
    expect(phraseTrueInHindsight('Q', [...consumer, ...producer], 0.1, 'reading').phraseTrue).toBeCloseTo(12 / 20, 10);
  });

  it('counts abandoned callers in the promise, not in phrase truth, and leaves out callers either estimator gave no number', () => {
    // Two abandoned after 300 s join cell A: its allowance becomes 12 × 3% − 2 < 0, so A itself now costs.
    const abandoned = repeat(2, { wait: 300, outcome: 'abandoned', found: 'free slot', available: 2, ours: 0, original: 5 });
    const unnumbered = [heard({ wait: 900, ours: null }), heard({ wait: 900, original: null })];
    const bound = phraseTrueInHindsight('Q', [...cellA, ...abandoned, ...unnumbered], 0.03, 'reading');
    expect(bound.scored).toBe(10);
    expect(bound.cells).toBe(1);
    // A alone: 12 heard, 2 broken (16.7% > 3%): "less than a minute" would be true for all ten answered
    // but cannot be said; the best "about" is true for none.
    expect(bound.phraseTrue).toBe(0);
    expect(phraseTrueInHindsight('Q', [...cellA, ...abandoned], 0.2, 'reading').phraseTrue).toBe(1);
  });

  it('bounds each queue at the per-queue limit and everyone at the overall one, on every family', () => {
    const other = repeat(4, { queue: 'R', wait: 30, available: 1 });
    const bounds = hindsightByQueue([...cellB, ...cellA, ...other]);
    expect(bounds.map((families) => [families.reading.group, families.reading.limit, ...HINDSIGHT_FACTS.map((facts) => families[facts].facts)])).toEqual([
      ['Q', 0.03, ...HINDSIGHT_FACTS],
      ['R', 0.03, ...HINDSIGHT_FACTS],
      ['all', 0.02, ...HINDSIGHT_FACTS],
    ]);
    expect(bounds[0]!.reading.phraseTrue).toBeCloseTo((12 + (6 * 0.3) / 1.7) / 20, 10);
    expect(bounds[0]!.reading.rmseRatio).toBeCloseTo(rmseRatioInHindsight([...cellB, ...cellA], 'reading'), 10);
    // R: four answered in 30 s, nobody over the limit: "less than a minute" for all.
    expect(bounds[1]!.reading.phraseTrue).toBe(1);
    expect(bounds[2]!.reading.scored).toBe(24);
  });

  it('gives the least RMSE of one number per cell against the original\'s, on the answered callers both gave a number', () => {
    // A: ten waits of 0, told 0 (its mean), against the original's 5 s: 10 × 25. B: eight of 10 s and two
    // of 200 s, told their mean 48 s: 8 × 38² + 2 × 152², against the original's 20 s: 8 × 10² + 2 × 180².
    const cellSquared = 8 * 38 ** 2 + 2 * 152 ** 2;
    const originalSquared = 10 * 25 + 8 * 10 ** 2 + 2 * 180 ** 2;
    const ignored = [heard({ wait: 900, outcome: 'abandoned' }), heard({ wait: 900, ours: null }), heard({ wait: 900, original: null })];
    expect(rmseRatioInHindsight([...cellA, ...cellB, ...ignored], 'reading')).toBeCloseTo(Math.sqrt(cellSquared / originalSquared), 10);
    // The two long waits were priority callers: knowing the priority puts them in a cell of their own.
    const byPriority = [...cellA, ...repeat(8, { wait: 10 }), ...repeat(2, { wait: 200, priority: 1 })];
    expect(rmseRatioInHindsight(byPriority, 'reading and default')).toBeCloseTo(Math.sqrt(cellSquared / originalSquared), 10);
    expect(rmseRatioInHindsight(byPriority, 'reading, default and priority')).toBe(0);
    // The original exactly right: no ratio.
    expect(rmseRatioInHindsight(repeat(3, { wait: 20 }), 'reading')).toBeNaN();
  });

  it('says where the room is: the ratio over everyone had only one state\'s callers been told their cell\'s mean', () => {
    // The original's error over A and B: 10 × 5² + 8 × 10² + 2 × 180². The default tells A 0 (right)
    // and B 40 s: 8 × 30² + 2 × 160². B in hindsight, as above: 8 × 38² + 2 × 152².
    const originalSquared = 10 * 25 + 8 * 10 ** 2 + 2 * 180 ** 2;
    const defaultOnB = 8 * 30 ** 2 + 2 * 160 ** 2;
    const ignored = [heard({ wait: 900, outcome: 'abandoned' }), heard({ wait: 900, ours: null }), heard({ wait: 900, original: null, found: 'free slot' })];
    const callers = [...cellA, ...cellB, ...ignored];
    // A was told its mean already: no room there.
    expect(rmseRatioInHindsightFor(callers, 'reading', 'free slot')).toBeCloseTo(Math.sqrt(defaultOnB / originalSquared), 10);
    expect(rmseRatioInHindsightFor(callers, 'reading', 'callers waiting in its line')).toBeCloseTo(Math.sqrt((8 * 38 ** 2 + 2 * 152 ** 2) / originalSquared), 10);
    // A state nobody found changes nothing.
    expect(rmseRatioInHindsightFor(callers, 'reading', 'own line empty, no free slot')).toBeCloseTo(Math.sqrt(defaultOnB / originalSquared), 10);
    const rows = hindsightByFound(callers);
    expect(rows.map(({ found, scored }) => [found, scored])).toEqual([['free slot', 10], ['callers waiting in its line', 10]]);
    expect(rows[1]!.rmseRatio['reading and default']).toBeCloseTo(rows[1]!.rmseRatio.reading, 10);
    expect(rmseRatioInHindsightFor(repeat(3, { wait: 20 }), 'reading', 'callers waiting in its line')).toBeNaN();
  });

  it('splits the gap between the default and the hindsight into the states\' shares, which add up to it (generated callers)', () => {
    const made = fc.record({
      found: fc.constantFrom(...FOUND),
      available: fc.integer({ min: 0, max: 4 }),
      wait: fc.integer({ min: 0, max: 600 }),
      ours: fc.integer({ min: 0, max: 600 }),
      original: fc.integer({ min: 0, max: 600 }),
      priority: fc.integer({ min: 0, max: 1 }),
      abandoned: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(made, { minLength: 1, maxLength: 30 }), fc.constantFrom(...HINDSIGHT_FACTS), (made, facts) => {
        const callers = made.map((m) => heard({ ...m, outcome: m.abandoned ? 'abandoned' : 'accepted' }));
        const answered = callers.filter((caller) => caller.outcome === 'accepted');
        const originalSquared = answered.reduce((sum, caller) => sum + (caller.estimates.original! - caller.waitSeconds) ** 2, 0);
        if (originalSquared === 0) return FOUND.every((found) => Number.isNaN(rmseRatioInHindsightFor(callers, facts, found)));
        const asTold = answered.reduce((sum, caller) => sum + (caller.estimates.default! - caller.waitSeconds) ** 2, 0) / originalSquared;
        const gaps = FOUND.map((found) => asTold - rmseRatioInHindsightFor(callers, facts, found) ** 2);
        const total = asTold - rmseRatioInHindsight(callers, facts) ** 2;
        // A gap may be negative: the default tells callers of one cell different numbers, and can beat its mean.
        return Math.abs(gaps.reduce((sum, gap) => sum + gap, 0) - total) <= 1e-9 * Math.max(1, asTold);
      }),
      { numRuns: 500 },
    );
  });

  it('is no more than the error of any other number per cell (generated cells)', () => {
    const cell = fc.record({ available: fc.integer({ min: 0, max: 3 }), waits: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 8 }), told: fc.integer({ min: 0, max: 600 }) });
    fc.assert(
      fc.property(fc.uniqueArray(cell, { minLength: 1, maxLength: 4, selector: (c) => c.available }), (cells) => {
        const callers = cells.flatMap((c) => c.waits.map((wait) => heard({ wait, available: c.available, original: 0 })));
        const originalSquared = callers.reduce((sum, caller) => sum + caller.waitSeconds ** 2, 0);
        const toldSquared = cells.reduce((sum, c) => sum + c.waits.reduce((inner, wait) => inner + (wait - c.told) ** 2, 0), 0);
        const ratio = rmseRatioInHindsight(callers, 'reading');
        if (originalSquared === 0) return Number.isNaN(ratio);
        return ratio <= Math.sqrt(toldSquared / originalSquared) + 1e-9;
      }),
      { numRuns: 500 },
    );
  });

  it('equals the best rule that tells each cell all or nothing but at most one cell in part (generated cells)', () => {
    // With one constraint the programme has an optimum with at most one cell told in part, so the bound
    // must equal the best of: every set of cells told in full, plus one more cell told as much as allowed.
    const cell = fc.record({
      found: fc.constantFrom<HeardCaller['found']>('free slot', 'own line empty, no free slot', 'callers waiting in its line'),
      available: fc.integer({ min: 0, max: 3 }),
      waits: fc.array(fc.record({ wait: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 61, max: 119 }), fc.integer({ min: 0, max: 700 })), abandoned: fc.boolean() }), { minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(cell, { minLength: 1, maxLength: 6, selector: (c) => `${c.found}|${c.available}` }), fc.constantFrom(0, 0.02, 0.03, 0.1, 0.5), (cells, limit) => {
        const callers = cells.flatMap((c) => c.waits.map(({ wait, abandoned }) => heard({ wait, found: c.found, available: c.available, outcome: abandoned ? 'abandoned' : 'accepted' })));
        const scored = callers.filter((caller) => caller.outcome === 'accepted').length;
        const bound = phraseTrueInHindsight('Q', callers, limit, 'reading');
        if (scored === 0) return Number.isNaN(bound.phraseTrue);
        const tallies = cells.map((c) => {
          const answered = c.waits.filter((w) => !w.abandoned).map((w) => w.wait);
          const inside = (low: number, high: number) => answered.filter((wait) => wait >= low && wait <= high).length;
          let best = 0;
          for (let minutes = 1; minutes <= 15; minutes += minutes < 10 ? 1 : 5) best = Math.max(best, minutes < 10 ? inside((minutes - 0.5) * 60, (minutes + 0.5) * 60) : inside((minutes - 2.5) * 60, (minutes + 2.5) * 60));
          const broken = c.waits.filter((w) => w.wait > 120).length;
          return { best, gain: inside(0, 60) - best, use: broken - limit * c.waits.length };
        });
        const base = tallies.reduce((sum, t) => sum + t.best, 0);
        let optimum = -Infinity;
        for (let told = 0; told < 1 << tallies.length; told++) {
          const members = tallies.filter((_, index) => (told >> index) & 1);
          const used = members.reduce((sum, t) => sum + t.use, 0);
          const value = base + members.reduce((sum, t) => sum + t.gain, 0);
          if (used <= 1e-9) optimum = Math.max(optimum, value);
          tallies.forEach((t, index) => {
            if ((told >> index) & 1 || t.use === 0) return;
            // The share x of this cell told, with used + x × use ≤ 0 and 0 ≤ x ≤ 1.
            const edge = -used / t.use;
            const [low, high] = t.use > 0 ? [0, Math.min(1, edge)] : [Math.max(0, edge), 1];
            if (low > high + 1e-12) return;
            optimum = Math.max(optimum, value + t.gain * (t.gain > 0 ? high : low));
          });
        }
        return Math.abs(bound.phraseTrue * scored - optimum) < 1e-6;
      }),
      { numRuns: 1000 },
    );
  });
});
