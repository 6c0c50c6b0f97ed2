/**
 * Public endpoint for Studio's Make HTTP Request widget: the cached wait of one queue, one Redis read.
 * GET or POST with `queueSid` or `queueName`, optional `channel` (default voice) and `key`.
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import { loadWaitTimeConfig } from '../src/config';
import { errorResponse, jsonResponse, toHttpError } from '../src/endpoints/http';
import { checkApiKey, getQueueWaitTime, parseWaitTimeRequest, redisFor } from '../src/endpoints/wait-time';
import type { Env, Event } from './env';

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const response = new Twilio.Response();
  try {
    const config = loadWaitTimeConfig(context);
    checkApiKey(config, event);
    const request = parseWaitTimeRequest(event);
    const waitTime = await getQueueWaitTime(config, redisFor(config), request, Date.now(), (line) => console.error(`get-queue-times: ${line}`));
    callback(null, jsonResponse(response, 200, waitTime));
  } catch (error) {
    callback(null, errorResponse(response, toHttpError(error, (message) => console.error(`get-queue-times: ${message}`))));
  }
};
