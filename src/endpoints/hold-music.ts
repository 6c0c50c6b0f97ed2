/**
 * Hold music for the Enqueue Call widget's wait URL: the music, an announcement of the remaining wait
 * about every ANNOUNCE_EVERY_SECONDS, and a redirect back here so the loop continues.
 *
 * What the loop relies on, and what it does not:
 * - Twilio documents `QueueTime` (seconds this caller has waited) on its requests to the wait URL, not
 *   on a `<Redirect>` inside the wait TwiML. So the loop carries its own state in the URL it redirects
 *   to: `since` (when this caller started waiting, epoch seconds) and `next` (when the next
 *   announcement is due). A request with `QueueTime` is Twilio's own and wins; one without it is ours.
 * - Twilio plays a whole `<Play>` before the next verb, so the cadence comes from the clip's length:
 *   with HOLD_MUSIC_SECONDS set, the clip is looped round(ANNOUNCE_EVERY_SECONDS / HOLD_MUSIC_SECONDS)
 *   times per cycle; a clip longer than the interval is refused by the configuration. Without it the
 *   clip plays once per cycle, and announcements come once per clip.
 * - The remaining wait of a caller who has waited t seconds is the estimator's model's conditional
 *   expectation (`remainingMean`; the model aged by the reading's age, as get-queue-times ages it), not
 *   the estimate minus t, never below MINIMUM_ANNOUNCED_SECONDS while they wait.
 * The TwiML is built here, not with the `twilio` package, so this Function loads nothing heavy.
 * Always valid TwiML: a bad or missing parameter only means no announcement.
 */
import type { Redis } from '@upstash/redis';
import { CHANNEL_PATTERN, DEFAULT_CHANNEL, type WaitTimeConfig } from '../config';
import { modelAt, remainingMean, spokenWait, type AgedPart } from '../estimator';
import { refreshAgeMs } from '../cache/entry';
import { isSid } from '../sids';
import { announce, fill, type SpeechWords } from '../speech';
import { readQueueCached } from './wait-time';

export interface HoldMusicRequest {
  /** An estimate handed over by the flow, seconds (used when no queue is named). */
  waitTime: number | undefined;
  /** Or a queue to read the estimate for. */
  queueSid: string | undefined;
  channel: string;
  /** When this caller started waiting, epoch seconds. */
  since: number;
  /** When the next announcement is due, epoch seconds. */
  next: number;
}

/** A whole number of seconds, or undefined for anything else (never an error here). */
function lenientSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return typeof value === 'string' && /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/**
 * Reads a wait-URL request at `nowSeconds`. Twilio's own request carries QueueTime: the caller started
 * waiting QueueTime seconds ago, and (the flow having just told the wait) the first announcement is
 * due one interval later. Our redirect carries `since` and `next`.
 */
export function parseHoldMusicRequest(event: Record<string, unknown>, nowSeconds: number, config: Pick<WaitTimeConfig, 'announceEverySeconds'>): HoldMusicRequest {
  const queueSid = event['queueSid'];
  const channel = typeof event['channel'] === 'string' ? event['channel'].trim().toLowerCase() : DEFAULT_CHANNEL;
  const queueTime = lenientSeconds(event['QueueTime']);
  const carried = lenientSeconds(event['since']);
  const since = queueTime !== undefined ? nowSeconds - queueTime : carried !== undefined && carried <= nowSeconds ? carried : nowSeconds;
  return {
    waitTime: lenientSeconds(event['waitTime']),
    queueSid: isSid(queueSid, 'WQ') ? queueSid : undefined,
    channel: CHANNEL_PATTERN.test(channel) ? channel : DEFAULT_CHANNEL,
    since,
    next: lenientSeconds(event['next']) ?? since + config.announceEverySeconds,
  };
}

/**
 * What the announcement is computed from: the reading's estimate and its model's gamma shape (null: a
 * bare figure from the flow), and the window's part when the reading has aged (estimator/answer.ts).
 */
export interface HoldEstimate {
  seconds: number;
  shape: number | null;
  aged?: AgedPart;
}

