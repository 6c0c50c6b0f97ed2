/**
 * What a caller is told, chosen from the predicted distribution (distribution.ts) so that it comes true
 * as often as the model allows, instead of rounding the mean:
 * - approximate: "about N minutes" for the N whose interval holds the most probability; "less than a
 *   minute" only when that is the most likely and the promise holds (at most PROMISE_BREAK_SHARE of
 *   such callers wait over PROMISE_LIMIT_SECONDS, under the model);
 * - less-than: "less than N minutes" for the smallest natural N the wait stays under with the range's
 *   probability (RANGE_HIGH_QUANTILE);
 * - range: the predicted range in whole minutes.
 */
import { ENGLISH, fill, type SpeechStyle, type SpeechWords } from '../speech';
import { modelMean, probabilityBetweenOf, remainingCdf, remainingCdfOf, remainingQuantile, type WaitModel } from './distribution';
import { RANGE_HIGH_QUANTILE, RANGE_LOW_QUANTILE } from './wait';

/** A phrase, the actual waits it is true for (seconds), and the whole minutes it says (0: under a minute). */
export interface SpokenWait {
  phrase: string;
  minSeconds: number;
  maxSeconds: number;
  minutes: number;
}

/** "Less than a minute" is a promise: it may be broken for at most this share of the callers told it... */
export const PROMISE_BREAK_SHARE = 0.02;
/** ...by a wait longer than this. */
export const PROMISE_LIMIT_SECONDS = 120;

/** Minutes people say: whole minutes up to 10, then steps of 5. */
const step = (minutes: number) => (minutes < 10 ? 1 : 5);
const nextStep = (minutes: number) => minutes + step(minutes);

function underAMinute(words: SpeechWords): SpokenWait {
  return { phrase: words.lessThanAMinute, minSeconds: 0, maxSeconds: 60, minutes: 0 };
}

function about(minutes: number, words: SpeechWords): SpokenWait {
  const half = step(minutes) / 2;
  return { phrase: minutes === 1 ? words.aboutOneMinute : fill(words.aboutMinutes, { n: minutes }), minSeconds: (minutes - half) * 60, maxSeconds: (minutes + half) * 60, minutes };
}

/**
 * The promise is judged on a tail no thinner than a gamma of this shape. The model's shape counts the
 * departures ahead as if they came at a steady, known rate; the promise is a statement about the far
 * tail, where a rate that slows or was misread weighs most.
 */
export const PROMISE_TAIL_SHAPE = 2.5;

/**
 * Whether the model lets "less than a minute" be promised. It is judged on the reading's own part:
 * the window's part, which an aged reading mixes in (distribution.ts), widens every tail alike. Judged
 * with it, January's callers heard "less than a minute" less often and their phrase came true less
 * often (docs/accuracy.md).
 */
export function promiseHolds(model: WaitModel): boolean {
  const { aged: _window, ...reading } = model;
  return 1 - remainingCdf({ ...reading, shape: Math.min(reading.shape, PROMISE_TAIL_SHAPE) }, PROMISE_LIMIT_SECONDS) <= PROMISE_BREAK_SHARE;
}

/** The approximate phrase with the most probability under the model. */
function approximate(model: WaitModel, words: SpeechWords): SpokenWait {
  const candidates: SpokenWait[] = promiseHolds(model) ? [underAMinute(words)] : [];
  // Every "about N" whose interval starts before the model's 99.9th percentile: past it, no interval can
  // hold more than the 0.1% left, less than the likeliest one holds.
  const horizon = remainingQuantile(model, 0.999);
  for (let minutes = 1; minutes * 60 <= horizon + 150; minutes = nextStep(minutes)) candidates.push(about(minutes, words));
  const cdf = remainingCdfOf(model);
  let best = candidates[0]!;
  let bestProbability = -1;
  for (const candidate of candidates) {
    const probability = probabilityBetweenOf(cdf, candidate.minSeconds, candidate.maxSeconds);
    if (probability > bestProbability + 1e-12) {
      best = candidate;
      bestProbability = probability;
    }
  }
  return best;
}

/** The phrase for a caller under `model`, in `style`. */
export function spokenWait(model: WaitModel, style: SpeechStyle, words: SpeechWords = ENGLISH): SpokenWait {
  if (modelMean(model) <= 0) return underAMinute(words);
  switch (style) {
    case 'approximate':
      return approximate(model, words);
    case 'less-than': {
      const high = remainingQuantile(model, RANGE_HIGH_QUANTILE);
      if (high <= 60 && promiseHolds(model)) return underAMinute(words);
      let bound = 2;
      while (bound * 60 < high) bound = nextStep(bound);
      return { phrase: fill(words.lessThanMinutes, { n: bound }), minSeconds: 0, maxSeconds: bound * 60, minutes: bound };
    }
    case 'range': {
      const low = Math.floor(remainingQuantile(model, RANGE_LOW_QUANTILE) / 60);
      const high = Math.max(low + 1, Math.ceil(remainingQuantile(model, RANGE_HIGH_QUANTILE) / 60));
      if (high <= 1 && promiseHolds(model)) return underAMinute(words);
      if (low === 0) return { phrase: fill(words.lessThanMinutes, { n: Math.max(2, high) }), minSeconds: 0, maxSeconds: Math.max(2, high) * 60, minutes: Math.max(2, high) };
      return { phrase: fill(words.rangeMinutes, { low, high }), minSeconds: low * 60, maxSeconds: high * 60, minutes: Math.round((low + high) / 2) };
    }
  }
}
