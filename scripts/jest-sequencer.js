/**
 * Test order for `npm test` (jest.config.js `testSequencer`). Jest runs the files that took longest in its
 * previous run first, so no worker sits idle at the end while another finishes a long file. On a fresh machine
 * (CI) it has no previous run and falls back to file size, which started the Analyzer-protocol suites last and
 * left one worker alone with them for the final 10-20 s. Without recorded times this order puts the files
 * below first, by the seconds each took in a cold `.ci/run` on the 2-core machine; a stale figure only changes
 * the order, never what runs.
 */
"use strict";

const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

/** Seconds per file in a cold run (fresh clone, empty caches), the slowest ones only. */
const COLD_SECONDS = {
    "package.test.ts": 35,
    "policy-protocol.test.ts": 28,
    "plan.test.ts": 23,
    "malformed-stack.test.ts": 22,
    "policy-pack-package.test.ts": 18,
    "policy-mutations-protocol.test.ts": 14,
    "policy-config.test.ts": 12,
    "workloads-stack.test.ts": 11,
    "reference-app.test.ts": 11,
    "policy-mutations.test.ts": 9,
    "app-metrics.test.ts": 8,
    "grafana.test.ts": 8,
    "deploy-path.test.ts": 7,
    "analyzer-client.test.ts": 7,
};

class SlowFirstSequencer extends Sequencer {
    sort(tests) {
        const ordered = super.sort(tests);
        if (ordered.every((t) => t.duration != null)) {
            return ordered; // jest has every file's time from its last run
        }
        const seconds = (t) => COLD_SECONDS[path.basename(t.path)] ?? 0;
        return [...ordered].sort((a, b) => seconds(b) - seconds(a)); // stable: jest's order among the rest
    }
}

module.exports = SlowFirstSequencer;
module.exports.COLD_SECONDS = COLD_SECONDS;
