/**
 * The project's set of insecure mutations of prod (tests/policy-mutations.ts), run through the in-process
 * runner in update mode and in preview mode (a first `pulumi preview`: ids, ARNs, tokens and user data
 * unknown): unmutated prod is clean in both, and every mutation is caught by its policy as a mandatory
 * violation in both. Update mode runs twice: stack policies on the inputs (the runner's default, what
 * mutation tests edit) and on the outputs (what the engine's AnalyzeStack sends). Every policy of the pack
 * has at least one mutation.
 */
import { RegisteredResource } from "../toolkit/offline";
import { DEFAULT_PACK, PolicyReport, evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { allPolicies } from "../policy-pack/policies";
import { POLICY_MUTATIONS, applyMutation, batchMutations } from "./policy-mutations";
import { stackRun } from "./harness";

const MODES = ["update", "update, stack policies on outputs", "preview"] as const;
type Mode = (typeof MODES)[number];

const prodConfig = loadPolicyConfig("prod");
const runs = {} as Record<Mode, { resources: RegisteredResource[]; report: PolicyReport }>;

function deepFreeze<T>(v: T): T {
    if (v && typeof v === "object" && !Object.isFrozen(v)) {
        Object.values(v).forEach(deepFreeze);
        Object.freeze(v);
    }
    return v;
}

/** Prod's shared run (tests/harness.ts `stackRun`: one run per stack and mode for the whole suite). */
async function runProd(preview: boolean): Promise<RegisteredResource[]> {
    return (await stackRun("prod", { preview })).resources;
}

/**
 * The pack's report on `resources` in `mode`; with `only`, the pack narrowed to that one policy (under its prod
 * config), which is all a mutation's assertion reads: policies are independent functions of the resources, so
 * its violations are the same as in the whole pack's report, at a fraction of the time.
 */
function evaluate(resources: RegisteredResource[], mode: Mode, only?: string): PolicyReport {
    const narrowed = only === undefined ? {} : {
        pack: { ...DEFAULT_PACK, policies: allPolicies.filter((p) => p.name === only) },
        config: Object.fromEntries(Object.entries(prodConfig).filter(([key]) => key === "all" || key === only)),
    };
    return evaluatePolicies(resources, {
        config: prodConfig,
        preview: mode === "preview",
        ...(mode === "update, stack policies on outputs" ? { stackProperties: "outputs" as const } : {}),
        ...narrowed,
    });
}

beforeAll(async () => {
    const update = await runProd(false);
    const preview = await runProd(true);
    for (const mode of MODES) {
        const resources = mode === "preview" ? preview : update;
        runs[mode] = { resources, report: evaluate(resources, mode) };
    }
}, 300_000);

describe.each(MODES)("prod in %s mode", (mode) => {
    it("has no mandatory violation and no undecidable policy", () => {
        const { report } = runs[mode];
        expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
        expect(report.undecidable).toEqual([]);
        expect(report.policies.map((p) => p.name).sort()).toEqual(allPolicies.map((p) => p.name).sort());
    });

    it.each(POLICY_MUTATIONS.map((m) => [`${m.policy}: ${m.name}`, m] as const))("catches %s", (_title, m) => {
        const { resources, expectOn } = applyMutation(m, runs[mode].resources);
        const report = evaluate(resources, mode, m.policy);
        const caught = report.violations.filter((v) => v.policyName === m.policy && v.enforcementLevel === "mandatory");
        expect(caught.map((v) => v.resourceName)).toContain(expectOn);
    });
});

describe("the mutation set", () => {
    it("has at least one mutation for every policy of the pack, and none for a policy it does not have", () => {
        const covered = new Set(POLICY_MUTATIONS.map((m) => m.policy));
        expect(allPolicies.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
        expect([...covered].filter((n) => !allPolicies.some((p) => p.name === n))).toEqual([]);
    });

    it("has unique names and never writes to the resources it is given (mutations copy on write)", () => {
        expect(new Set(POLICY_MUTATIONS.map((m) => m.name)).size).toBe(POLICY_MUTATIONS.length);
        const before = JSON.stringify(runs.update.resources);
        // On a deeply frozen copy, a write into a shared resource throws (strict mode) and names its mutation.
        const frozen = deepFreeze(JSON.parse(JSON.stringify(runs.update.resources)) as RegisteredResource[]);
        const writes = POLICY_MUTATIONS.flatMap((m) => {
            try {
                applyMutation(m, frozen);
                return [];
            } catch (e) {
                return [`${m.name}: ${(e as Error).message}`];
            }
        });
        expect(writes).toEqual([]);
        expect(() => batchMutations(POLICY_MUTATIONS, frozen)).not.toThrow();
        for (const m of POLICY_MUTATIONS) {
            applyMutation(m, runs.update.resources);
        }
        expect(JSON.stringify(runs.update.resources)).toBe(before);
    });
});

describe("batches for the Analyzer-protocol test (batchMutations)", () => {
    it("covers every mutation once; in a batch no two mutations expect one policy on one resource", () => {
        const batches = batchMutations(POLICY_MUTATIONS, runs.update.resources);
        const names = batches.flatMap((b) => b.mutations.map((x) => x.mutation.name));
        expect(names.sort()).toEqual(POLICY_MUTATIONS.map((m) => m.name).sort());
        for (const b of batches) {
            const expected = b.mutations.map((x) => `${x.mutation.policy} on ${x.expectOn}`);
            expect(new Set(expected).size).toBe(expected.length);
        }
        expect(batches.length).toBeLessThan(POLICY_MUTATIONS.length / 4);
    });

    it("each batch is caught in full by the in-process runner, as each mutation is alone", () => {
        for (const mode of ["update", "preview"] as const) {
            for (const b of batchMutations(POLICY_MUTATIONS, runs[mode].resources)) {
                const report = evaluate(b.resources, mode);
                for (const { mutation, expectOn } of b.mutations) {
                    const caught = report.violations.filter((v) => v.policyName === mutation.policy && v.enforcementLevel === "mandatory");
                    expect([mutation.name, caught.map((v) => v.resourceName)]).toEqual([mutation.name, expect.arrayContaining([expectOn])]);
                }
            }
        }
    });
});
