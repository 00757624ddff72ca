/**
 * Runs the project's TypeScript from plain Node without a type check, for `pulumi preview/up` (Pulumi.yaml's
 * `main`, scripts/pulumi-main.js), `npm run plan`, the bench and the test suite (scripts/jest-transform.js).
 * Each `.ts` file is transpiled with sucrase (pure JavaScript, no native binary, no install script) and the
 * result is kept in `.build/ts-cache/<sha1 of source + settings>.js`. Later runs read the cached JavaScript
 * and never load the transpiler; a changed file gets a new hash and is transpiled again. Type checking is
 * `npm run lint`'s job (and CI's), not the start's.
 *
 * Files keep their own path, so `__dirname`, `require` of relative modules and stack traces' file
 * names behave exactly as they would under `pulumi up`.
 */
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const PROJECT_DIR = path.resolve(__dirname, "..");
/** `PLAN_TS_CACHE_DIR` points it elsewhere (the bench uses an empty one to time a cold start). */
const CACHE_DIR = process.env.PLAN_TS_CACHE_DIR ? path.resolve(process.env.PLAN_TS_CACHE_DIR) : path.join(PROJECT_DIR, ".build", "ts-cache");

let compiler; // loaded on the first cache miss only
let settingsKey;
const stats = { hits: 0, misses: 0, transpileMs: 0, compilerLoadMs: 0 };

/**
 * sucrase's settings, the only ones this project's TypeScript needs (tsconfig.json: `isolatedModules`,
 * `esModuleInterop`, target ES2022, CommonJS):
 * - `typescript` removes types and compiles enums and parameter properties, file by file (what
 *   `isolatedModules` already restricts the code to);
 * - `imports` turns `import`/`export` into `require`/`exports` with esModuleInterop's helpers
 *   (sucrase README, "Transforms");
 * - `disableESTransforms` leaves class fields, `?.` and `??` to Node 20 as they are, so class fields keep
 *   the define semantics tsc gives them at target ES2022 (useDefineForClassFields defaults to true there).
 * sucrase keeps every statement on its source line, so stack traces name the right `.ts` line without a
 * source map (tests/cli-start.test.ts checks that on the program's files).
 */
const SUCRASE_OPTIONS = Object.freeze({ transforms: ["typescript", "imports"], disableESTransforms: true });

function sucraseVersion() {
    try {
        return require("sucrase/package.json").version;
    } catch {
        return "unknown";
    }
}

function key() {
    if (settingsKey === undefined) {
        settingsKey = JSON.stringify({ sucrase: sucraseVersion(), options: SUCRASE_OPTIONS, format: 2 });
    }
    return settingsKey;
}

/** A `.ts` file's source as CommonJS JavaScript (no type check; `npm run lint` does that). */
function transpile(source, filename) {
    if (!compiler) {
        const t0 = performance.now();
        compiler = require("sucrase");
        stats.compilerLoadMs += performance.now() - t0;
    }
    const t0 = performance.now();
    const out = compiler.transform(source, { ...SUCRASE_OPTIONS, filePath: filename }).code;
    stats.transpileMs += performance.now() - t0;
    return out;
}

/** The JavaScript for a `.ts` file, from the cache when its source and settings are unchanged. */
function compiled(filename) {
    const source = fs.readFileSync(filename, "utf8");
    const hash = crypto.createHash("sha1").update(key()).update("\0").update(filename).update("\0").update(source).digest("hex");
    const cached = path.join(CACHE_DIR, `${hash}.js`);
    try {
        const js = fs.readFileSync(cached, "utf8");
        stats.hits++;
        return js;
    } catch {
        // not cached yet
    }
    stats.misses++;
    const js = transpile(source, filename);
    try {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, js);
        fs.renameSync(tmp, cached); // atomic, so parallel runs never read half a file
    } catch {
        // a read-only checkout still works, just without the cache
    }
    return js;
}

let installed = false;

/** Lets `require()` load the project's `.ts` files (outside node_modules) through the cache. */
function install() {
    if (installed) {
        return;
    }
    installed = true;
    require.extensions[".ts"] = (module, filename) => {
        if (filename.includes(`${path.sep}node_modules${path.sep}`)) {
            throw new Error(`refusing to transpile a .ts file inside node_modules: ${filename}`);
        }
        module._compile(compiled(filename), filename);
    };
}

module.exports = { install, transpile, key, stats, CACHE_DIR, PROJECT_DIR, SUCRASE_OPTIONS };
