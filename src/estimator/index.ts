/**
 * The estimator, in the order data flows through it: a reading (observation.ts) joins the queue's
 * history (history.ts), rates come from both (rates.ts), then the wait and its model (wait.ts), the
 * model's distribution (distribution.ts), the model at the moment a caller asks (answer.ts), and what
 * the caller is told (phrase.ts).
 */
export * from './observation';
export * from './history';
export * from './rates';
export * from './wait';
export * from './pool';
export * from './distribution';
export * from './answer';
export * from './phrase';
