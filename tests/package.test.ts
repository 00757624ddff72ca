/**
 * The library as another team consumes it: `npm pack` the project, install the tarball into a temporary
 * copy of examples/consumer, type-check that program against the shipped declarations, and run it under
 * the mock runtime through the package's own `/testing` entry point.
 *
 * Work shared between runs (`PACKAGE_TEST_CACHE=0` turns both off): the library build (`prepack` is
 * `npm run build`, asserted below) runs only when its inputs changed since the build in dist/ (a content
 * hash in dist/.build-inputs), then `npm pack --ignore-scripts` packs that dist/; and the consumer's
 * type-check, which parses every declaration file of @pulumi/aws, is skipped when a check of exactly the
 * same inputs (the unpacked tarball, the consumer's sources, the compiler and type packages) passed
 * before; its output is kept in .build/consumer-check/<hash>/.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const CACHE = process.env.PACKAGE_TEST_CACHE !== "0";

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? (e.name === "node_modules" ? [] : filesUnder(p)) : e.isFile() ? [p] : [];
    });
}

/** sha256 over the given files' paths (relative to `base`) and contents, plus extra strings. */
function hashOf(base: string, files: readonly string[], extra: readonly string[] = []): string {
    const h = crypto.createHash("sha256");
    for (const f of files) {
        h.update(path.relative(base, f)).update("\0").update(fs.readFileSync(f)).update("\0");
    }
    for (const e of extra) {
        h.update(e).update("\0");
    }
    return h.digest("hex");
}

const version = (pkg: string): string => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", ...pkg.split("/"), "package.json"), "utf8")).version;

/** What `npm run build` (tsconfig.build.json) compiles, and the settings it compiles with. */
function buildInputsHash(): string {
    const files = ["components", "policy-pack/policies", "toolkit"].flatMap((d) => filesUnder(path.join(ROOT, d)))
        .concat(["tsconfig.json", "tsconfig.build.json", "package.json", "package-lock.json"].map((f) => path.join(ROOT, f)));
    return hashOf(ROOT, files, [process.version, version("typescript")]);
}

/** Builds dist/ unless it was built from the same inputs. */
function buildOnce(): void {
    const stamp = path.join(ROOT, "dist", ".build-inputs");
    const key = buildInputsHash();
    if (CACHE && fs.existsSync(path.join(ROOT, "dist", "components", "index.js")) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) {
        return;
    }
    execFileSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    fs.writeFileSync(stamp, key);
}

interface PackResult {
    filename: string;
    files: { path: string }[];
}

let work: string;
let packed: PackResult;

beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-pack-"));
    // What `prepack` would do (see the test "packs what prepack builds"), skipped when dist/ is current.
    buildOnce();
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    packed = JSON.parse(out.slice(out.indexOf("[")))[0];
}, 180000);

afterAll(() => {
    if (work) {
        fs.rmSync(work, { recursive: true, force: true });
    }
});

