/**
 * The test suites' TypeScript transform (jest.config.js, jest.servers.config.js): the same sucrase
 * transpile `pulumi preview/up` starts the program with (scripts/ts-cache.js), so the suite runs the code
 * the CLI runs. No type check here: `npm run lint` type-checks the tests with the rest of the project.
 * Jest keeps the output in its own cache under the key below.
 */
"use strict";

const crypto = require("crypto");
const tsCache = require("./ts-cache");

module.exports = {
    canInstrument: false,
    process(source, filename) {
        return { code: tsCache.transpile(source, filename) };
    },
    getCacheKey(source, filename, options) {
        return crypto.createHash("sha1")
            .update(tsCache.key()).update("\0")
            .update(filename).update("\0")
            .update(source).update("\0")
            .update(options && options.configString ? options.configString : "")
            .digest("hex");
    },
};
