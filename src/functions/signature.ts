/**
 * X-Twilio-Signature checking in code, for protected Functions served by hosts other than Twilio's
 * (Twilio checks `.protected` Functions itself). Off unless VALIDATE_SIGNATURE is set.
 */
import twilio from 'twilio';
import type { SignatureConfig } from '../config';
import { headerOf, HttpError } from './http';

interface SignedRequest {
  /** `https://` + the Functions domain + the path, as Twilio requested it. */
  baseUrl: string;
  /** The event: query and body parameters, plus `request.headers`. */
  event: Record<string, unknown>;
}

/**
 * Throws HttpError 401 unless the signature matches. Twilio signs the full URL plus, for POST, the
 * sorted form parameters; the event merges query and body, so both readings are tried: parameters as
 * a POST body, and parameters as the GET query string in the order they arrived.
 */
export function checkSignature(config: SignatureConfig, request: SignedRequest): void {
  if (!config.validateSignature) return;
  const signature = headerOf(request.event, 'x-twilio-signature');
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.event)) if (key !== 'request' && typeof value === 'string') params[key] = value;
  const query = new URLSearchParams(params).toString();
  const valid =
    signature !== undefined &&
    (twilio.validateRequest(config.authToken!, signature, request.baseUrl, params) || twilio.validateRequest(config.authToken!, signature, query ? `${request.baseUrl}?${query}` : request.baseUrl, {}));
  if (!valid) throw new HttpError(401, 'unauthorized', 'a valid X-Twilio-Signature is required');
}
