#!/usr/bin/env node
/**
 * Starts a policy pack the way the Pulumi CLI does (toolkit/analyzer-client.ts `PolicyPackProcess`: a real
 * engine server, `@pulumi/pulumi/cmd/run-policy-pack` resolved from the pack directory) and prints as JSON how
 * long it took until the pack served its port. `npm run bench` uses it ("POLICY PACK START").
 *
 * Usage: node scripts/pack-start.js [--pack-dir DIR]   (default: this project's policy-pack/)
 * Output: {"startMs":..}
 */
"use strict";

require("./ts-cache").install();
const { PolicyPackProcess, DEFAULT_PACK_DIR } = require("../toolkit/analyzer-client.ts");

async function main(argv) {
    const i = argv.indexOf("--pack-dir");
    const packDir = i >= 0 ? argv[i + 1] : DEFAULT_PACK_DIR;
    const t0 = performance.now();
    const pack = await PolicyPackProcess.start({ packDir, project: "scaled-web", stack: "bench" });
    const startMs = performance.now() - t0;
    await pack.close();
    process.stdout.write(JSON.stringify({ startMs: Math.round(startMs) }) + "\n");
}

main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`pack-start: ${(e && e.stack) || e}\n`);
    process.exitCode = 2;
});
