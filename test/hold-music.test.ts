/**
 * The hold-music loop driven for ten simulated minutes, as Twilio would run it: each document's clip
 * plays to its end (loop count × clip length, plus the announcement), then its <Redirect> is followed.
 */
import { expectedRemainingWait, spokenWait } from '../src/estimator';
import { holdMusicTwiml, parseHoldMusicRequest, type HoldEstimate, type HoldMusicConfig } from '../src/endpoints/hold-music';
import { announce, ENGLISH } from '../src/speech';

const START = 1_800_000_000;
/** Seconds Twilio takes to speak an announcement. */
const SAY_SECONDS = 6;
const config: HoldMusicConfig = { holdMusicUrl: 'https://music.example.com/clip-20s.mp3', holdMusicSeconds: 20, announceEverySeconds: 60, minimumAnnouncedSeconds: 60, speechStyle: 'approximate' };

interface Heard {
  at: number;
  text: string;
}

/**
 * Runs the loop for `seconds`. `resendQueueTime`: Twilio sends QueueTime on every request (as it
 * does on its own wait-URL requests); otherwise only on the first, the undocumented case.
 */
function drive(estimate: HoldEstimate, seconds: number, resendQueueTime: boolean, options: HoldMusicConfig = config): { heard: Heard[]; requests: number } {
  const heard: Heard[] = [];
  let now = START;
  let event: Record<string, unknown> = { queueSid: `WQ${'c'.repeat(32)}`, channel: 'voice', QueueTime: '0' };
  let requests = 0;
  while (now - START < seconds) {
    requests++;
    const twiml = holdMusicTwiml(options, parseHoldMusicRequest(event, now, options), estimate, ENGLISH, now);
    const say = /<Say>([^<]*)<\/Say>/.exec(twiml);
    if (say) heard.push({ at: now - START, text: say[1]! });
    const loops = Number(/<Play(?: loop="(\d+)")?>/.exec(twiml)![1] ?? 1);
    const redirect = /<Redirect method="GET">hold-music\?([^<]*)<\/Redirect>/.exec(twiml)![1]!.replace(/&amp;/g, '&');
    now += loops * (options.holdMusicSeconds ?? 20) + (say ? SAY_SECONDS : 0);
    event = Object.fromEntries(new URLSearchParams(redirect));
    if (resendQueueTime) event['QueueTime'] = String(now - START);
  }
  return { heard, requests };
}

/** What the caller should hear after `waited` s: the model's phrase for the wait still to come, never under the 60 s floor. */
const expectedText = (estimate: HoldEstimate, waited: number) =>
  ENGLISH.holdAnnouncement.replace(
    '{phrase}',
    expectedRemainingWait(estimate.seconds, estimate.shape!, waited) < 60 ? announce(60, 'approximate').phrase : spokenWait({ meanSeconds: estimate.seconds, shape: estimate.shape!, waitedSeconds: waited }, 'approximate').phrase,
  );

