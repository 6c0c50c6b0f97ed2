/**
 * Public endpoint that Upstash QStash calls on a cron schedule: one refresh, verified by its
 * Upstash-Signature, with this account's own Twilio client (no Twilio secret stored).
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import type { Twilio as TwilioClient } from 'twilio';
import { loadQStashConfig, loadRefresherConfig } from '../src/config';
import { errorResponse, headerOf, jsonResponse, toHttpError } from '../src/endpoints/http';
import { functionUrl, scheduledRefresh, verifyQStashSignature } from '../src/endpoints/scheduled-refresh';
import type { Env, Event } from './env';

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const response = new Twilio.Response();
  try {
    await verifyQStashSignature(loadQStashConfig(context), headerOf(event, 'upstash-signature'), functionUrl(context.DOMAIN_NAME, context.PATH));
    const config = loadRefresherConfig(context, { requireCredentials: false });
    // The runtime builds the client from this account's own credentials; its type comes from the runtime
    // types' bundled twilio@4, the object from the twilio@5 this project deploys.
    const result = await scheduledRefresh(config, (httpClient) => context.getTwilioClient({ httpClient }) as unknown as TwilioClient);
    callback(null, jsonResponse(response, 200, result));
  } catch (error) {
    callback(null, errorResponse(response, toHttpError(error, (message) => console.error(`refresh-queue-times: ${message}`))));
  }
};
