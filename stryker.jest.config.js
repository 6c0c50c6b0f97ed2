/** The unit tests Stryker runs against each mutant: fast, no servers. */
const base = require('./jest.config');
module.exports = { ...base, verbose: false, testMatch: ['**/test/(estimator|gamma|hold-music|speech|wait-time|http|cache-entry).test.ts'] };
