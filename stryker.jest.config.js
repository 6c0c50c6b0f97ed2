/** The unit tests Stryker runs against each mutant: fast; pools.test.ts starts the TaskRouter double in-process once. */
const base = require('./jest.config');
module.exports = { ...base, verbose: false, testMatch: ['**/test/(estimator|aged-reading|gamma|hold-music|speech|wait-time|http|cache-entry|list-page|pools|target-workers).test.ts'] };