/** The queue's current estimate when the request names a queue, else the flow's; undefined when neither can be had. */
export async function estimateFor(config: WaitTimeConfig, redis: Redis, request: HoldMusicRequest, log: (line: string) => void = () => undefined): Promise<HoldEstimate | undefined> {
  if (request.queueSid !== undefined) {
    try {
      const nowMs = Date.now();
      const lookup = await readQueueCached(config, redis, { queue: { queueSid: request.queueSid }, channel: request.channel }, nowMs);
      if (lookup.found) {
        const model = modelAt(lookup.entry, refreshAgeMs(lookup.refresh, lookup.clock, nowMs) / 1000);
        if (model !== null) return { seconds: model.meanSeconds, shape: model.shape, ...(model.aged ? { aged: model.aged } : {}) };
      }
    } catch (error) {
      // A cache failure costs the caller an announcement, never the music; the log says why.
      log(`no announcement from the cache: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // An estimate handed over by the flow has no model with it: its remaining wait is read as exponential
  // (shape 1, the cautious reading) and spoken rounded, as the flow spoke it.
  return request.waitTime === undefined ? undefined : { seconds: request.waitTime, shape: null };
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** How many times the clip plays per cycle, so that a cycle lasts about ANNOUNCE_EVERY_SECONDS. */
export function loopsPerCycle(config: Pick<WaitTimeConfig, 'announceEverySeconds' | 'holdMusicSeconds'>): number {
  return config.holdMusicSeconds === undefined ? 1 : Math.max(1, Math.round(config.announceEverySeconds / config.holdMusicSeconds));
}

export type HoldMusicConfig = Pick<WaitTimeConfig, 'holdMusicUrl' | 'holdMusicSeconds' | 'announceEverySeconds' | 'minimumAnnouncedSeconds' | 'speechStyle'> & Partial<Pick<WaitTimeConfig, 'sayVoice' | 'sayLanguage'>>;

/** The <Say> voice and language (SAY_VOICE, SAY_LANGUAGE), so SPEECH_WORDS in another language is read in it. */
export function sayAttributes(config: Partial<Pick<WaitTimeConfig, 'sayVoice' | 'sayLanguage'>>): string {
  return `${config.sayVoice ? ` voice="${escapeXml(config.sayVoice)}"` : ''}${config.sayLanguage ? ` language="${escapeXml(config.sayLanguage)}"` : ''}`;
}

/**
 * The TwiML document at `nowSeconds`. An announcement is made when due (half a clip early at most, so
 * a cycle slightly shorter than the interval does not skip one); `estimate` undefined means music only.
 */
export function holdMusicTwiml(config: HoldMusicConfig, request: HoldMusicRequest, estimate: HoldEstimate | undefined, words: SpeechWords, nowSeconds: number): string {
  const parts: string[] = [];
  let next = request.next;
  const slack = (config.holdMusicSeconds ?? 0) / 2;
  if (estimate !== undefined && nowSeconds >= next - slack) {
    // The phrase comes from the wait still to come under the estimate's model, as get-queue-times'
    // does from the whole wait; a caller still waiting is never told less than the minimum.
    const waited = nowSeconds - request.since;
    const model = { meanSeconds: estimate.seconds, shape: estimate.shape ?? 1, waitedSeconds: waited, ...(estimate.aged ? { aged: estimate.aged } : {}) };
    const remaining = remainingMean(model);
    const phrase =
      remaining < config.minimumAnnouncedSeconds || estimate.shape === null
        ? announce(Math.max(config.minimumAnnouncedSeconds, remaining), config.speechStyle, words).phrase
        : spokenWait(model, config.speechStyle, words).phrase;
    parts.push(`<Say${sayAttributes(config)}>${escapeXml(fill(words.holdAnnouncement, { phrase }))}</Say>`);
    next = nowSeconds + config.announceEverySeconds;
  }
  const loops = loopsPerCycle(config);
  parts.push(`<Play${loops > 1 ? ` loop="${loops}"` : ''}>${escapeXml(config.holdMusicUrl)}</Play>`);
  const state = new URLSearchParams({ channel: request.channel });
  if (request.queueSid !== undefined) state.set('queueSid', request.queueSid);
  else if (request.waitTime !== undefined) state.set('waitTime', String(request.waitTime));
  state.set('since', String(request.since));
  state.set('next', String(next));
  parts.push(`<Redirect method="GET">${escapeXml(`hold-music?${state.toString()}`)}</Redirect>`);
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${parts.join('')}</Response>`;
}
