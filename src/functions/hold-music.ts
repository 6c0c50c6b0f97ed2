/**
 * Hold music for the Enqueue Call widget's wait URL: an announcement of the remaining wait when one is
 * due, the music, then a redirect back here so the loop continues. Always valid TwiML: a bad or
 * missing parameter only means no announcement.
 */
import twilio from 'twilio';
import type { Redis } from '@upstash/redis';
import type { WaitTimeConfig } from '../config';
import { announce, fill, type SpeechWords } from '../speech';
import { lookupQueue } from './wait-time';
import { isSid } from '../sids';
import { CHANNEL_PATTERN, DEFAULT_CHANNEL } from '../config';

export interface HoldMusicRequest {
  /** An estimate handed over by the flow, seconds. */
  waitTime: number | undefined;
  /** Or a queue to read the estimate for. */
  queueSid: string | undefined;
  channel: string;
  /** Seconds this caller has waited (Twilio's QueueTime). */
  queueTime: number;
  /** QueueTime at the last announcement, carried through our own redirect. */
  announcedAt: number | undefined;
}

/** A whole number of seconds, or undefined for anything else (never an error here). */
function lenientSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return typeof value === 'string' && /^\d{1,7}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

export function parseHoldMusicRequest(event: Record<string, unknown>): HoldMusicRequest {
  const queueSid = event['queueSid'];
  const channel = typeof event['channel'] === 'string' ? event['channel'].trim().toLowerCase() : DEFAULT_CHANNEL;
  return {
    waitTime: lenientSeconds(event['waitTime']),
    queueSid: isSid(queueSid, 'WQ') ? queueSid : undefined,
    channel: CHANNEL_PATTERN.test(channel) ? channel : DEFAULT_CHANNEL,
    queueTime: lenientSeconds(event['QueueTime']) ?? 0,
    announcedAt: lenientSeconds(event['announcedAt']),
  };
}

/** The queue's current estimate when the request names a queue; undefined when it cannot be had. */
export async function estimateFor(config: WaitTimeConfig, redis: Redis, request: HoldMusicRequest): Promise<number | undefined> {
  if (request.queueSid !== undefined) {
    try {
      const lookup = await lookupQueue(config, redis, { queue: { queueSid: request.queueSid }, channel: request.channel }, Date.now());
      if (lookup.found && lookup.entry.estimatedWaitSeconds !== null) return lookup.entry.estimatedWaitSeconds;
    } catch {
      // A cache failure costs the caller an announcement, never the music.
    }
  }
  return request.waitTime;
}

/**
 * What is still ahead of a caller who has waited `queueTime`: the estimate net of that wait, never
 * below the floor (an overdue caller hears "about a minute", not "less than a minute" again and
 * again), and never above the estimate itself (a short wait is not stretched to the floor).
 */
export function remainingWait(estimateSeconds: number, queueTime: number, floorSeconds: number): number {
  return Math.max(Math.min(floorSeconds, estimateSeconds), estimateSeconds - queueTime);
}

/** The TwiML document. `estimateSeconds` undefined means: music only. */
export function holdMusicTwiml(config: Pick<WaitTimeConfig, 'holdMusicUrl' | 'announceEverySeconds' | 'minimumAnnouncedSeconds' | 'speechStyle'>, request: HoldMusicRequest, estimateSeconds: number | undefined, words: SpeechWords): string {
  const response = new twilio.twiml.VoiceResponse();
  const due = request.announcedAt === undefined || request.queueTime - request.announcedAt >= config.announceEverySeconds;
  let announcedAt = request.announcedAt;
  if (estimateSeconds !== undefined && due) {
    const remaining = remainingWait(estimateSeconds, request.queueTime, config.minimumAnnouncedSeconds);
    response.say(fill(words.holdAnnouncement, { phrase: announce(remaining, config.speechStyle, words).phrase }));
    announcedAt = request.queueTime;
  }
  response.play(config.holdMusicUrl);
  const next = new URLSearchParams({ channel: request.channel });
  if (request.queueSid !== undefined) next.set('queueSid', request.queueSid);
  else if (request.waitTime !== undefined) next.set('waitTime', String(request.waitTime));
  if (announcedAt !== undefined) next.set('announcedAt', String(announcedAt));
  response.redirect({ method: 'GET' }, `hold-music?${next.toString()}`);
  return response.toString();
}
