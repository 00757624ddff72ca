/**
 * Per-stack policy config on the real dev stack: dev passes its own `config/dev.json` (mostly advisory),
 * and the same resources under `config/prod.json` are held to prod's bar, failing exactly where dev
 * deliberately differs from prod (single-AZ database without replicas or deletion protection).
 */
import { RegisteredResource } from "../toolkit/offline";
import { PolicyReport, evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { runStack } from "./harness";

let resources: RegisteredResource[];
let devReport: PolicyReport;
let underProd: PolicyReport;
let previewReport: PolicyReport;

beforeAll(async () => {
    resources = (await runStack("dev")).resources;
    devReport = evaluatePolicies(resources, { config: loadPolicyConfig("dev") });
    underProd = evaluatePolicies(resources, { config: loadPolicyConfig("prod") });
    // A first `pulumi preview` of dev: ids, ARNs, tokens and user data unknown (the suite's shared run).
    const preview = (await runStack("dev", {}, { preview: true })).resources;
    previewReport = evaluatePolicies(preview, { config: loadPolicyConfig("dev"), preview: true });
}, 300_000);

describe("dev", () => {
    it("has no mandatory violation under config/dev.json", () => {
        expect(devReport.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
    });

    it("has no mandatory violation and no undecidable policy in a first preview either", () => {
        expect(previewReport.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
        expect(previewReport.undecidable).toEqual([]);
        expect(devReport.undecidable).toEqual([]);
        // The same advisories as the update: preview-awareness neither hides nor invents findings.
        const key = (r: PolicyReport): string[] => r.violations.map((v) => `${v.policyName} ${v.resourceName}`).sort();
        expect(key(previewReport)).toEqual(key(devReport));
    });

    it("keeps the security baseline mandatory, launch-template volume encryption included", () => {
        const level = new Map(devReport.policies.map((p) => [p.name, p.enforcementLevel]));
        for (const p of ["rds-not-public", "security-group-public-ingress", "alb-listener-https", "s3-bucket-public-access-block", "imdsv2-required", "launch-template-ebs-encrypted"]) {
            expect({ p, level: level.get(p) }).toEqual({ p, level: "mandatory" });
        }
    });

    it("turns deletion protection, Multi-AZ and read replicas off, and reports the rest as advisory", () => {
        const evaluated = devReport.policies.map((p) => p.name);
        for (const off of ["rds-deletion-protection", "rds-multi-az", "rds-read-replicas"]) {
            expect(evaluated).not.toContain(off);
        }
        expect(devReport.violations.every((v) => v.enforcementLevel === "advisory")).toBe(true);
    });

    it("fails prod's bar exactly where dev trades availability for cost", () => {
        const mandatory = new Set(underProd.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName));
        for (const p of ["rds-deletion-protection", "rds-multi-az", "rds-read-replicas"]) {
            expect({ policy: p, caught: mandatory.has(p) }).toEqual({ policy: p, caught: true });
        }
        const dbPrimary = resources.find((r) => r.type === "aws:rds/instance:Instance" && !r.inputs.replicateSourceDb)!;
        expect(underProd.violations.find((v) => v.policyName === "rds-multi-az")).toMatchObject({
            resourceName: dbPrimary.name,
            message: expect.stringMatching(/must set multiAz: true, got false/),
        });
        // Nothing dev's own config keeps mandatory shows up under prod's either: the security baseline is shared.
        const devMandatory = new Set(devReport.policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name));
        expect(underProd.violations.filter((v) => devMandatory.has(v.policyName))).toEqual([]);
    });
});
