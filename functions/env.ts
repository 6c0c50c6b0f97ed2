/** Every variable the Functions read from `context` (see .env.example for each one's meaning). */
import type { DeployedVariable } from '../src/deploy/variables';

export type Env = { [K in DeployedVariable]?: string } & {
  TWILIO_WORKSPACE_SID: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  /** Provided by the runtime (the account's own), never uploaded: the scheduled refresh builds its TaskRouter client from it, and VALIDATE_SIGNATURE uses it. */
  ACCOUNT_SID?: string;
  AUTH_TOKEN?: string;
  /** Development only (a loopback TaskRouter double); never uploaded. */
  TASKROUTER_API_URL?: string;
};

/** What a handler receives: query and body parameters (strings, or anything a JSON body held) and the request. */
export type Event = Record<string, unknown> & { request: { cookies: {}; headers: {} } };
