/** The real `twilio` client, wired to the retrying, re-targetable HTTP layer. */
import twilio, { type Twilio } from 'twilio';
import type { TwilioCredentials } from '../config';
import { TaskRouterHttpClient, type TaskRouterHttpOptions } from './http-client';

/** Makes the client around our HTTP layer, from credentials (a Function's are the runtime's ACCOUNT_SID and AUTH_TOKEN). */
export type TwilioClientFactory = (httpClient: TaskRouterHttpClient) => Twilio;

export function clientFromCredentials(credentials: TwilioCredentials): TwilioClientFactory {
  return (httpClient) => twilio(credentials.username, credentials.password, { accountSid: credentials.accountSid, httpClient });
}

export function createTaskRouterClient(factory: TwilioClientFactory, http: TaskRouterHttpOptions): { client: Twilio; http: TaskRouterHttpClient } {
  const httpClient = new TaskRouterHttpClient(http);
  return { client: factory(httpClient), http: httpClient };
}
