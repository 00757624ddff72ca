/**
 * `pulumi preview/up` and `pulumi preview --policy-pack` start transpile-only, for every user, with no
 * environment variable:
 * - the program: Pulumi.yaml sets `runtime.options.typescript: false` and `main: scripts/pulumi-main.js`,
 *   which loads index.ts through scripts/ts-cache.js (sucrase). The language host sets
 *   PULUMI_NODEJS_TYPESCRIPT only for `typescript: true` (sdk/nodejs/cmd/pulumi-language-nodejs/main.go at
 *   github.com/pulumi/pulumi v3.248.0) and cmd/run/run.js registers ts-node only under that variable;
 * - the policy pack: run-policy-pack always registers ts-node with `typeCheck: true`; the pack's `main`
 *   (policy-pack/main.js) replaces that `.ts` loader before it loads index.ts.
 * Type errors stay `npm run lint`'s (and CI's) job.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsCache = require("../scripts/ts-cache.js") as { transpile(source: string, filename: string): string; SUCRASE_OPTIONS: Record<string, unknown> };

function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** What tsc emits for `source` with tsconfig.json's settings (CommonJS), to compare behaviour with. */
function tscEmit(source: string): string {
    const { config } = ts.parseConfigFileTextToJson("tsconfig.json", fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
    const options = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT).options;
    return ts.transpileModule(source, { compilerOptions: { ...options, declaration: false, sourceMap: false } }).outputText;
}

/** Runs CommonJS `code` in a fresh function scope and returns its `exports`. */
function evaluate(code: string): Record<string, unknown> {
    const mod = { exports: {} as Record<string, unknown> };
    new Function("exports", "module", "require", code)(mod.exports, mod, require);
    return mod.exports;
}

