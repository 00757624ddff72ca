#!/usr/bin/env node
/**
 * Loads the program (`main` of Pulumi.yaml) the way the Pulumi CLI's Node.js language host does before it
 * runs it, and prints how long that took as JSON. `npm run bench` uses it to time the CLI's start offline
 * (there is no pulumi CLI or engine here).
 *
 * What the CLI does, as read from the pinned SDK (node_modules/@pulumi/pulumi 3.248.0) and the language
 * host (github.com/pulumi/pulumi, tag v3.248.0):
 *  - sdk/nodejs/cmd/pulumi-language-nodejs/main.go reads `runtime.options` of Pulumi.yaml: `typescript`
 *    (default true) becomes PULUMI_NODEJS_TYPESCRIPT=true, `tsconfig` PULUMI_NODEJS_TSCONFIG_PATH.
 *  - cmd/run/run.js (sdk/nodejs/cmd/run/run.ts): only under PULUMI_NODEJS_TYPESCRIPT it registers ts-node:
 *    the file's own `compilerOptions` (tsutils.loadTypeScriptCompilerOptions: no `extends` followed),
 *    `transpileOnly` from `compilerOptions.noCheck` unless PULUMI_NODEJS_TRANSPILE_ONLY is set, and
 *    `{ target: "ES2020", module/moduleResolution: "nodenext" (TypeScript >= 4.7), sourceMap: "true",
 *    ...thatFile.compilerOptions }` with `project: <tsconfig path>`. Then it `require`s `main`.
 *  - tsutils.typeScriptRequireStrings(): the project's `typescript` when installed (5.9 here), and the
 *    project's `ts-node` when installed, else the vendored ts-node 7.0.1 (this project installs none).
 *    ts-node 7.0.1 keeps compiled files in `<tmpdir>/ts-node-<hash of home>/<hash of settings>/`
 *    (TS_NODE_CACHE_DIRECTORY overrides).
 *
 * This project sets `typescript: false` and `main: scripts/pulumi-main.js`, which loads index.ts through
 * scripts/ts-cache.js (sucrase; PLAN_TS_CACHE_DIR moves its cache).
 *
 * Usage: node scripts/cli-start.js [--project-dir DIR] [--ts-node TSCONFIG] [--main FILE]
 *   --ts-node starts the program as `typescript: true` with that tsconfig would, --main overrides `main`
 *   (the bench passes `--ts-node tsconfig.json --main index.ts` to time the type-checking start the
 *   project had first).
 * Output: {"loadMs":..,"loader":"sucrase"|"ts-node",..,"files":..}
 */
"use strict";

const t0 = performance.now();
const fs = require("fs");
const path = require("path");

function parseArgs(argv) {
    const out = { projectDir: process.cwd(), tsNode: undefined, main: undefined };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--project-dir") {
            out.projectDir = path.resolve(argv[++i]);
        } else if (argv[i] === "--ts-node") {
            out.tsNode = argv[++i];
        } else if (argv[i] === "--main") {
            out.main = argv[++i];
        } else {
            throw new Error(`unknown option ${argv[i]}; use --project-dir DIR, --ts-node TSCONFIG, --main FILE`);
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

/** What cmd/run/run.js does under PULUMI_NODEJS_TYPESCRIPT=true. */
function registerTsNode(projectDir, tsConfigPath) {
    const fromProject = (m) => require(require.resolve(m, { paths: [projectDir] }));
    const tsutils = fromProject("@pulumi/pulumi/tsutils");
    const semver = fromProject("semver");
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
    const transpileEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const transpileOnly = transpileEnv ? transpileEnv === "true" : compilerOptions.noCheck;
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    const ts = require(require.resolve(typescriptRequire, { paths: [projectDir] }));
    const v = semver.parse(ts.version);
    const nodeNext = v && v.compare(new semver.SemVer("4.7.0")) >= 0;
    const tsn = require(require.resolve(tsnodeRequire, { paths: [projectDir] }));
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
    return { loader: "ts-node", tsNode: tsn.VERSION, typescript: ts.version, tsconfig: tsConfigPath, transpileOnly: Boolean(transpileOnly) };
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    process.chdir(args.projectDir); // the language host runs the program with --pwd <project dir>
    const settings = projectSettings(args.projectDir);
    const { options } = settings;
    const entry = args.main ?? settings.main;
    const typescript = args.tsNode !== undefined || options.typescript !== false;
    const info = typescript
        ? registerTsNode(args.projectDir, args.tsNode ?? options.tsconfig ?? "tsconfig.json")
        : { loader: "node", transpileOnly: true };
    const before = new Set(Object.keys(require.cache));
    const program = require(path.resolve(args.projectDir, entry));
    const loaded = Object.keys(require.cache).filter((f) => !before.has(f) && !f.includes(`${path.sep}node_modules${path.sep}`));
    if (typeof program !== "function" && typeof program !== "object") {
        throw new Error(`${entry} exported ${typeof program}`);
    }
    // The project's own loader (scripts/pulumi-main.js -> scripts/ts-cache.js), when main went through it.
    const cache = loaded.find((f) => f.endsWith(`${path.sep}scripts${path.sep}ts-cache.js`));
    const stats = cache ? require.cache[cache].exports.stats : undefined;
    process.stdout.write(JSON.stringify({
        loadMs: Math.round(performance.now() - t0),
        ...info,
        ...(stats ? { loader: "sucrase", transpiled: stats.misses, fromCache: stats.hits } : {}),
        files: loaded.filter((f) => f.endsWith(".ts")).length,
    }) + "\n");
}

try {
    main();
} catch (e) {
    process.stderr.write(`cli-start: ${(e && e.stack) || e}\n`);
    process.exitCode = 2;
}
