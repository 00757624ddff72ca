/**
 * The policy pack as `pulumi policy publish` ships it and as the CLI that enforces it installs and starts it.
 *
 * What the CLI does (pulumi/pulumi, checked at the mirrored HEAD 1b59498):
 * - publish: `npm pack --loglevel=error` in the pack's directory (sdk/nodejs/npm/npm.go `Pack`, called from
 *   pkg/backend/httpstate/policypack.go `Publish` for a nodejs runtime);
 * - install: extract the tarball, keep its `package/` directory, run `npm install --loglevel=error` there
 *   (policypack.go `installRequiredPolicy` -> language host `InstallDependencies` -> npm.go `installCmd`);
 * - start: the nodejs language host's `RunPlugin` resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack
 *   directory and runs `node <that> <engine address> <pack dir>` with the pack directory as working
 *   directory (sdk/nodejs/cmd/pulumi-language-nodejs/main.go); run-policy-pack registers a type-checking
 *   ts-node with the pack's `tsconfig.json` and loads the pack's `main`, main.js, which swaps that loader
 *   for sucrase and loads `index.ts`; the served pack prints its gRPC port on stdout. The
 *   project's Analyzer client (`PolicyPackProcess`, toolkit/analyzer-client.ts) does exactly that and then
 *   makes the engine's calls (ConfigureStack, GetAnalyzerInfo, Configure, Analyze, AnalyzeStack).
 *
 * The test does the same in an empty temporary directory (outside the repository, so nothing resolves from
 * the project's node_modules). `npm install` runs with `--prefer-offline`: the versions are resolved as
 * usual, tarballs come from the npm cache the project's own `npm ci` filled (the same versions, as the
 * ranges match the lock file), so the install takes seconds rather than downloading @pulumi/aws again.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PACK_NAME, allPolicies } from "../policy-pack/policies";
import { PolicyPackProcess } from "../toolkit/analyzer-client";
import { RegisteredResource, withInputs } from "../toolkit/offline";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { runStack } from "./harness";

const ROOT = path.resolve(__dirname, "..");
const PACK_DIR = path.join(ROOT, "policy-pack");
const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
const packPkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
/**
 * Where the last install of the packed pack is kept between runs (see the `beforeAll` below): outside the
 * repository like the fresh install, so nothing can resolve from the project's node_modules.
 */