describe("CLI start", () => {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

    it("Pulumi.yaml turns the CLI's ts-node off and starts scripts/pulumi-main.js, which loads index.ts through the transpile cache", () => {
        expect(project.runtime.name).toBe("nodejs");
        expect(project.runtime.options.typescript).toBe(false);
        expect(project.runtime.options.tsconfig).toBeUndefined();
        expect(project.main).toBe("scripts/pulumi-main.js");
        const main = fs.readFileSync(path.join(ROOT, project.main), "utf8");
        expect(main).toMatch(/^require\("\.\/ts-cache"\)\.install\(\);$/m);
        expect(main).toMatch(/^module\.exports = require\("\.\.\/index\.ts"\);$/m);
    });

    it("the pinned SDK registers ts-node for a program only under PULUMI_NODEJS_TYPESCRIPT, and always (type-checking) for a policy pack", () => {
        const run = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "run.js"), "utf8");
        expect(run).toContain('const typeScript = process.env["PULUMI_NODEJS_TYPESCRIPT"] === "true";');
        expect(run).toMatch(/if \(typeScript\) \{[\s\S]*tsn\.register\(options\);/);
        const pack = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "run.js"), "utf8");
        expect(pack).toMatch(/tsn\.register\(\{\s*typeCheck: true,/);
    });

    it("type errors are still caught by npm run lint (tsc on tsconfig.json), which CI runs", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        expect(pkg.scripts.lint).toBe("node scripts/lint.js");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { TASKS } = require("../scripts/lint.js") as { TASKS: { name: string; args: string[] }[] };
        const tsc = TASKS.find((t) => t.name === "tsc (project)")!;
        expect(tsc.args[0]).toMatch(/typescript[\\/]bin[\\/]tsc$/);
        expect(tsc.args.slice(1, 4)).toEqual(["--noEmit", "-p", "tsconfig.json"]);
        expect(TASKS.map((t) => t.name)).toEqual(["tsc (project)", "tsc (reference app)", "eslint"]);
        expect(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).toMatch(/^npm run lint$/m);
    });

    it("the program loads without a type check: a type error does not stop the start", () => {
        const dir = tempDir("scaled-web-cli-start-");
        try {
            fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.mkdirSync(path.join(dir, "scripts"));
            for (const f of ["pulumi-main.js", "ts-cache.js"]) {
                fs.copyFileSync(path.join(ROOT, "scripts", f), path.join(dir, "scripts", f));
            }
            fs.writeFileSync(path.join(dir, "package.json"), "{\"name\":\"cli-start-test\",\"private\":true}\n");
            fs.writeFileSync(path.join(dir, "index.ts"), "const n: number = \"not a number\";\nexport = () => n;\n");
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
            const env: NodeJS.ProcessEnv = { ...process.env, PLAN_TS_CACHE_DIR: path.join(dir, ".ts-cache") };
            const run = () => spawnSync(process.execPath, [path.join(ROOT, "scripts", "cli-start.js"), "--project-dir", dir], { env, encoding: "utf8" });
            const cold = run();
            expect([cold.status, cold.stderr]).toEqual([0, ""]);
            expect(JSON.parse(cold.stdout)).toEqual(expect.objectContaining({ loader: "sucrase", transpileOnly: true, transpiled: 1, fromCache: 0, files: 1 }));
            // The second start reads the cached JavaScript.
            expect(JSON.parse(run().stdout)).toEqual(expect.objectContaining({ transpiled: 0, fromCache: 1, files: 1 }));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the policy pack starts through policy-pack/main.js, past run-policy-pack's type-checking ts-node", () => {
        const packJson = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack", "package.json"), "utf8"));
        expect(packJson.main).toBe("main.js");
        expect(packJson.files).toContain("main.js");
        expect(Object.keys(packJson.dependencies)).toContain("sucrase");
        const dir = tempDir("scaled-web-pack-start-");
        try {
            fs.copyFileSync(path.join(ROOT, "policy-pack", "main.js"), path.join(dir, "main.js"));
            fs.copyFileSync(path.join(ROOT, "policy-pack", "tsconfig.json"), path.join(dir, "tsconfig.json"));
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pack-start-test", private: true, main: packJson.main }));
            // A type error ts-node's type check would stop at; the "pack" reports what loaded it instead of serving.
            fs.writeFileSync(path.join(dir, "index.ts"), "const n: number = \"not a number\";\nconsole.log(`loaded ${n} ${__filename}`);\n");
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
            const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
            const r = spawnSync(process.execPath, [runPolicyPack, "127.0.0.1:1", dir], { cwd: dir, encoding: "utf8", env: { ...process.env, TS_NODE_CACHE_DIRECTORY: path.join(dir, ".ts-node") } });
            expect([r.status, r.stderr]).toEqual([0, ""]);
            expect(r.stdout.trim()).toBe(`loaded not a number ${path.join(dir, "index.ts")}`);
            // Without main.js, the same file stops at ts-node's type check: the test above proves the override.
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pack-start-test", private: true, main: "index.ts" }));
            const checked = spawnSync(process.execPath, [runPolicyPack, "127.0.0.1:1", dir], { cwd: dir, encoding: "utf8", env: { ...process.env, TS_NODE_CACHE_DIRECTORY: path.join(dir, ".ts-node") } });
            expect(checked.status).not.toBe(0);
            expect(checked.stdout + checked.stderr).toContain("TS2322");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the pack's loader and scripts/ts-cache.js transpile with the same sucrase settings", () => {
        const main = fs.readFileSync(path.join(ROOT, "policy-pack", "main.js"), "utf8");
        const options = /const OPTIONS = (\{.*\});/.exec(main);
        expect(options).not.toBeNull();
        expect(evaluate(`module.exports = ${options![1]};`)).toEqual(tsCache.SUCRASE_OPTIONS);
    });

    describe("transpiling with sucrase", () => {
        const sources = ["index.ts", "components", "platform", "policy-pack", "toolkit"]
            .flatMap((p) => (fs.statSync(path.join(ROOT, p)).isDirectory()
                ? fs.readdirSync(path.join(ROOT, p), { recursive: true }).map((f) => path.join(p, String(f)))
                : [p]))
            .filter((f) => f.endsWith(".ts") && !f.includes("node_modules"));

        it("keeps every line where it was in all of the program's, toolkit's and pack's files, so stack traces need no source map", () => {
            expect(sources.length).toBeGreaterThan(60);
            const moved = sources.filter((f) => {
                const source = fs.readFileSync(path.join(ROOT, f), "utf8");
                return tsCache.transpile(source, path.join(ROOT, f)).split("\n").length !== source.split("\n").length;
            });
            expect(moved).toEqual([]);
        });

        it("a thrown error names the .ts line it was thrown on", () => {
            const source = "interface A { n: number }\n\nconst a: A = { n: 1 };\nexport function fail(): never {\n    throw new Error(`at ${a.n}`);\n}\n";
            const dir = tempDir("scaled-web-lines-");
            try {
                const file = path.join(dir, "thrower.ts");
                fs.writeFileSync(file, source);
                const js = path.join(dir, "thrower.js");
                fs.writeFileSync(js, tsCache.transpile(source, file));
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const { fail } = require(js) as { fail(): never };
                let stack = "";
                try {
                    fail();
                } catch (e) {
                    stack = (e as Error).stack ?? "";
                }
                expect(stack).toContain("Error: at 1");
                expect(stack).toMatch(/thrower\.js:5:\d+/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("behaves as tsc's emit does: class fields (define semantics), parameter properties, enums, ?. and ??, default-import interop", () => {
            const source = [
                "import * as path from \"path\";",
                "import YAML from \"yaml\";",
                "class Base { constructor() { (this as any).label = \"from base\"; } }",
                "class Child extends Base { label?: string; ready = true; constructor(public readonly size: number) { super(); } }",
                "enum Tier { Small = \"small\", Large = \"large\" }",
                "const c = new Child(3);",
                "const missing: { a?: { b?: number } } = {};",
                "export const result = { label: c.label, ready: c.ready, size: c.size, tier: Tier.Large, depth: missing.a?.b ?? -1,",
                "    sep: path.sep, yaml: typeof YAML.parse, own: Object.keys(c).sort() };",
            ].join("\n");
            const bySucrase = evaluate(tsCache.transpile(source, path.join(ROOT, "semantics.ts"))).result;
            const byTsc = evaluate(tscEmit(source)).result;
            expect(bySucrase).toEqual(byTsc);
            // tsc at target ES2022 defines `label` after super(), so the base's value is gone; sucrase must agree.
            expect(byTsc).toEqual(expect.objectContaining({ label: undefined, own: ["label", "ready", "size"] }));
        });
    });
});
