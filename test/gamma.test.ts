/** The gamma distribution against closed forms: Erlang CDFs, exponential quantiles, the chi-square median. */
import { gammaCdf, gammaCdfOf, gammaQuantile } from '../src/gamma';

/** Erlang(k) CDF at x (scale 1): 1 − e^(−x) Σ_{n<k} x^n / n!. */
function erlangCdf(k: number, x: number): number {
  let term = 1;
  let sum = 0;
  for (let n = 0; n < k; n++) {
    sum += term;
    term *= x / (n + 1);
  }
  return 1 - Math.exp(-x) * sum;
}

describe('gammaCdf', () => {
  it.each([
    [1, 0.5], [1, 3], [2, 0.1], [3, 2], [3, 8], [5, 4], [5, 6.5], [12, 9], [12, 30], [40, 35],
  ])('matches the Erlang CDF for shape %d at %d (series and continued fraction alike)', (k, x) => {
    expect(gammaCdf(k, x)).toBeCloseTo(erlangCdf(k, x), 10);
  });

  it('is 0 at and below 0, and tends to 1', () => {
    expect(gammaCdf(2, 0)).toBe(0);
    expect(gammaCdf(2, -1)).toBe(0);
    expect(gammaCdf(2, 200)).toBeCloseTo(1, 12);
  });

  it('handles shapes below one (the chi-square with one degree of freedom)', () => {
    // P(χ²₁ ≤ 1) = erf(1/√2) = 0.682689492…; χ²₁ is gamma(1/2) of x/2.
    expect(gammaCdf(0.5, 0.5)).toBeCloseTo(0.6826894921, 8);
    // Below one half, against the recurrence: P(a, x) = P(a + 1, x) + x^a e^−x / Γ(a + 1), Γ(1.25) = 0.9064024770554771.
    for (const x of [0.05, 0.7, 3]) expect(gammaCdf(0.25, x)).toBeCloseTo(gammaCdf(1.25, x) + (x ** 0.25 * Math.exp(-x)) / 0.9064024770554771, 10);
  });
});

describe('gammaCdfOf', () => {
  it('is gammaCdf for one shape, the exponential by its closed form', () => {
    for (const shape of [0.25, 1, 2.5, 12]) {
      const cdf = gammaCdfOf(shape);
      for (const x of [-1, 0, 0.01, 0.7, shape, 3 * shape + 5]) expect(cdf(x)).toBeCloseTo(gammaCdf(shape, x), 12);
    }
    for (const x of [0.001, 1, 30]) expect(gammaCdfOf(1)(x)).toBeCloseTo(1 - Math.exp(-x), 15);
  });
});

describe('gammaQuantile', () => {
  it('inverts the exponential exactly', () => {
    for (const p of [0.05, 0.1, 0.5, 0.9, 0.99]) expect(gammaQuantile(p, 1, 100)).toBeCloseTo(-100 * Math.log(1 - p), 6);
  });

  it('inverts the CDF for larger shapes, scaled to the mean', () => {
    for (const [p, shape, mean] of [[0.1, 4, 200], [0.9, 4, 200], [0.5, 12.5, 60], [0.9, 0.3, 30]] as const) {
      const q = gammaQuantile(p, shape, mean);
      expect(gammaCdf(shape, (q * shape) / mean)).toBeCloseTo(p, 7);
    }
    // The median of χ²₁ (gamma 1/2 with mean 1) is 0.4549364…
    expect(gammaQuantile(0.5, 0.5, 1)).toBeCloseTo(0.4549364231, 7);
  });

  it('refuses what has no quantile', () => {
    for (const [p, shape, mean] of [[0, 1, 1], [1, 1, 1], [0.5, 0, 1], [0.5, 1, 0], [Number.NaN, 1, 1]]) {
      expect(() => gammaQuantile(p!, shape!, mean!)).toThrow(new RangeError('gammaQuantile needs 0 < p < 1, shape > 0 and mean > 0'));
    }
  });
});
