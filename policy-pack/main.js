/**
 * The pack's entry point (package.json `main`). The Pulumi CLI starts a Node.js policy pack with
 * `@pulumi/pulumi/cmd/run-policy-pack`, which always registers ts-node with `typeCheck: true` before it
 * `require`s the pack (node_modules/@pulumi/pulumi/cmd/run-policy-pack/run.js, 3.248.0; no option in
 * PulumiPolicy.yaml turns that off). A type-checking start of this pack took 8.2 s on a fresh runner.
 * The policies are type-checked by `npm run lint` and CI, so this file replaces that `.ts` loader with a
 * transpile-only one (sucrase: no compiler to load, every statement kept on its source line) and loads
 * index.ts, which serves the policies.
 *
 * The settings match scripts/ts-cache.js, which loads the program and the tests the same way.
 */
"use strict";

const fs = require("fs");
const { transform } = require("sucrase");

const OPTIONS = { transforms: ["typescript", "imports"], disableESTransforms: true };

require.extensions[".ts"] = (module, filename) => {
    module._compile(transform(fs.readFileSync(filename, "utf8"), { ...OPTIONS, filePath: filename }).code, filename);
};

module.exports = require("./index.ts");
