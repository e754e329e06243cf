// Jest reporter used by .ci/run: appends "passed failed" for the run to $EDGEWATCH_TEST_SUMMARY.
// A suite that fails to load counts as one failure (it has no test results of its own).
'use strict';
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.EDGEWATCH_TEST_SUMMARY;
    if (!file) return;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    fs.appendFileSync(file, `${results.numPassedTests} ${failed}\n`);
  }
}
module.exports = SummaryReporter;
