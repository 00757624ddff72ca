/**
 * The project's pack driven the way the Pulumi CLI drives it (toolkit/analyzer-client.ts: started with
 * @pulumi/pulumi/cmd/run-policy-pack, Configure with the stack's policy config, Analyze per resource,
 * AnalyzeStack), on dev and prod in update and preview modes; and the in-process runner, which the other
 * policy tests use for speed, must agree with it exactly.
 *
 * The pack is started once for the whole file, transpile-only through its `main` (policy-pack/main.js).
 */
import { PolicyPackProcess } from "../toolkit/analyzer-client";
import { RegisteredResource, withInputs } from "../toolkit/offline";
import { PolicyReport, PolicyViolation, UndecidablePolicy, evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { stackRun } from "./harness";

const CASES = [["dev", "update"], ["dev", "preview"], ["prod", "update"], ["prod", "preview"]] as const;

let pack: PolicyPackProcess;
const runs = new Map<string, RegisteredResource[]>();

beforeAll(async () => {
    pack = await PolicyPackProcess.start({ project: "scaled-web", stack: "prod" });
    // The stacks' shared runs (tests/harness.ts `stackRun`: one run per stack and mode for the whole suite).
    for (const [stack, mode] of CASES) {
        runs.set(`${stack} ${mode}`, (await stackRun(stack, { preview: mode === "preview" })).resources);
    }
}, 600_000);

afterAll(async () => {
    await pack?.close();
});

const violationKey = (v: PolicyViolation): string => `${v.policyName} [${v.enforcementLevel}] ${v.resourceUrn ?? "(stack)"}: ${v.message}`;
const undecidableKey = (u: UndecidablePolicy): string => `${u.policyName} ${u.resourceUrn ?? "(stack)"}: ${u.message}`;
const summary = (r: PolicyReport) => ({
    policies: r.policies.map((p) => `${p.name}:${p.enforcementLevel}`),
    violations: r.violations.map(violationKey).sort(),
    undecidable: r.undecidable.map(undecidableKey).sort(),
    mandatoryCount: r.mandatoryCount,
    advisoryCount: r.advisoryCount,
});

describe.each(CASES)("%s in %s mode, over the Analyzer protocol", (stack, mode) => {
    const preview = mode === "preview";
    let protocol: PolicyReport;

    beforeAll(async () => {
        protocol = await pack.evaluate(runs.get(`${stack} ${mode}`)!, { config: loadPolicyConfig(stack), preview });
    }, 120_000);

    it("has no mandatory violation", () => {
        expect(protocol.violations.filter((v) => v.enforcementLevel === "mandatory").map(violationKey)).toEqual([]);
        expect(protocol.mandatoryCount).toBe(0);
        expect(protocol.packName).toBe("scaled-web-guardrails");
    });

    it("agrees exactly with the in-process runner: policies, violations and what cannot be decided", () => {
        // Stack policies on outputs, as the engine's AnalyzeStack sends them.
        const inProcess = evaluatePolicies(runs.get(`${stack} ${mode}`)!, { config: loadPolicyConfig(stack), preview, stackProperties: "outputs" });
        expect(summary(inProcess)).toEqual(summary(protocol));
        if (!preview) {
            // The runner's update-mode default (stack policies on inputs, which mutation tests edit) agrees too.
            expect(summary(evaluatePolicies(runs.get(`${stack} ${mode}`)!, { config: loadPolicyConfig(stack) }))).toEqual(summary(protocol));
        }
    });

    it("can decide every policy: no \"can't run policy ... during preview\" from the pack", () => {
        // The policies decide on known values only (policy-pack/policies/common.ts); a first preview of dev
        // and prod leaves nothing they cannot decide (issue 15, item 1).
        expect(protocol.undecidable.map(undecidableKey)).toEqual([]);
    });
});

describe("a mutation of prod, over the protocol", () => {
    it("reaches stack policies when made with withInputs (AnalyzeStack sends outputs), not when only inputs are edited", async () => {
        const resources = runs.get("prod update")!;
        const i = resources.findIndex((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.cidrIpv4 === "0.0.0.0/0");
        expect(i).toBeGreaterThanOrEqual(0);
        const rule = resources[i];
        const sshOpen = (inputs: Record<string, any>): void => {
            inputs.fromPort = 22;
            inputs.toPort = 22;
        };
        const mutated = [...resources];
        mutated[i] = withInputs(rule, sshOpen);
        expect(mutated[i].state).toMatchObject({ fromPort: 22, toPort: 22, arn: rule.state.arn });
        const caught = await pack.evaluate(mutated, { config: loadPolicyConfig("prod") });
        expect(caught.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceUrn}`))
            .toContain(`security-group-public-ingress ${rule.urn}`);
        expect(summary(evaluatePolicies(mutated, { config: loadPolicyConfig("prod"), stackProperties: "outputs" }))).toEqual(summary(caught));

        const inputsOnly = [...resources];
        inputsOnly[i] = { ...rule, inputs: { ...rule.inputs, fromPort: 22, toPort: 22 } };
        // The stack policy reads AnalyzeStack's outputs; Analyze goes to the edited rule only (the rest is unchanged).
        const missed = await pack.evaluate(inputsOnly, { config: loadPolicyConfig("prod"), analyzeOnly: new Set([rule.urn]) });
        expect(missed.violations.map((v) => v.policyName)).not.toContain("security-group-public-ingress");
    }, 120_000);
});
