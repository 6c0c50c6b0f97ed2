/**
 * X-Twilio-Signature checking in code, for protected Functions served by hosts other than Twilio's
 * (Twilio checks `.protected` Functions itself). Off unless VALIDATE_SIGNATURE is set; only then is
 * the `twilio` package loaded, for its own helpers.
 */
import type { SignatureConfig } from '../config';
import { headerOf, HttpError } from './http';

interface SignedRequest {
  /** `https://` + the Functions domain + the path, as Twilio requested it. */
  baseUrl: string;
  /** The event: query and body parameters, plus `request.headers`. */
  event: Record<string, unknown>;
}

/**
 * Throws HttpError 401 unless the signature matches, for every shape Twilio signs:
 * - GET: the full URL with its query, no parameters;
 * - form POST: the URL (with its query string, if any) plus the sorted body parameters;
 * - JSON POST: the URL carrying `bodySHA256`, and the body's SHA-256 (`validateRequestWithBody`).
 * The runtime merges query and body into the event, query first, in arrival order; which leading
 * keys came from the query is not recorded, so every split point is tried (one HMAC each). A JSON body
 * is checked as its re-serialisation: one whose raw bytes differ (spacing) is refused, the safe side.
 */
export async function checkSignature(config: SignatureConfig, request: SignedRequest): Promise<void> {
  if (!config.validateSignature) return;
  const signature = headerOf(request.event, 'x-twilio-signature');
  if (signature === undefined) throw new HttpError(401, 'unauthorized', 'a valid X-Twilio-Signature is required');
  const { default: twilio } = await import('twilio');
  const json = /^application\/json\b/i.test(headerOf(request.event, 'content-type') ?? '');
  const entries = Object.entries(request.event).filter(([key]) => key !== 'request');
  const matches = (split: number): boolean => {
    const query = entries.slice(0, split).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    const body = entries.slice(split);
    const url = query.length > 0 ? `${request.baseUrl}?${new URLSearchParams(query).toString()}` : request.baseUrl;
    if (json) return body.length > 0 && twilio.validateRequestWithBody(config.authToken!, signature, url, JSON.stringify(Object.fromEntries(body)));
    if (!body.every(([, value]) => typeof value === 'string')) return false;
    return twilio.validateRequest(config.authToken!, signature, url, Object.fromEntries(body) as Record<string, string>);
  };
  const valid = Array.from({ length: entries.length + 1 }, (_, split) => split).some(matches);
  if (!valid) throw new HttpError(401, 'unauthorized', 'a valid X-Twilio-Signature is required');
}
