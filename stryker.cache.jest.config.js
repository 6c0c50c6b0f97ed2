/** The tests Stryker runs against each mutant of the cache's write and read paths: real redis-server behind the Upstash-compatible server. */
const base = require('./jest.config');
module.exports = { ...base, verbose: false, testMatch: ['**/test/(cache|refresh|reliability/refresh-faults|reliability/overlap-and-clocks).test.ts'] };