const INSTALL_CACHE_DIR = path.join(os.tmpdir(), "scaled-web-policy-pack-install");

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): { status: number | null; stdout: string; stderr: string; ms: number } {
    const t = Date.now();
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
    return { status: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`, ms: Date.now() - t };
}

/** Every `.ts` file of the pack in the repository, relative to policy-pack/. */
function packSources(): string[] {
    return ["index.ts", ...fs.readdirSync(path.join(PACK_DIR, "policies")).filter((f) => f.endsWith(".ts")).map((f) => `policies/${f}`)].sort();
}

/** Module specifiers a TypeScript file imports (static imports and `export ... from`). */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
}

const packageOf = (spec: string): string => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

describe("policy-pack/package.json", () => {
    it("declares every package the pack's TypeScript imports, sucrase that main.js loads it with, and typescript + @types/node for the ts-node run-policy-pack registers first", () => {
        const imported = new Set(packSources().flatMap((f) => importsOf(path.join(PACK_DIR, f))).filter((s) => !s.startsWith(".")).map(packageOf));
        expect([...imported].sort()).toEqual(["@pulumi/aws", "@pulumi/kubernetes", "@pulumi/policy"]);
        const declared = Object.keys(packPkg.dependencies).sort();
        expect(declared).toEqual(["@pulumi/aws", "@pulumi/kubernetes", "@pulumi/policy", "@pulumi/pulumi", "@types/node", "sucrase", "typescript"]);
        // In `dependencies`, not `devDependencies`: they are needed at run time, and an install with the
        // `production` runtime option (`npm install --production`) skips dev dependencies.
        expect(packPkg.devDependencies).toBeUndefined();
    });

    it("uses the project's version ranges, so the pack runs on the versions the project locks and tests", () => {
        for (const [name, range] of Object.entries<string>(packPkg.dependencies)) {
            expect(`${name}@${range}`).toBe(`${name}@${rootPkg.dependencies[name] ?? rootPkg.devDependencies[name]}`);
        }
    });

    it("imports SDK classes module by module (policies/sdk.ts), never an SDK's index, which would make every start parse all of it", () => {
        const indexImports = packSources().flatMap((f) => importsOf(path.join(PACK_DIR, f)).filter((s) => s === "@pulumi/aws" || s === "@pulumi/kubernetes").map((s) => `${f}: ${s}`));
        expect(indexImports).toEqual([]);
        expect(importsOf(path.join(PACK_DIR, "policies", "sdk.ts")).every((s) => /^@pulumi\/(aws|kubernetes)\/[a-z0-9]+(\/v\d\w*)?\/[a-zA-Z0-9]+$/.test(s))).toBe(true);
    });

    it("relative imports stay inside policy-pack/", () => {
        for (const file of packSources()) {
            for (const spec of importsOf(path.join(PACK_DIR, file)).filter((s) => s.startsWith("."))) {
                const target = path.resolve(PACK_DIR, path.dirname(file), spec);
                expect(path.relative(PACK_DIR, target).startsWith("..")).toBe(false);
            }
        }
    });
});

describe("the published pack, installed and started on its own", () => {
    let work: string;
    let installDir: string;
    let packed: { filename: string; files: { path: string }[] };
    let install: ReturnType<typeof run>;

    beforeAll(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-package-"));
        const pack = run("npm", ["pack", "--loglevel=error", "--json", "--pack-destination", work], PACK_DIR);
        if (pack.status !== 0) {
            throw new Error(`npm pack failed: ${pack.stderr}`);
        }
        packed = JSON.parse(pack.stdout)[0];
        // An install of this very tarball (npm pack writes fixed mtimes, so equal sources give equal bytes) under the
        // same lock file and Node.js is reused from the previous `npm test` (INSTALL_CACHE_DIR); the first run, and
        // any change to the pack or the lock, installs afresh. `POLICY_PACK_INSTALL_CACHE=0` always installs.
        const key = crypto.createHash("sha256").update(fs.readFileSync(path.join(work, packed.filename)))
            .update(fs.readFileSync(path.join(ROOT, "package-lock.json"))).update(process.version).digest("hex").slice(0, 20);
        const cached = path.join(INSTALL_CACHE_DIR, key);
        if (process.env.POLICY_PACK_INSTALL_CACHE !== "0" && fs.existsSync(path.join(cached, "package", ".installed"))) {
            installDir = path.join(cached, "package");
            install = { status: 0, stdout: "", stderr: "", ms: 0 };
            return;
        }
        // Like installRequiredPolicy: extract, the pack is the tarball's `package/` directory.
        const untar = run("tar", ["-xzf", path.join(work, packed.filename), "-C", work], work);
        if (untar.status !== 0) {
            throw new Error(`tar failed: ${untar.stderr}`);
        }
        installDir = path.join(work, "package");
        install = run("npm", ["install", "--loglevel=error", "--prefer-offline", "--no-audit", "--no-fund"], installDir);
        if (install.status !== 0) {
            throw new Error(`npm install in the unpacked pack failed:\n${install.stderr}`);
        }
        if (process.env.POLICY_PACK_INSTALL_CACHE !== "0") {
            // Keep it for the next run: older installs go, this one moves in whole (a marker file last).
            fs.rmSync(INSTALL_CACHE_DIR, { recursive: true, force: true });
            fs.mkdirSync(cached, { recursive: true });
            fs.renameSync(installDir, path.join(cached, "package"));
            installDir = path.join(cached, "package");
            fs.writeFileSync(path.join(installDir, ".installed"), `${new Date().toISOString()}\n`);
        }
    }, 300_000);

    it("the tarball holds exactly the pack: main.js and the entry point, policies, configs, PulumiPolicy.yaml, tsconfig.json", () => {
        const configs = fs.readdirSync(path.join(PACK_DIR, "config")).filter((f) => f.endsWith(".json")).map((f) => `config/${f}`);
        expect(packed.files.map((f) => f.path).sort()).toEqual(
            ["main.js", ...packSources(), ...configs, "PulumiPolicy.yaml", "README.md", "package.json", "tsconfig.json"].sort());
    });

    it("installs the versions the project locks", () => {
        for (const name of Object.keys(packPkg.dependencies)) {
            const installed = JSON.parse(fs.readFileSync(path.join(installDir, "node_modules", name, "package.json"), "utf8")).version.replace(/^v/, "");
            expect(`${name}@${installed}`).toBe(`${name}@${rootLock.packages[`node_modules/${name}`].version}`);
        }
    });

    it("type-checks in isolation: every .ts of the tarball compiles against the pack's own node_modules only", () => {
        const tsc = path.join(installDir, "node_modules", "typescript", "bin", "tsc");
        // One compilation: type-check and list every file it read.
        // Incremental (build info inside the install), so a reused install checks in a second.
        const check = run(process.execPath, [tsc, "--noEmit", "--listFiles", "--incremental", "--tsBuildInfoFile", "node_modules/.cache/tsc.tsbuildinfo", "-p", "tsconfig.json"], installDir);
        expect({ status: check.status, errors: check.stdout.split("\n").filter((l) => /error TS\d+/.test(l)) }).toEqual({ status: 0, errors: [] });
        const listed = check.stdout.trim().split("\n").map((f) => path.resolve(installDir, f));
        const real = fs.realpathSync(installDir);
        expect(listed.filter((f) => !f.startsWith(real + path.sep) && !f.startsWith(installDir + path.sep))).toEqual([]);
        const own = listed.map((f) => path.relative(f.startsWith(real) ? real : installDir, f)).filter((f) => !f.startsWith("node_modules")).sort();
        expect(own).toEqual(packSources());
    });

    describe("started the way the CLI starts it, driven over the Analyzer protocol", () => {
        let pack: PolicyPackProcess;
        let prod: RegisteredResource[];

        beforeAll(async () => {
            pack = await PolicyPackProcess.start({ packDir: installDir, project: "scaled-web", stack: "prod" });
            prod = (await runStack("prod")).resources;
        }, 300_000);

        afterAll(async () => {
            await pack?.close();
        });

        it("runs the pack's own @pulumi/pulumi/cmd/run-policy-pack, as the CLI resolves it from the pack directory", () => {
            expect(pack.packDir).toBe(installDir);
            expect(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [installDir] }).startsWith(path.join(installDir, "node_modules") + path.sep)).toBe(true);
        });

        it("serves the pack's policies (GetAnalyzerInfo)", async () => {
            const info = await pack.info();
            expect(info.name).toBe(PACK_NAME);
            expect(info.policies.map((p) => p.name).sort()).toEqual(allPolicies.map((p) => p.name).sort());
        });

        it("analyzes prod under config/prod.json: no mandatory violation, in agreement with the in-process runner", async () => {
            const config = loadPolicyConfig("prod");
            const report = await pack.evaluate(prod, { config });
            expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceUrn ?? "(stack)"}: ${v.message}`)).toEqual([]);
            expect(report.policies).toHaveLength(allPolicies.length);
            const inProcess = evaluatePolicies(prod, { config, stackProperties: "outputs" });
            expect(report.policies).toEqual(inProcess.policies);
            expect(report.violations).toEqual(inProcess.violations);
        }, 120_000);

        it("catches an insecure change (IMDSv1 allowed on a launch template)", async () => {
            const i = prod.findIndex((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.inputs.metadataOptions);
            const weakened = [...prod];
            weakened[i] = withInputs(prod[i], (inputs) => {
                inputs.metadataOptions.httpTokens = "optional";
            });
            // Analyze for the changed launch template (the others were analyzed, clean, in the test above), then
            // AnalyzeStack with the whole stack, as the engine sends them.
            const report = await pack.evaluate(weakened, { config: loadPolicyConfig("prod"), analyzeOnly: new Set([prod[i].urn]) });
            expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceUrn}`))
                .toEqual([`imdsv2-required ${prod[i].urn}`]);
        }, 120_000);
    });
});