describe("npm pack", () => {
    test("packs what prepack builds: `npm run build`, the library build of tsconfig.build.json", () => {
        expect(PKG.scripts.prepack).toBe("npm run build");
        expect(PKG.scripts.build).toBe("tsc -p tsconfig.build.json");
    });

    test("ships the compiled components with declarations and nothing from the test suite", () => {
        const files = packed.files.map((f) => f.path);
        expect(files).toEqual(expect.arrayContaining([
            "package.json", "README.md", "CHANGELOG.md",
            "dist/components/index.js", "dist/components/index.d.ts",
            "dist/components/network.js", "dist/components/network.d.ts",
            "dist/toolkit/offline.js", "dist/policy-pack/policies/index.js", "dist/toolkit/policy-runner.js",
            "policy-pack/config/dev.json", "policy-pack/config/staging.json", "policy-pack/config/prod.json",
        ]));
        expect(files.filter((f) => /(^|\/)tests?\/|\.test\.|\.spec\.|\.map$|^examples\/|\.ts$(?<!\.d\.ts$)/.test(f))).toEqual([]);
    });

    test("every export map target is in the tarball", () => {
        const files = new Set(packed.files.map((f) => f.path));
        for (const [entry, target] of Object.entries<any>(PKG.exports)) {
            const targets = typeof target === "string" ? [target] : Object.values<string>(target);
            for (const t of targets) {
                expect({ entry, present: files.has(t.replace(/^\.\//, "")) }).toEqual({ entry, present: true });
            }
        }
    });
});

describe("examples/consumer against the packed tarball", () => {
    let app: string;

    beforeAll(() => {
        app = path.join(work, "consumer");
        fs.cpSync(path.join(ROOT, "examples", "consumer"), app, { recursive: true });
        // Install the tarball the way npm lays it out, without a network round trip: unpack it into
        // node_modules, and link the peer packages (the Pulumi SDKs etc.) from this checkout's install.
        const target = path.join(app, "node_modules", ...PKG.name.split("/"));
        fs.mkdirSync(target, { recursive: true });
        execFileSync("tar", ["-xzf", path.join(work, packed.filename), "-C", target, "--strip-components=1"]);
        const links = [...Object.keys(PKG.dependencies), "@types/node", "typescript"];
        for (const dep of links) {
            const dest = path.join(app, "node_modules", ...dep.split("/"));
            fs.mkdirSync(path.dirname(dest), { recursive: true });
            fs.symlinkSync(path.join(ROOT, "node_modules", ...dep.split("/")), dest, "dir");
        }
    });

    test("type-checks against the shipped declarations", () => {
        const pkgDir = path.join(app, "node_modules", ...PKG.name.split("/"));
        const key = hashOf(ROOT, filesUnder(path.join(ROOT, "examples", "consumer")), [
            hashOf(pkgDir, filesUnder(pkgDir)), process.version, ...["typescript", "@types/node", ...Object.keys(PKG.dependencies)].map((p) => `${p}@${version(p)}`),
        ]);
        const passed = path.join(ROOT, ".build", "consumer-check", key.slice(0, 24));
        if (CACHE && fs.existsSync(path.join(passed, "bin", "index.js"))) {
            // tsc passed on exactly these inputs before: reuse its output.
            fs.cpSync(path.join(passed, "bin"), path.join(app, "bin"), { recursive: true });
        } else {
            const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
            execFileSync(process.execPath, [tsc, "-p", path.join(app, "tsconfig.json")], { cwd: app, encoding: "utf8" });
            fs.rmSync(path.join(ROOT, ".build", "consumer-check"), { recursive: true, force: true });
            fs.mkdirSync(passed, { recursive: true });
            fs.cpSync(path.join(app, "bin"), path.join(passed, "bin"), { recursive: true });
        }
        expect(fs.existsSync(path.join(app, "bin", "index.js"))).toBe(true);
    }, 120000);

    test("runs under the mock runtime through @scaled-web/platform/testing", () => {
        const runner = path.join(app, "run-offline.js");
        fs.writeFileSync(runner, [
            `const { runOffline } = require("${PKG.name}/testing");`,
            `const { allPolicies } = require("${PKG.name}/policy");`,
            `const { evaluatePolicies, loadPolicyConfig } = require("${PKG.name}/policy/runner");`,
            `runOffline(() => require("./bin/index.js"), { project: "orders-service-infra", stack: "dev", config: { "orders-service-infra:region": "eu-west-1" } })`,
            "  .then((r) => process.stdout.write(JSON.stringify({",
            "    outputs: r.outputs,",
            "    resources: r.resources.map((x) => ({ type: x.type, name: x.name, region: x.region })),",
            "    policyCount: allPolicies.length,",
            "    policies: evaluatePolicies(r.resources, { config: loadPolicyConfig(\"prod\") }),",
            "  })))",
            "  .catch((e) => { console.error(e); process.exit(1); });",
        ].join("\n"));
        const out = JSON.parse(execFileSync(process.execPath, [runner], { cwd: app, encoding: "utf8" }));
        expect(out.outputs.vpcId).toBe("orders-net-vpc-id");
        expect(out.outputs.privateSubnetIds).toHaveLength(3);
        const vpc = out.resources.find((r: any) => r.type === "aws:ec2/vpc:Vpc");
        expect(vpc).toEqual({ type: "aws:ec2/vpc:Vpc", name: "orders-net-vpc", region: "eu-west-1" });
        // Database and cache from the package, in the consumer's region, with the consumer's names.
        const types = (t: string) => out.resources.filter((r: any) => r.type === t);
        expect(types("scaled-web:data:Database").map((r: any) => r.name)).toEqual(["orders-db"]);
        expect(types("aws:rds/instance:Instance").map((r: any) => r.name).sort()).toEqual(["orders-db-primary", "orders-db-replica-1"]);
        expect(types("aws:elasticache/replicationGroup:ReplicationGroup").map((r: any) => [r.name, r.region])).toEqual([["orders-cache-cache", "eu-west-1"]]);
        // Everything in the consumer's region, but the backup copy vault (and its key), which sits in the second region.
        const copy = (r: any) => r.name.startsWith("orders-db-backup-copy");
        for (const r of out.resources.filter((x: any) => x.type.startsWith("aws:") && !copy(x))) {
            expect({ name: r.name, region: r.region }).toEqual({ name: r.name, region: "eu-west-1" });
        }
        const copies = out.resources.filter((x: any) => x.type.startsWith("aws:") && copy(x));
        expect(copies.length).toBeGreaterThan(0);
        expect(new Set(copies.map((r: any) => r.region))).toEqual(new Set(["eu-central-1"]));
        expect(out.outputs.databaseWriter).toMatch(/^orders-db-proxy\.proxy-.*\.eu-west-1\.rds\.amazonaws\.com:5432$/);
        expect(out.outputs.databaseReader).toBe("reader.db.internal:5432");
        expect(out.outputs.cacheEndpoint).toMatch(/eu-west-1|euwest1/);
        // The shipped policies and their offline evaluator work on the consumer's own resources, with the
        // packaged prod policy config: the Database and Cache defaults meet the prod guardrails.
        expect(out.policyCount).toBeGreaterThanOrEqual(20);
        expect(out.policies.packName).toBe("scaled-web-guardrails");
        expect(out.policies.violations.filter((v: any) => v.enforcementLevel === "mandatory")).toEqual([]);
    }, 120000);
});
