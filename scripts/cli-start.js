#!/usr/bin/env node
/**
 * Loads the program (`main` of Pulumi.yaml) through the same TypeScript registration the Pulumi CLI's
 * Node.js language host performs before it runs a program, and prints how long that took as JSON.
 * `npm run bench` uses it to time the CLI's start offline (there is no pulumi CLI or engine here).
 *
 * What the CLI does, as read from the pinned SDK (node_modules/@pulumi/pulumi 3.248.0) and the language
 * host (github.com/pulumi/pulumi, tag v3.248.0):
 *  - sdk/nodejs/cmd/pulumi-language-nodejs/main.go:303-306 reads `runtime.options.tsconfig` from
 *    Pulumi.yaml and :905-906 passes it to the program as PULUMI_NODEJS_TSCONFIG_PATH (and `typescript`,
 *    default true, as PULUMI_NODEJS_TYPESCRIPT=true, :903).
 *  - cmd/run/run.js (compiled from sdk/nodejs/cmd/run/run.ts:313-399): reads that file's own
 *    `compilerOptions` (tsutils.loadTypeScriptCompilerOptions: no `extends` followed) and sets ts-node's
 *    `transpileOnly` from `compilerOptions.noCheck` unless PULUMI_NODEJS_TRANSPILE_ONLY is set; passes
 *    `{ target: "ES2020", module/moduleResolution: "nodenext" (TypeScript >= 4.7), sourceMap: "true",
 *    ...thatFile.compilerOptions }` and `project: <tsconfig path>` to `register()`.
 *  - tsutils.typeScriptRequireStrings(): the project's `typescript` when installed (5.9 here), and the
 *    project's `ts-node` when installed, else the vendored ts-node 7.0.1 (this project installs none).
 *    ts-node 7.0.1 knows no `"ts-node"` block in tsconfig.json; it keeps compiled files in
 *    `<tmpdir>/ts-node-<hash of home>/<hash of settings>/` (TS_NODE_CACHE_DIRECTORY overrides).
 *
 * Usage: node scripts/cli-start.js [--project-dir DIR] [--tsconfig FILE]
 *   --tsconfig overrides Pulumi.yaml's runtime.options.tsconfig (the bench passes tsconfig.json to time
 *   the type-checking start the project had before). Output: {"loadMs":..,"transpileOnly":..,"files":..}
 */
"use strict";

const t0 = performance.now();
const fs = require("fs");
const path = require("path");

function parseArgs(argv) {
    const out = { projectDir: process.cwd(), tsconfig: undefined };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--project-dir") {
            out.projectDir = path.resolve(argv[++i]);
        } else if (argv[i] === "--tsconfig") {
            out.tsconfig = argv[++i];
        } else {
            throw new Error(`unknown option ${argv[i]}; use --project-dir DIR, --tsconfig FILE`);
        }
    }
    return out;
}

/** `runtime.options` of Pulumi.yaml and `main`. */
function projectSettings(dir) {
    const YAML = require(require.resolve("yaml", { paths: [dir] }));
    const doc = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) ?? {};
    const options = (doc.runtime && typeof doc.runtime === "object" && doc.runtime.options) || {};
    return { main: doc.main ?? ".", options };
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    process.chdir(args.projectDir); // the language host runs the program with --pwd <project dir>
    const { main: entry, options } = projectSettings(args.projectDir);
    if (options.typescript === false) {
        throw new Error("Pulumi.yaml sets runtime.options.typescript: false; nothing to time here");
    }
    const tsConfigPath = args.tsconfig ?? options.tsconfig ?? "tsconfig.json";
    const fromProject = (m) => require(require.resolve(m, { paths: [args.projectDir] }));
    const tsutils = fromProject("@pulumi/pulumi/tsutils");
    const semver = fromProject("semver");
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
    const transpileEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const transpileOnly = transpileEnv ? transpileEnv === "true" : compilerOptions.noCheck;
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    const ts = require(require.resolve(typescriptRequire, { paths: [args.projectDir] }));
    const v = semver.parse(ts.version);
    const nodeNext = v && v.compare(new semver.SemVer("4.7.0")) >= 0;
    const tsn = require(require.resolve(tsnodeRequire, { paths: [args.projectDir] }));
    tsn.register({
        compiler: typescriptRequire,
        transpileOnly,
        project: tsConfigPath,
        skipProject: !fs.existsSync(tsConfigPath),
        compilerOptions: {
            target: "ES2020",
            module: nodeNext ? "nodenext" : "commonjs",
            moduleResolution: nodeNext ? "nodenext" : "node",
            sourceMap: "true",
            ...compilerOptions,
        },
    });
    const before = new Set(Object.keys(require.cache));
    const program = require(path.resolve(args.projectDir, entry));
    const files = Object.keys(require.cache).filter((f) => !before.has(f) && f.endsWith(".ts") && !f.includes(`${path.sep}node_modules${path.sep}`));
    if (typeof program !== "function" && typeof program !== "object") {
        throw new Error(`${entry} exported ${typeof program}`);
    }
    process.stdout.write(JSON.stringify({
        loadMs: Math.round(performance.now() - t0),
        transpileOnly: Boolean(transpileOnly),
        tsconfig: tsConfigPath,
        tsNode: tsn.VERSION,
        typescript: ts.version,
        files: files.length,
    }) + "\n");
}

try {
    main();
} catch (e) {
    process.stderr.write(`cli-start: ${(e && e.stack) || e}\n`);
    process.exitCode = 2;
}
