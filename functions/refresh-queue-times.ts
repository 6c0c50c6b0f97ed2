/**
 * Public endpoint that Upstash QStash calls on a cron schedule: one refresh, verified by its
 * Upstash-Signature, reading TaskRouter with the account credentials the runtime provides
 * (ACCOUNT_SID, AUTH_TOKEN: no Twilio secret is uploaded) through the project's own client, so its
 * retries and deadlines are this project's own, whatever the runtime's getTwilioClient does.
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import { loadFunctionCredentials, loadQStashConfig, loadRefresherConfig } from '../src/config';
import { errorResponse, headerOf, jsonResponse, toHttpError } from '../src/endpoints/http';
import { functionUrl, scheduledRefresh, verifyQStashSignature } from '../src/endpoints/scheduled-refresh';
import type { Env, Event } from './env';

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const response = new Twilio.Response();
  try {
    await verifyQStashSignature(loadQStashConfig(context), headerOf(event, 'upstash-signature'), functionUrl(context.DOMAIN_NAME, context.PATH));
    const config = loadRefresherConfig(context, { requireCredentials: false });
    const result = await scheduledRefresh(config, loadFunctionCredentials(context));
    callback(null, jsonResponse(response, 200, result));
  } catch (error) {
    callback(null, errorResponse(response, toHttpError(error, (message) => console.error(`refresh-queue-times: ${message}`))));
  }
};
