/**
 * The tests Stryker runs against each mutant of the cache's write, read and state code: test/cache-writer.test.ts
 * calls them directly on real redis-server behind the Upstash-compatible server, each test on its own
 * workspace, in about three seconds, and test/cache-state.test.ts checks the packed state alone (the
 * 5,000-queue tests of cache.test.ts take minutes a mutant).
 */
const base = require('./jest.config');
module.exports = { ...base, verbose: false, testMatch: ['**/test/(cache-writer|cache-state).test.ts'] };
