#!/usr/bin/env node
/**
 * `npm run lint`: the type check of the project (tsc, incremental), the reference app's JSDoc types (tsc) and ESLint
 * (type-aware), run side by side: each is single-threaded, so on two cores they take about as long as the longest
 * instead of their sum. Each one's output is printed when it ends, under its name; the exit status is non-zero when
 * any of them failed.
 */
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const bin = (pkg, file) => path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] })), file);
const TASKS = [
    { name: "tsc (project)", args: [bin("typescript", "bin/tsc"), "--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", ".build/tsbuildinfo/lint.tsbuildinfo"] },
    { name: "tsc (reference app)", args: [bin("typescript", "bin/tsc"), "-p", "app/tsconfig.json"] },
    { name: "eslint", args: [bin("eslint", "bin/eslint.js"), "."] },
];

function run(task) {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(process.execPath, task.args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => { out += d; });
        child.stderr.on("data", (d) => { out += d; });
        child.on("close", (code, signal) => {
            const status = code === 0 ? "ok" : `FAILED (${signal ?? `exit ${code}`})`;
            process.stdout.write(`lint: ${task.name}: ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s\n${out}`);
            resolve(code === 0);
        });
    });
}

module.exports = { TASKS };

if (require.main === module) {
    Promise.all(TASKS.map(run)).then((results) => {
        process.exitCode = results.every(Boolean) ? 0 : 1;
    });
}
