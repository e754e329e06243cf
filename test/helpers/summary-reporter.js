// Jest reporter used by .ci/run: appends "passed failed skipped" for the run to
// $EDGEWATCH_TEST_SUMMARY, and one line per skipped (pending or todo) test to
// $EDGEWATCH_TEST_SUMMARY.skipped as "<file relative to the repository> › <full test name>", so
// that .ci/run can fail on a skip it does not allow.
// A suite that fails to load counts as one failure (it has no test results of its own).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '../..');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.EDGEWATCH_TEST_SUMMARY;
    if (!file) return;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const names = [];
    for (const suite of results.testResults) {
      for (const t of suite.testResults) {
        if (t.status === 'pending' || t.status === 'todo' || t.status === 'skipped') {
          names.push(`${path.relative(ROOT, suite.testFilePath)} › ${t.fullName}\n`);
        }
      }
    }
    fs.appendFileSync(file, `${results.numPassedTests} ${failed} ${skipped}\n`);
    fs.appendFileSync(`${file}.skipped`, names.join(''));
  }
}
module.exports = SummaryReporter;
