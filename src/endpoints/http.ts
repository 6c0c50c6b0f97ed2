/**
 * The one response helper every handler uses: JSON bodies with a status code, errors as
 * `{ "error": { "code", "message" } }`, and parameter reading with a stated purpose for each.
 */

/** The part of `Twilio.Response` the handlers use; the runtime's global class satisfies it. */
export interface ResponseLike {
  setStatusCode(code: number): unknown;
  setBody(body: unknown): unknown;
  appendHeader(name: string, value: string): unknown;
}

export type ErrorCode =
  | 'invalid_parameter'
  | 'missing_parameter'
  | 'unauthorized'
  | 'unknown_queue'
  | 'unknown_channel'
  | 'no_snapshot'
  | 'cache_unavailable'
  | 'configuration_error'
  | 'refresh_failed'
  | 'internal_error';

/** A failure the handler turns into an HTTP error response. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function jsonResponse(response: ResponseLike, status: number, body: object): ResponseLike {
  response.setStatusCode(status);
  response.appendHeader('Content-Type', 'application/json');
  response.appendHeader('Cache-Control', 'no-store');
  response.setBody(body);
  return response;
}

export function errorResponse(response: ResponseLike, error: HttpError): ResponseLike {
  return jsonResponse(response, error.status, { error: { code: error.code, message: error.message } });
}

/** A request header from the event (the runtime lower-cases header names), or undefined. */
export function headerOf(event: Record<string, unknown>, name: string): string | undefined {
  const headers = (event['request'] as { headers?: Record<string, unknown> } | undefined)?.headers ?? {};
  const value = headers[name.toLowerCase()] ?? headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Longest value any parameter may have; anything longer is refused before it is looked at. */
const MAX_PARAMETER_LENGTH = 256;

/**
 * A string parameter from the event: undefined when absent or empty; HttpError 400 when it is not a
 * single string (arrays and objects arrive from JSON bodies and repeated query keys) or is too long.
 * `purpose` says what the parameter is for, in the error message.
 */
export function stringParameter(event: Record<string, unknown>, name: string, purpose: string): string | undefined {
  const value = event[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new HttpError(400, 'invalid_parameter', `${name} must be a single string (${purpose})`);
  if (value.length > MAX_PARAMETER_LENGTH) throw new HttpError(400, 'invalid_parameter', `${name} is longer than ${MAX_PARAMETER_LENGTH} characters (${purpose})`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A non-negative whole number parameter (seconds), or undefined when absent; HttpError 400 otherwise. */
export function secondsParameter(event: Record<string, unknown>, name: string, purpose: string): number | undefined {
  const value = stringParameter(event, name, purpose);
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value)) throw new HttpError(400, 'invalid_parameter', `${name} must be a whole number of seconds (${purpose})`);
  return Number(value);
}

/**
 * Maps anything a handler caught to an HttpError: its own HttpErrors as they are, a configuration
 * problem to 500 naming the variables (never their values), anything else to 500 with a generic text.
 */
export function toHttpError(error: unknown, log: (message: string) => void): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof Error && error.name === 'ConfigError') {
    log(error.message);
    return new HttpError(500, 'configuration_error', 'the function is misconfigured; see its logs');
  }
  log(`unexpected ${error instanceof Error ? error.name : typeof error}: ${error instanceof Error ? error.message : String(error)}`);
  return new HttpError(500, 'internal_error', 'unexpected error');
}
