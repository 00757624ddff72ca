/**
 * The program's entry point for `pulumi preview/up` (Pulumi.yaml `main`). Pulumi.yaml sets
 * `runtime.options.typescript: false`, so the CLI's Node.js language host registers no ts-node; this file
 * lets `.ts` files load transpile-only through scripts/ts-cache.js (sucrase, cached per file) and hands
 * the CLI the program that index.ts exports.
 *
 * Why: with `typescript: true` the language host loads the CLI's vendored ts-node 7 and the TypeScript
 * compiler and transpiles every file on the first start (3.2 s cold on the 2-core bench machine, 1.1 s
 * warm); sucrase needs no compiler: 1.6 s cold, 1.1 s warm (`npm run bench`, "CLI start"). Type errors are
 * caught by `npm run lint` and CI, not by `pulumi up`.
 *
 * How the CLI runs it (github.com/pulumi/pulumi v3.248.0): sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 * reads `typescript` from `runtime.options` (default true) and sets PULUMI_NODEJS_TYPESCRIPT only when it
 * is true; sdk/nodejs/cmd/run/run.ts registers ts-node only under that variable, then `require`s `main`
 * and, when the export is a function, runs it and takes its result as the stack's outputs.
 */
"use strict";

require("./ts-cache").install();

module.exports = require("../index.ts");
