/**
 * The mutation set (tests/policy-mutations.ts) over the Analyzer gRPC protocol, the way the Pulumi CLI
 * runs the pack (toolkit/analyzer-client.ts): prod in update and preview mode is clean (no mandatory
 * violation, no "can't run policy ... during preview"), and every mutation is caught by its policy as a
 * mandatory violation in both modes. Stack policies see outputs here (AnalyzeStack), so mutations edit
 * both inputs and state.
 */
import { PolicyPackProcess } from "../toolkit/analyzer-client";
import { RegisteredResource } from "../toolkit/offline";
import { loadPolicyConfig } from "../toolkit/policy-runner";
import { POLICY_MUTATIONS, applyMutation } from "./policy-mutations";
import { stackRun } from "./harness";

const MODES = ["update", "preview"] as const;

let pack: PolicyPackProcess;
const runs = new Map<string, RegisteredResource[]>();
const prodConfig = loadPolicyConfig("prod");

beforeAll(async () => {
    pack = await PolicyPackProcess.start({ project: "scaled-web", stack: "prod" });
    // Prod's shared runs (tests/harness.ts `stackRun`: one run per stack and mode for the whole suite).
    for (const mode of MODES) {
        runs.set(mode, (await stackRun("prod", { preview: mode === "preview" })).resources);
    }
}, 600_000);

afterAll(async () => {
    await pack?.close();
});

describe.each(MODES)("prod in %s mode over the Analyzer protocol", (mode) => {
    it("has no mandatory violation and no policy that cannot decide", async () => {
        const report = await pack.evaluate(runs.get(mode)!, { config: prodConfig, preview: mode === "preview" });
        expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
        expect(report.undecidable).toEqual([]);
    }, 120_000);

    it.each(POLICY_MUTATIONS.map((m) => [`${m.policy}: ${m.name}`, m] as const))("catches %s", async (_title, m) => {
        const original = runs.get(mode)!;
        const { resources, expectOn } = applyMutation(m, original);
        // Unchanged resources were analyzed in the clean run above; Analyze goes to what the mutation
        // edited or added, AnalyzeStack to the whole mutated stack, as the engine would send it.
        const before = new Map(original.map((r) => [r.urn, JSON.stringify([r.inputs, r.state])]));
        const changed = new Set(resources.filter((r) => before.get(r.urn) !== JSON.stringify([r.inputs, r.state])).map((r) => r.urn));
        const report = await pack.evaluate(resources, { config: prodConfig, preview: mode === "preview", analyzeOnly: changed });
        const caught = report.violations.filter((v) => v.policyName === m.policy && v.enforcementLevel === "mandatory");
        expect(caught.map((v) => v.resourceName ?? v.resourceUrn?.split("::").pop())).toContain(expectOn);
    }, 120_000);
});
