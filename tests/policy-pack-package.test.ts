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
 *   directory (sdk/nodejs/cmd/pulumi-language-nodejs/main.go); run-policy-pack compiles `index.ts` with
 *   ts-node and the pack's `tsconfig.json`, and the served pack prints its gRPC port on stdout.
 *
 * The test does the same in an empty temporary directory (outside the repository, so nothing resolves from
 * the project's node_modules). `npm install` runs with `--prefer-offline`: the versions are resolved as
 * usual, tarballs come from the npm cache the project's own `npm ci` filled (the same versions, as the
 * ranges match the lock file), so the install takes seconds rather than downloading @pulumi/aws again.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { PACK_NAME, allPolicies } from "../policy-pack/policies";
import type { RegisteredResource } from "../toolkit/offline";
import { DEFAULT_PACK, loadPolicyConfig, resolvePolicyConfig } from "../toolkit/policy-runner";
import { runStack } from "./harness";

const ROOT = path.resolve(__dirname, "..");
const PACK_DIR = path.join(ROOT, "policy-pack");
const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
const packPkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));

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
    it("declares every package the pack's TypeScript imports, and typescript + @types/node that ts-node needs to start it", () => {
        const imported = new Set(packSources().flatMap((f) => importsOf(path.join(PACK_DIR, f))).filter((s) => !s.startsWith(".")).map(packageOf));
        expect([...imported].sort()).toEqual(["@pulumi/aws", "@pulumi/kubernetes", "@pulumi/policy"]);
        const declared = Object.keys(packPkg.dependencies).sort();
        expect(declared).toEqual(["@pulumi/aws", "@pulumi/kubernetes", "@pulumi/policy", "@pulumi/pulumi", "@types/node", "typescript"]);
        // In `dependencies`, not `devDependencies`: they are needed at run time, and an install with the
        // `production` runtime option (`npm install --production`) skips dev dependencies.
        expect(packPkg.devDependencies).toBeUndefined();
    });

    it("uses the project's version ranges, so the pack runs on the versions the project locks and tests", () => {
        for (const [name, range] of Object.entries<string>(packPkg.dependencies)) {
            expect(`${name}@${range}`).toBe(`${name}@${rootPkg.dependencies[name] ?? rootPkg.devDependencies[name]}`);
        }
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
    }, 300_000);

    afterAll(() => {
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("the tarball holds exactly the pack: entry point, policies, configs, PulumiPolicy.yaml, tsconfig.json", () => {
        const configs = fs.readdirSync(path.join(PACK_DIR, "config")).filter((f) => f.endsWith(".json")).map((f) => `config/${f}`);
        expect(packed.files.map((f) => f.path).sort()).toEqual(
            [...packSources(), ...configs, "PulumiPolicy.yaml", "README.md", "package.json", "tsconfig.json"].sort());
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
        const check = run(process.execPath, [tsc, "--noEmit", "--listFiles", "-p", "tsconfig.json"], installDir);
        expect({ status: check.status, errors: check.stdout.split("\n").filter((l) => /error TS\d+/.test(l)) }).toEqual({ status: 0, errors: [] });
        const listed = check.stdout.trim().split("\n").map((f) => path.resolve(installDir, f));
        const real = fs.realpathSync(installDir);
        expect(listed.filter((f) => !f.startsWith(real + path.sep) && !f.startsWith(installDir + path.sep))).toEqual([]);
        const own = listed.map((f) => path.relative(f.startsWith(real) ? real : installDir, f)).filter((f) => !f.startsWith("node_modules")).sort();
        expect(own).toEqual(packSources());
    });

    describe("started the way the CLI starts it", () => {
        let child: ChildProcess;
        let client: analyzerRpc.AnalyzerClient;
        let stderr = "";
        let prod: RegisteredResource[];

        beforeAll(async () => {
            // The CLI resolves run-policy-pack from the pack directory: it must be the pack's own copy.
            const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [installDir] });
            expect(runPolicyPack.startsWith(installDir)).toBe(true);
            child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", installDir], {
                cwd: installDir,
                env: { ...process.env, PULUMI_NODEJS_PROJECT: "scaled-web", PULUMI_NODEJS_STACK: "prod", PULUMI_NODEJS_DRY_RUN: "false" },
                stdio: ["ignore", "pipe", "pipe"],
            });
            child.stderr!.on("data", (d) => (stderr += String(d)));
            const port = await new Promise<number>((resolve, reject) => {
                let out = "";
                child.stdout!.on("data", (d) => {
                    out += String(d);
                    const m = /^(\d+)\s*$/m.exec(out);
                    if (m) {
                        resolve(Number(m[1]));
                    }
                });
                child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before printing its port:\n${stderr}`)));
            });
            client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            prod = (await runStack("prod")).resources;
        }, 300_000);

        afterAll(() => {
            client?.close();
            child?.kill();
        });

        function call<Req, Res>(method: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
            return new Promise((resolve, reject) => method.call(client, req, (e, r) => (e ? reject(e) : resolve(r))));
        }

        it("serves the pack's policies (GetAnalyzerInfo)", async () => {
            const info = await call<Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
            expect(info.getName()).toBe(PACK_NAME);
            expect(info.getPoliciesList().map((p) => p.getName()).sort()).toEqual(allPolicies.map((p) => p.name).sort());
        });

        it("analyzes prod under config/prod.json with no mandatory violation, and catches an insecure change", async () => {
            const configure = new analyzerPb.ConfigureAnalyzerRequest();
            const levels: Record<string, analyzerPb.EnforcementLevel> = {
                advisory: analyzerPb.EnforcementLevel.ADVISORY, mandatory: analyzerPb.EnforcementLevel.MANDATORY,
                disabled: analyzerPb.EnforcementLevel.DISABLED, remediate: analyzerPb.EnforcementLevel.REMEDIATE,
            };
            for (const [name, c] of resolvePolicyConfig(DEFAULT_PACK, loadPolicyConfig("prod"))) {
                configure.getPolicyconfigMap().set(name, new analyzerPb.PolicyConfig()
                    .setEnforcementlevel(levels[c.enforcementLevel]).setProperties(Struct.fromJavaScript(c.properties as Record<string, any>)));
            }
            await call(client.configure, configure);

            // The fields the engine always sends (pkg/resource/analyzer: options, provider, parent, dependencies).
            const plain = (v: Record<string, unknown>): Struct => Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));
            const byUrn = new Map(prod.map((r) => [r.urn, r]));
            const options = (r: RegisteredResource): analyzerPb.AnalyzerResourceOptions =>
                new analyzerPb.AnalyzerResourceOptions().setProtect(r.protect).setParent(r.parent ?? "");
            const provider = (r: RegisteredResource): analyzerPb.AnalyzerProviderResource | undefined => {
                const p = r.provider ? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
                return p && new analyzerPb.AnalyzerProviderResource().setType(p.type).setUrn(p.urn).setName(p.name).setProperties(plain(p.inputs));
            };
            const analyze = (r: RegisteredResource, inputs = r.inputs): Promise<analyzerPb.AnalyzeResponse> =>
                call(client.analyze, new analyzerPb.AnalyzeRequest().setType(r.type).setUrn(r.urn).setName(r.name).setProperties(plain(inputs))
                    .setOptions(options(r)).setProvider(provider(r)));
            const mandatory = (res: analyzerPb.AnalyzeResponse): string[] =>
                res.getDiagnosticsList().filter((d) => d.getEnforcementlevel() === analyzerPb.EnforcementLevel.MANDATORY).map((d) => `${d.getPolicyname()} ${d.getUrn()}: ${d.getMessage()}`);

            const found: string[] = [];
            for (const r of prod.filter((x) => x.custom)) {
                found.push(...mandatory(await analyze(r)));
            }
            const stack = new analyzerPb.AnalyzeStackRequest().setResourcesList(prod.map((r) =>
                new analyzerPb.AnalyzerResource().setType(r.type).setUrn(r.urn).setName(r.name).setParent(r.parent ?? "").setProperties(plain(r.state))
                    .setOptions(options(r)).setProvider(provider(r)).setDependenciesList([...r.dependencies])));
            found.push(...mandatory(await call(client.analyzeStack, stack)));
            expect(found).toEqual([]);

            const lt = prod.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.inputs.metadataOptions)!;
            const weakened = await analyze(lt, { ...lt.inputs, metadataOptions: { ...lt.inputs.metadataOptions, httpTokens: "optional" } });
            expect(mandatory(weakened).join("\n")).toMatch(/^imdsv2-required /);
        }, 120_000);
    });
});