describe('the hold-music loop over ten minutes', () => {
  const estimate: HoldEstimate = { seconds: 540, shape: 4 };

  it.each([
    ['QueueTime only on the first request', false],
    ['QueueTime on every request', true],
  ])('announces about every 60 s, with the model\'s remaining wait (%s)', (_name, resend) => {
    const { heard } = drive(estimate, 600, resend);
    // The flow told the wait at entry: the first announcement one interval later, then about every interval.
    expect(heard[0]!.at).toBe(60);
    expect(heard.length).toBeGreaterThanOrEqual(9);
    const gaps = heard.slice(1).map((item, index) => item.at - heard[index]!.at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(60);
      expect(gap).toBeLessThanOrEqual(60 + SAY_SECONDS);
    }
    for (const item of heard) expect(item.text).toBe(expectedText(estimate, item.at));
    // The remaining wait shrinks with the time waited (shape 4), not by the time waited: a caller 9 minutes
    // into a 9-minute estimate still hears "about N minutes" (the tail is near exponential, its likeliest
    // minute the first), never "less than a minute".
    const minutes = heard.map((item) => Number(/about (\d+) minute/.exec(item.text)![1]));
    expect(minutes).toEqual([...minutes].sort((a, b) => b - a));
    expect(minutes[0]!).toBeGreaterThan(minutes[minutes.length - 1]!);
    expect(minutes[minutes.length - 1]!).toBeGreaterThanOrEqual(1);
  });

  it('keeps the cadence with a clip that does not divide the interval, and without a known clip length', () => {
    const odd = drive(estimate, 600, false, { ...config, holdMusicSeconds: 25 });
    const oddGaps = odd.heard.slice(1).map((item, index) => item.at - odd.heard[index]!.at);
    expect(oddGaps.length).toBeGreaterThanOrEqual(7);
    for (const gap of oddGaps) expect(Math.abs(gap - 60)).toBeLessThanOrEqual(12.5 + SAY_SECONDS);
    // Unknown clip length (the driver's clip plays 20 s): one play per cycle, and an announcement on the
    // first cycle that ends past each interval, so never sooner than 60 s and never a cycle later.
    const unknown = drive(estimate, 600, false, { ...config, holdMusicSeconds: undefined });
    expect(unknown.heard[0]!.at).toBe(60);
    const unknownGaps = unknown.heard.slice(1).map((item, index) => item.at - unknown.heard[index]!.at);
    expect(unknownGaps.length).toBeGreaterThanOrEqual(7);
    for (const gap of unknownGaps) {
      expect(gap).toBeGreaterThanOrEqual(60);
      expect(gap).toBeLessThanOrEqual(60 + 20 + SAY_SECONDS);
    }
    for (const item of unknown.heard) expect(item.text).toBe(expectedText(estimate, item.at));
  });

  it('never says less than the floor while the caller waits, and a shape-1 estimate stays put', () => {
    const { heard } = drive({ seconds: 240, shape: 1 }, 900, false);
    expect(new Set(heard.map((item) => item.text))).toEqual(new Set([expectedText({ seconds: 240, shape: 1 }, 0)]));
    const overdue = drive({ seconds: 60, shape: 30 }, 600, false);
    expect(overdue.heard.length).toBeGreaterThanOrEqual(8);
    for (const item of overdue.heard) expect(item.text).toMatch(/about 1 minute\./);
  });
});

describe('expectedRemainingWait', () => {
  it('is the estimate at t = 0, memoryless for shape 1, shrinking for larger shapes', () => {
    expect(expectedRemainingWait(300, 5, 0)).toBeCloseTo(300, 6);
    expect(expectedRemainingWait(300, 1, 200)).toBeCloseTo(300, 6);
    const shrinking = [0, 60, 120, 240].map((t) => expectedRemainingWait(300, 8, t));
    expect(shrinking).toEqual([...shrinking].sort((a, b) => b - a));
    // Far in the tail it tends to the time to the next departure: mean / shape.
    expect(expectedRemainingWait(300, 8, 5000)).toBeCloseTo(300 / 8, 0);
  });
});

describe('the announcement\'s voice', () => {
  it('speaks SPEECH_WORDS in SAY_VOICE and SAY_LANGUAGE, escaped, and in Twilio\'s default without them', () => {
    const spanish = { ...ENGLISH, holdAnnouncement: 'Gracias por esperar: {phrase}.', aboutMinutes: 'unos {n} minutos' };
    const request = parseHoldMusicRequest({ queueSid: `WQ${'a'.repeat(32)}`, QueueTime: '90' }, 1_000_000, config);
    const twiml = holdMusicTwiml({ ...config, sayVoice: 'Polly.Lupe', sayLanguage: 'es-US' }, request, { seconds: 300, shape: 30 }, spanish, 1_000_000);
    expect(twiml).toMatch(/<Say voice="Polly\.Lupe" language="es-US">Gracias por esperar: unos \d+ minutos\.<\/Say>/);
    expect(holdMusicTwiml(config, request, { seconds: 300, shape: 30 }, ENGLISH, 1_000_000)).toMatch(/<Say>Thank you for waiting\./);
  });
});
