/**
 * The original's read path for side-by-side measurement: every request GETs the one JSON blob of all
 * queues, in the original's shape (`{ [queueSid]: { waittime, timestamp } }`), and parses it to find
 * one. Like the original it answers by SID only (its flow looked the SID up first). Same validation and
 * response shaping as the project's handler. Not deployed.
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import { loadWaitTimeConfig } from '../src/config';
import { errorResponse, HttpError, jsonResponse, toHttpError } from '../src/endpoints/http';
import { parseWaitTimeRequest, redisFor } from '../src/endpoints/wait-time';
import type { Env, Event } from '../functions/env';
import { BASELINE_BLOB_KEY, type BaselineEntry } from './baseline-refresher';

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const response = new Twilio.Response();
  try {
    const config = loadWaitTimeConfig(context);
    const request = parseWaitTimeRequest(event);
    const raw = await redisFor(config).get<string>(BASELINE_BLOB_KEY);
    if (raw === null) throw new HttpError(503, 'no_snapshot', 'no wait times cached');
    const blob = JSON.parse(raw) as Record<string, BaselineEntry>;
    if (!('queueSid' in request.queue)) throw new HttpError(400, 'invalid_parameter', 'the original answers by queueSid only');
    const entry = blob[request.queue.queueSid];
    if (!entry) throw new HttpError(404, 'unknown_queue', 'no such queue');
    callback(null, jsonResponse(response, 200, { queueSid: request.queue.queueSid, waitTime: entry.waittime, waittime: entry.waittime, updatedAt: new Date(entry.timestamp).toISOString() }));
  } catch (error) {
    callback(null, errorResponse(response, toHttpError(error, (message) => console.error(message))));
  }
};
