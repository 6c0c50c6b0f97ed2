/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
  // Every test by name, so a skipped one shows the reason its name carries.
  verbose: true,
  // Integration tests start servers on fixed free ports they pick themselves; run files one at a time
  // so two twilio-run processes never compete for the 2 cores.
  maxWorkers: 1,
};
