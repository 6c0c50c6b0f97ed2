/** The real `twilio` client, wired to the retrying, re-targetable HTTP layer. */
import twilio, { type Twilio } from 'twilio';
import type { TwilioCredentials } from '../config';
import { TaskRouterHttpClient, type TaskRouterHttpOptions } from './http-client';

export function createTaskRouterClient(credentials: TwilioCredentials, http: TaskRouterHttpOptions): { client: Twilio; http: TaskRouterHttpClient } {
  const httpClient = new TaskRouterHttpClient(http);
  const client = twilio(credentials.username, credentials.password, { accountSid: credentials.accountSid, httpClient });
  return { client, http: httpClient };
}
