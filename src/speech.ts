/**
 * What a caller hears: a wait in seconds turned into a rounded, natural phrase, in English by default
 * or in the words a deployment supplies.
 */

export const SPEECH_STYLES = ['approximate', 'less-than', 'range'] as const;
export type SpeechStyle = (typeof SPEECH_STYLES)[number];
/** The style callers hear unless SPEECH_STYLE says otherwise: the one the accuracy benchmark found truest. */
export const DEFAULT_SPEECH_STYLE: SpeechStyle = 'approximate';

/** Phrase templates. `{n}`, `{low}`, `{high}` are whole minutes; the language's Say voice is the flow's choice. */
export interface SpeechWords {
  lessThanAMinute: string;
  aboutOneMinute: string;
  aboutMinutes: string;
  lessThanMinutes: string;
  rangeMinutes: string;
  /** What hold music says; `{phrase}` is one of the phrases above. */
  holdAnnouncement: string;
}

export const ENGLISH: SpeechWords = {
  lessThanAMinute: 'less than a minute',
  aboutOneMinute: 'about 1 minute',
  aboutMinutes: 'about {n} minutes',
  lessThanMinutes: 'less than {n} minutes',
  rangeMinutes: '{low} to {high} minutes',
  holdAnnouncement: 'Thank you for waiting. Your expected wait is {phrase}.',
};

/** A phrase and the range of actual waits, in seconds, that it is true for. */
export interface Announcement {
  phrase: string;
  minSeconds: number;
  maxSeconds: number;
}

/** Minutes rounded the way people say them: whole minutes up to 10, then steps of 5. */
export function roundMinutes(seconds: number): number {
  const minutes = seconds / 60;
  if (minutes < 10) return Math.max(1, Math.round(minutes));
  return Math.round(minutes / 5) * 5;
}

/** The next natural step above `minutes`: +1 up to 10, then +5. */
function nextStep(minutes: number): number {
  return minutes < 10 ? minutes + 1 : minutes + 5;
}

export function fill(template: string, values: Record<string, number | string>): string {
  return template.replace(/\{(\w+)\}/g, (match, key: string) => (Object.hasOwn(values, key) ? String(values[key]) : match));
}

/**
 * The phrase for a wait of `seconds`, in `style`, with the range of actual waits it honestly covers
 * (used by the accuracy benchmark to score "did the caller's wait fall inside what we said").
 */
export function announce(seconds: number, style: SpeechStyle, words: SpeechWords = ENGLISH, range?: { low: number; high: number } | null): Announcement {
  if (style === 'range' && range) return announceRange(range, words);
  if (seconds < 60) return { phrase: words.lessThanAMinute, minSeconds: 0, maxSeconds: 60 };
  const minutes = roundMinutes(seconds);
  const step = minutes < 10 ? 1 : 5;
  switch (style) {
    case 'approximate':
      return {
        phrase: minutes === 1 ? words.aboutOneMinute : fill(words.aboutMinutes, { n: minutes }),
        minSeconds: (minutes - step / 2) * 60,
        maxSeconds: (minutes + step / 2) * 60,
      };
    case 'less-than': {
      let bound = 1;
      while (bound * 60 <= seconds) bound = nextStep(bound);
      return { phrase: fill(words.lessThanMinutes, { n: bound }), minSeconds: 0, maxSeconds: bound * 60 };
    }
    case 'range': {
      let low = 1;
      while (nextStep(low) * 60 <= seconds) low = nextStep(low);
      const high = nextStep(low);
      return { phrase: fill(words.rangeMinutes, { low, high }), minSeconds: low * 60, maxSeconds: high * 60 };
    }
  }
}

/**
 * The predicted range in whole minutes, widened outwards: "less than a minute" when it ends within the
 * first minute, "less than N minutes" when it starts there, else "L to H minutes".
 */
function announceRange(range: { low: number; high: number }, words: SpeechWords): Announcement {
  if (range.high <= 60) return { phrase: words.lessThanAMinute, minSeconds: 0, maxSeconds: 60 };
  const high = Math.ceil(range.high / 60);
  if (range.low < 60) return { phrase: fill(words.lessThanMinutes, { n: high }), minSeconds: 0, maxSeconds: high * 60 };
  const low = Math.floor(range.low / 60);
  return { phrase: fill(words.rangeMinutes, { low, high: Math.max(high, low + 1) }), minSeconds: low * 60, maxSeconds: Math.max(high, low + 1) * 60 };
}

/**
 * Words from a JSON object (e.g. the SPEECH_WORDS variable): any subset of SpeechWords' keys, each a
 * non-empty string; the rest stay English. Returns an error message instead of throwing.
 */
export function parseSpeechWords(json: string | undefined): SpeechWords | string {
  if (json === undefined) return ENGLISH;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return 'SPEECH_WORDS must be a JSON object';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'SPEECH_WORDS must be a JSON object';
  const words: SpeechWords = { ...ENGLISH };
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(ENGLISH, key)) return `SPEECH_WORDS has an unknown key "${key}"; known: ${Object.keys(ENGLISH).join(', ')}`;
    if (typeof value !== 'string' || value.trim() === '') return `SPEECH_WORDS.${key} must be a non-empty string`;
    words[key as keyof SpeechWords] = value;
  }
  return words;
}
