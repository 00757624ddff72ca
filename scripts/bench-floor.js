#!/usr/bin/env node
/**
 * `node scripts/bench-floor.js --stack prod [--project-dir DIR] [--runs 3]`: the program's registration time
 * beside the floor (scripts/bench-floor.ts), as one JSON line. Same start-up as `npm run plan` (no stack
 * traces captured, lazy closure serializer, transpile cache).
 */
"use strict";

Error.stackTraceLimit = 0;
require("./lazy-closure").install();
require("./ts-cache").install();

const args = process.argv.slice(2);
const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
};
const path = require("path");
require("./bench-floor.ts")
    .floorComparison(opt("--stack", "prod"), path.resolve(opt("--project-dir", path.join(__dirname, ".."))), Number(opt("--runs", "3")))
    .then((r) => process.stdout.write(JSON.stringify(r) + "\n"))
    .catch((e) => {
        process.stderr.write(`bench-floor: ${(e && e.stack) || e}\n`);
        process.exitCode = 2;
    });
