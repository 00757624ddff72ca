/**
 * `pulumi preview/up` starts the program transpile-only, for every user, with no environment variable:
 * Pulumi.yaml's `runtime.options.tsconfig` names tsconfig.pulumi.json, whose `noCheck: true` the pinned
 * SDK's language host turns into ts-node's `transpileOnly` (node_modules/@pulumi/pulumi/cmd/run/run.js;
 * sdk/nodejs/cmd/run/run.ts:313-331 and sdk/nodejs/cmd/pulumi-language-nodejs/main.go:303-306, 905-906 at
 * github.com/pulumi/pulumi v3.248.0). Type errors stay `npm run lint`'s (and CI's) job.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "..");

function compilerOptionsOf(file: string): Record<string, unknown> {
    const parsed = ts.parseConfigFileTextToJson(file, fs.readFileSync(file, "utf8"));
    expect(parsed.error).toBeUndefined();
    return parsed.config.compilerOptions ?? {};
}

describe("CLI start", () => {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

    it("Pulumi.yaml points the language host at tsconfig.pulumi.json, which sets noCheck", () => {
        expect(project.runtime.name).toBe("nodejs");
        expect(project.runtime.options.typescript).not.toBe(false);
        expect(project.runtime.options.tsconfig).toBe("tsconfig.pulumi.json");
        // The language host reads only the file's own compilerOptions (tsutils.loadTypeScriptCompilerOptions
        // follows no `extends`), so noCheck and the emit settings must be in tsconfig.pulumi.json itself.
        const own = compilerOptionsOf(path.join(ROOT, "tsconfig.pulumi.json"));
        expect(own.noCheck).toBe(true);
        const checked = compilerOptionsOf(path.join(ROOT, "tsconfig.json"));
        for (const key of ["target", "module", "moduleResolution", "esModuleInterop", "isolatedModules", "resolveJsonModule"]) {
            expect([key, own[key]]).toEqual([key, checked[key]]);
        }
        expect(checked.noCheck).toBeUndefined();
    });

    it("the pinned SDK still maps the tsconfig option and noCheck to a transpile-only ts-node", () => {
        const run = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "run.js"), "utf8");
        expect(run).toContain('process.env["PULUMI_NODEJS_TSCONFIG_PATH"]');
        expect(run).toContain("transpileOnly = compilerOptions.noCheck;");
        expect(run).toContain("tsn.register(options);");
        const tsutils = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "tsutils.js"), "utf8");
        expect(tsutils).toContain('return tsConfig["compilerOptions"] ?? {};');
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
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-cli-start-"));
        try {
            fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.copyFileSync(path.join(ROOT, "tsconfig.pulumi.json"), path.join(dir, "tsconfig.pulumi.json"));
            fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, types: [] }, include: ["index.ts"] }));
            fs.writeFileSync(path.join(dir, "package.json"), "{\"name\":\"cli-start-test\",\"private\":true}\n");
            fs.writeFileSync(path.join(dir, "index.ts"), "const n: number = \"not a number\";\nexport = () => n;\n");
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
            const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_CACHE_DIRECTORY: path.join(dir, ".ts-node") };
            delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
            const out = spawnSync(process.execPath, [path.join(ROOT, "scripts", "cli-start.js"), "--project-dir", dir], { env, encoding: "utf8" });
            expect([out.status, out.stderr]).toEqual([0, ""]);
            expect(JSON.parse(out.stdout)).toEqual(expect.objectContaining({ transpileOnly: true, tsconfig: "tsconfig.pulumi.json", files: 1 }));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
