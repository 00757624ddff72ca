#!/usr/bin/env node
/**
 * `npm run plan` entry point. Plain JavaScript so Node starts it directly: it installs the start-up
 * shortcuts (lazy closure serializer, cached TypeScript transpile; see those files) and hands over to
 * scripts/plan-cli.ts. `node scripts/plan.js --help` lists the options.
 */
"use strict";

const startedAt = performance.now();
// Pulumi's SDK captures `new Error().stack` for every promise it tracks (debuggable.js) and formats it
// eagerly: about 40 % of a prod plan's CPU. The plan never shows those traces, so capture none unless
// --debug asks for them. Resource source positions are unaffected (Pulumi raises the limit for those).
// PLAN_NO_SHORTCUTS=1 turns both shortcuts off (`npm run bench -- --compare` measures what they save).
const shortcuts = !process.env.PLAN_NO_SHORTCUTS;
const debug = process.argv.includes("--debug") || Boolean(process.env.PLAN_DEBUG) || !shortcuts;
if (!debug) {
    Error.stackTraceLimit = 0;
}
if (shortcuts) {
    require("./lazy-closure").install();
}
const tsCache = require("./ts-cache");
tsCache.install();

const cli = require("./plan-cli.ts");
const startup = {
    nodeStartMs: Math.round(startedAt),
    moduleLoadMs: Math.round(performance.now() - startedAt),
    transpiledFiles: tsCache.stats.misses,
    stackTraces: debug ? 1 : 0,
};

// An error thrown inside an Output's apply() surfaces as an unhandled rejection, possibly next to the
// same error failing the run. Report it once, by the same rules as main(): a user error exits 2 with its
// message, anything else 3. Without this Node would exit 1, which means "policy failed" here.
let reported = false;
process.on("unhandledRejection", (e) => {
    if (reported || (process.exitCode !== undefined && process.exitCode !== 0)) {
        return;
    }
    reported = true;
    if (cli.isUserError(e)) {
        process.stderr.write(`plan: ${e.message}\n`);
        process.exitCode = 2;
    } else {
        process.stderr.write(`plan: unexpected error (a bug, please report it; --debug adds the stack trace):\n${(e && e.stack) || e}\n`);
        process.exitCode = 3;
    }
});

cli.main(process.argv.slice(2), undefined, startup).then(
    (code) => {
        if (!reported) {
            process.exitCode = code;
        }
    },
    (e) => {
        process.stderr.write(`plan: unexpected error (a bug, please report it; --debug adds the stack trace):\n${(e && e.stack) || e}\n`);
        process.exitCode = 3;
    },
);
