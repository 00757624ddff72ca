#!/usr/bin/env node
/** `npm run bench` entry point: loads scripts/bench-cli.ts through the transpile cache. */
"use strict";

require("./ts-cache").install();

try {
    process.exitCode = require("./bench-cli.ts").main(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`bench: ${(e && e.message) || e}\n`);
    process.exitCode = 2;
}
