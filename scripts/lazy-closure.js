/**
 * Start-up shortcut for offline runs: `@pulumi/pulumi/runtime/index.js` loads its closure serializer
 * eagerly (`./closure/serializeClosure`, which pulls in the whole TypeScript compiler, and
 * `./closure/codePaths`, which pulls in npm's `@npmcli/arborist`), about 0.8 s of a 1.1 s load, yet
 * they are only needed to serialize JavaScript functions into cloud code (magic lambdas, dynamic
 * providers). This hook hands runtime/index.js stand-ins whose functions load the real module on their
 * first call, so nothing changes for a program that does serialize a function; it just pays then.
 *
 * Pulumi does the same itself for dynamic providers (`dynamic/index.js` "Load runtime/closure on
 * demand, as its dependencies are slow to load"). Only `npm run plan` / `npm run bench` install it;
 * `pulumi up` and the tests load @pulumi/pulumi untouched.
 */
"use strict";

const Module = require("module");
const path = require("path");

/** Exports of the two modules, all functions (checked against the real modules in tests/plan.test.ts). */
const LAZY_EXPORTS = {
    "./closure/serializeClosure": ["serializeFunction", "serializeFunctionAsync"],
    "./closure/codePaths": ["computeCodePaths", "findWorkspaceRoot"],
};

let installed = false;
const loadedForReal = new Set();

function install(projectDir = path.resolve(__dirname, "..")) {
    if (installed) {
        return;
    }
    let runtimeIndex;
    try {
        runtimeIndex = require.resolve("@pulumi/pulumi/runtime/index.js", { paths: [projectDir] });
    } catch {
        return; // not installed: the real error shows up on the first require
    }
    installed = true;
    const originalRequire = Module.prototype.require;
    Module.prototype.require = function (id) {
        if (this.filename === runtimeIndex && Object.prototype.hasOwnProperty.call(LAZY_EXPORTS, id)) {
            const owner = this;
            let real;
            const load = () => {
                if (!real) {
                    real = originalRequire.call(owner, id);
                    loadedForReal.add(id);
                }
                return real;
            };
            const names = new Set(LAZY_EXPORTS[id]);
            return new Proxy(Object.create(null), {
                get(_target, prop) {
                    if (prop === "__esModule") {
                        return true;
                    }
                    if (typeof prop === "string" && names.has(prop)) {
                        return function lazyClosureExport(...args) {
                            return load()[prop].apply(this, args);
                        };
                    }
                    return load()[prop];
                },
                has(_target, prop) {
                    return names.has(prop) || prop in load();
                },
            });
        }
        return originalRequire.apply(this, arguments);
    };
}

module.exports = { install, LAZY_EXPORTS, loadedForReal };
