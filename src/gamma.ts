/**
 * The gamma distribution's CDF and quantiles, for predicted wait ranges: the wait of a caller with k
 * departures ahead at rate r is Erlang(k, r), a gamma with shape k. No dependency ships this small
 * piece, so it is written here: the regularized lower incomplete gamma P(a, x) by its series for
 * x < a + 1 and by Lentz's continued fraction for the upper tail otherwise.
 */

const EPSILON = 1e-12;
const MAX_ITERATIONS = 500;

/**
 * ln Γ(a) for a > 0 (Lanczos approximation, g = 7, n = 9). Below a = 0.5 it agrees with the reflection
 * formula to 2e-15 relative down to a = 0.01, the smallest shape the estimator uses, so no reflection.
 */
function logGamma(a: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = a - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(shape, x): the probability that a gamma(shape, scale 1) variable is at most x. */
export function gammaCdf(shape: number, x: number): number {
  return regularizedLowerGamma(shape, logGamma(shape), x);
}

/**
 * P(shape, ·) for one shape, for callers that evaluate it many times (a quantile's search): ln Γ(shape)
 * is worked out once, and shape 1 (the exponential) is its closed form, 1 − e^(−x).
 */
export function gammaCdfOf(shape: number): (x: number) => number {
  if (shape === 1) return (x) => (x <= 0 ? 0 : -Math.expm1(-x));
  const logGammaShape = logGamma(shape);
  return (x) => regularizedLowerGamma(shape, logGammaShape, x);
}

function regularizedLowerGamma(shape: number, logGammaShape: number, x: number): number {
  if (x <= 0) return 0;
  const logPrefix = shape * Math.log(x) - x - logGammaShape;
  if (x < shape + 1) {
    let term = 1 / shape;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS && Math.abs(term) > Math.abs(sum) * EPSILON; n++) {
      term *= x / (shape + n);
      sum += term;
    }
    return Math.min(1, sum * Math.exp(logPrefix));
  }
  // Upper tail Q(a, x) = e^(a ln x − x − ln Γ(a)) / (x + 1 − a − 1·(1 − a)/(x + 3 − a − …)).
  let b = x + 1 - shape;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let fraction = d;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    const an = -n * (n - shape);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.max(0, 1 - Math.exp(logPrefix) * fraction);
}

/** The p-quantile of a gamma distribution with this shape and mean (bisection on the CDF). */
export function gammaQuantile(p: number, shape: number, mean: number): number {
  if (!(p > 0 && p < 1) || !(shape > 0) || !(mean > 0)) throw new RangeError('gammaQuantile needs 0 < p < 1, shape > 0 and mean > 0');
  const cdf = gammaCdfOf(shape);
  let low = 0;
  let high = Math.max(1, shape);
  while (cdf(high) < p) high *= 2;
  for (let i = 0; i < 100 && high - low > 1e-9 * high; i++) {
    const mid = (low + high) / 2;
    if (cdf(mid) < p) low = mid;
    else high = mid;
  }
  return ((low + high) / 2) * (mean / shape);
}
