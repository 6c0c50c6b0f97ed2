// Preloaded (node -r) into a measured process: at exit, prints its peak resident memory as one JSON
// line on stderr, so a built program can be measured as users run it, with nothing else loaded.
'use strict';
process.on('exit', () => {
  process.stderr.write(`${JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
});
