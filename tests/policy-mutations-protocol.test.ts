/**
 * The mutation set (tests/policy-mutations.ts) over the Analyzer gRPC protocol, the way the Pulumi CLI
 * runs the pack (toolkit/analyzer-client.ts): every mutation is caught by its policy as a mandatory violation in
 * update and preview mode (that unmutated prod is clean in both is asserted by tests/policy-protocol.test.ts).
 * Stack policies see outputs here (AnalyzeStack), so mutations edit both inputs and state.
 *
 * Mutations travel in batches (`batchMutations`: no resource edited by two of them, no policy expected twice on one
 * resource), one round per batch instead of one per mutation; each mutation is still its own test, asserting on its
 * batch's report. Mutations aimed at stack policies (as the pack's GetAnalyzerInfo types them) are batched apart
 * from the rest: their rounds send Analyze for what the batch changed and AnalyzeStack with the whole mutated stack,
 * as the engine would; rounds of resource-policy mutations send the Analyze calls only, which is where those
 * policies run. The in-process test (tests/policy-mutations.test.ts) evaluates every mutation alone.
 */
import { PolicyPackProcess } from "../toolkit/analyzer-client";
import { RegisteredResource } from "../toolkit/offline";
import { loadPolicyConfig } from "../toolkit/policy-runner";
import { POLICY_MUTATIONS, batchMutations } from "./policy-mutations";
import type { PolicyReport } from "../toolkit/policy-runner";
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
    // Unmutated prod over the protocol, in both modes, has no mandatory violation and nothing undecidable: asserted by
    // tests/policy-protocol.test.ts on the same runs, pack and config (one full evaluation per mode is enough).

    /** The report of the batch each mutation travelled in, evaluated once per mode on first use. */
    let reports: Promise<Map<string, { report: PolicyReport; expectOn: string }>> | undefined;
    const reportFor = async (name: string): Promise<{ report: PolicyReport; expectOn: string }> => {
        reports ??= (async () => {
            const out = new Map<string, { report: PolicyReport; expectOn: string }>();
            const stackPolicies = new Set((await pack.info()).policies.filter((p) => p.type === "stack").map((p) => p.name));
            const rounds = [true, false].flatMap((stack) => batchMutations(POLICY_MUTATIONS.filter((m) => stackPolicies.has(m.policy) === stack), runs.get(mode)!)
                .map((batch) => ({ batch, analyzeStack: stack })));
            for (const { batch, analyzeStack } of rounds) {
                // Analyze goes to what the batch edited or added; unchanged resources were analyzed in the clean run
                // (tests/policy-protocol.test.ts).
                const report = await pack.evaluate(batch.resources, { config: prodConfig, preview: mode === "preview", analyzeOnly: batch.changed, analyzeStack });
                batch.mutations.forEach((b) => out.set(b.mutation.name, { report, expectOn: b.expectOn }));
            }
            return out;
        })();
        return (await reports).get(name)!;
    };

    it.each(POLICY_MUTATIONS.map((m) => [`${m.policy}: ${m.name}`, m] as const))("catches %s", async (_title, m) => {
        const { report, expectOn } = await reportFor(m.name);
        const caught = report.violations.filter((v) => v.policyName === m.policy && v.enforcementLevel === "mandatory");
        expect(caught.map((v) => v.resourceName ?? v.resourceUrn?.split("::").pop())).toContain(expectOn);
    }, 300_000);
});
