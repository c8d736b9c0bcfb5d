// Mocha's spec reporter, plus the run's counts written as JSON to
// $SEDA_TEST_STATS (read by .ci/run to print "N passed, N failed").
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SedaReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const stats = { passed: 0, failed: 0, pending: 0, failures: [] };
    runner.on(EVENT_TEST_PASS, () => stats.passed++);
    runner.on(EVENT_TEST_PENDING, () => stats.pending++);
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      stats.failed++;
      stats.failures.push({ title: test.fullTitle(), error: String(err && err.message) });
    });
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.SEDA_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify(stats, null, 2));
    });
  }
}

module.exports = SedaReporter;
