/**
 * Policy config for stacks other than dev and prod: `config/<stack>.json`, else
 * `config/<environment>.json` (the stack's `scaled-web:environment`), else an error naming both paths.
 * The plan runs on stacks built from prod's stack file under other names (none is committed).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ENVIRONMENTS } from "../platform/config";
import { PACK_NAME, allPolicies } from "../policy-pack/policies";
import { EXIT, PlanResult, isUserError, plan, render } from "../scripts/plan-cli";
import { cachedProgramRunner } from "./harness";
import { CONFIG_DIR, PolicyConfigNotFoundError, evaluatePolicies, loadPolicyConfig, locatePolicyConfig, resolvePolicyConfig } from "../toolkit/policy-runner";

const ROOT = path.resolve(__dirname, "..");

describe("locatePolicyConfig", () => {
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
        fs.writeFileSync(path.join(dir, "prod.json"), JSON.stringify({ all: "mandatory" }));
        fs.writeFileSync(path.join(dir, "canary.json"), JSON.stringify({ all: "advisory" }));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes the stack's own file first", () => {
        expect(locatePolicyConfig("canary", { environment: "prod", dir })).toEqual({ config: { all: "advisory" }, file: path.join(dir, "canary.json"), matchedBy: "stack" });
    });

    it("falls back to the environment's file", () => {
        expect(locatePolicyConfig("preprod", { environment: "prod", dir })).toEqual({ config: { all: "mandatory" }, file: path.join(dir, "prod.json"), matchedBy: "environment" });
        expect(loadPolicyConfig("preprod", { environment: "prod", dir })).toEqual({ all: "mandatory" });
    });

    it("with neither file, names both paths tried and the fix", () => {
        let error: unknown;
        try {
            locatePolicyConfig("qa", { environment: "staging", dir });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(PolicyConfigNotFoundError);
        const e = error as PolicyConfigNotFoundError;
        expect(e.tried).toEqual([path.join(dir, "qa.json"), path.join(dir, "staging.json")]);
        expect(e.message).toBe(
            `No policy config for stack "qa": tried ${path.join(dir, "qa.json")} and ${path.join(dir, "staging.json")}; configs there: canary, prod. ` +
            `Fix: create ${path.join(dir, "qa.json")} (this stack only) or ${path.join(dir, "staging.json")} (every stack whose environment is "staging") ` +
            "in the --policy-pack-config format, e.g. a copy of one of those configs.");
        // `npm run plan` prints it as a user error (exit 2, no stack trace).
        expect(isUserError(e)).toBe(true);
    });

    it("says when no environment was given, so only the stack's file was tried", () => {
        expect(() => locatePolicyConfig("qa", { dir })).toThrow(
            `No policy config for stack "qa": tried ${path.join(dir, "qa.json")} (no environment given, so no environment fallback was tried)`);
        // The former signature (a directory) still works.
        expect(loadPolicyConfig("canary", dir)).toEqual({ all: "advisory" });
    });
});

describe("the shipped configs", () => {
    it("cover every environment the stack config accepts, so any new stack resolves to one", () => {
        for (const environment of ENVIRONMENTS) {
            expect(locatePolicyConfig(`new-${environment}-stack`, { environment }).file).toBe(path.join(CONFIG_DIR, `${environment}.json`));
        }
    });

    it("are valid for the pack (every policy name and property known)", () => {
        const files = fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".json")).sort();
        expect(files).toEqual(["dev.json", "prod.json", "staging.json"]);
        for (const file of files) {
            expect(() => resolvePolicyConfig({ name: PACK_NAME, policies: allPolicies }, loadPolicyConfig(file.slice(0, -5)))).not.toThrow();
        }
    });

    it("staging.json keeps prod's rules and exemptions except deletion protection (off), Multi-AZ and the cross-region backup copy (advisory)", () => {
        const pack = { name: PACK_NAME, policies: allPolicies };
        const prod = resolvePolicyConfig(pack, loadPolicyConfig("prod"));
        const staging = resolvePolicyConfig(pack, loadPolicyConfig("staging"));
        const differing = [...prod.keys()].filter((name) => JSON.stringify(prod.get(name)) !== JSON.stringify(staging.get(name))).sort();
        // Issue 18 asks for the cross-region backup copy in prod; a single-region staging stack cannot have one.
        expect(differing).toEqual(["backup-cross-region-copy", "rds-deletion-protection", "rds-multi-az"]);
        expect(staging.get("backup-cross-region-copy")!.enforcementLevel).toBe("advisory");
        expect(staging.get("rds-deletion-protection")!.enforcementLevel).toBe("disabled");
        expect(staging.get("rds-multi-az")!.enforcementLevel).toBe("advisory");
    });
});

describe("`npm run plan` on stacks other than dev and prod", () => {
    let projectDir: string;
    const prodYaml = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");

    /** Writes `Pulumi.<stack>.yaml`: prod's stack file, optionally with another environment. */
    function stackFromProd(stack: string, environment?: string): void {
        const doc = YAML.parse(prodYaml);
        if (environment) {
            doc.config["scaled-web:environment"] = environment;
        }
        fs.writeFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), YAML.stringify(doc));
    }

    async function planOf(stack: string): Promise<PlanResult> {
        return plan({ stack, projectDir, format: "text", timings: false, progress: "never" }, undefined, cachedProgramRunner);
    }

    beforeAll(() => {
        projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-stacks-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
    });
    afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));

    test("a copy of prod named preprod (no file of its own) plans clean with prod.json via its environment", async () => {
        stackFromProd("preprod");
        const r = await planOf("preprod");
        expect(r.report.policy.config).toEqual({ file: "policy-pack/config/prod.json", matchedBy: "environment" });
        expect(r.report.policy.mandatory).toBe(0);
        expect(r.report.policy.policies).toBe(allPolicies.length); // prod.json disables nothing
        expect(r.exitCode).toBe(EXIT.ok);
        expect(render(r.report, "text")).toContain("  config: policy-pack/config/prod.json (environment prod: no file for stack preprod)");
        expect(render(r.report, "markdown")).toContain("Config: `policy-pack/config/prod.json` (environment prod: no file for stack preprod).");
    });

    test("a copy of prod named staging uses its own staging.json and plans clean", async () => {
        stackFromProd("staging");
        const r = await planOf("staging");
        expect(r.report.policy.config).toEqual({ file: "policy-pack/config/staging.json", matchedBy: "stack" });
        expect(r.report.policy.mandatory).toBe(0);
        expect(r.exitCode).toBe(EXIT.ok);
        expect(render(r.report, "text")).toContain("  config: policy-pack/config/staging.json (the stack's own)");
    });

    test("prod's layout in the staging environment (deletion protection off) plans clean with staging.json", async () => {
        stackFromProd("perf", "staging");
        const r = await planOf("perf");
        expect(r.report.environment).toBe("staging");
        expect(r.report.policy.config).toEqual({ file: "policy-pack/config/staging.json", matchedBy: "environment" });
        expect(r.report.policy.violations).toEqual([]);
        // Under prod.json the same stack fails on deletion protection: staging.json is what lets it pass.
        const underProd = evaluatePolicies(r.resources, { config: loadPolicyConfig("prod") });
        expect([...new Set(underProd.violations.map((v) => `${v.enforcementLevel} ${v.policyName}`))]).toEqual(["mandatory rds-deletion-protection"]);
    });

    test("dev and prod still name their own files", async () => {
        const dev = await plan({ stack: "dev", projectDir: ROOT, format: "text", timings: false, progress: "never" }, undefined, cachedProgramRunner);
        expect(dev.report.policy.config).toEqual({ file: "policy-pack/config/dev.json", matchedBy: "stack" });
    });
});
