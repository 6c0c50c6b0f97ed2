/**
 * The tests Stryker runs against each mutant of the cache's write and read paths: test/cache-writer.test.ts
 * calls them directly on real redis-server behind the Upstash-compatible server, each test on its own
 * workspace, in about three seconds (the 5,000-queue tests of cache.test.ts take minutes a mutant).
 */
const base = require('./jest.config');
module.exports = { ...base, verbose: false, testMatch: ['**/test/cache-writer.test.ts'] };
