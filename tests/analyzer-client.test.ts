/**
 * The Analyzer protocol client (toolkit/analyzer-client.ts) against a probe pack (tests/fixtures/probe-pack,
 * plain JavaScript so it starts in a second) whose policies report what `@pulumi/policy`'s server hands
 * them: proof that secrets, unknowns and resource references reach a pack as the CLI sends them, that
 * config is reconciled as the CLI does, and that the pack process is started and stopped cleanly.
 */
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyPackProcess, analyzeRequest, reconcileConfig, stackResource } from "../toolkit/analyzer-client";
import { RESOURCE_SIG, RegisteredResource, SECRET_SIG, SIG_KEY, UNKNOWN, runOffline } from "../toolkit/offline";
import { PolicyConfigError } from "../toolkit/policy-runner";

const PROBE_DIR = path.join(__dirname, "fixtures", "probe-pack");

let pack: PolicyPackProcess;

beforeAll(async () => {
    pack = await PolicyPackProcess.start({ packDir: PROBE_DIR, project: "scaled-web", stack: "test", startTimeoutMs: 120_000 });
}, 150_000);

afterAll(async () => {
    await pack?.close();
});

/** A program with a secret input, values unknown in a preview, and resources passed as inputs. */
function probeProgram(): void {
    const group = new pulumi.ComponentResource("test:index:Group", "probe-group");
    const provider = new aws.Provider("probe-provider", { region: "eu-west-1" });
    const sg = new aws.ec2.SecurityGroup("probe-sg", { vpcId: "vpc-1", description: "probe" }, { provider });
    new aws.ssm.Parameter("probe-param", {
        type: "SecureString",
        value: pulumi.secret("hunter2"),
        description: sg as unknown as pulumi.Input<string>,
        tags: { group: group as unknown as pulumi.Input<string>, sg: sg.id, fixed: "yes" },
    }, { parent: group, provider });
}

async function probeRun(preview: boolean): Promise<RegisteredResource[]> {
    return (await runOffline(probeProgram, { stack: "test", preview })).resources;
}

type Reported = Record<string, any>;

/** The probe policies' reports for resource `name`. */
async function probe(resources: RegisteredResource[], preview: boolean, name = "probe-param"): Promise<{ resource: Reported; stack: Reported }> {
    const report = await pack.evaluate(resources, { preview, stackTags: { team: "web" } });
    const r = resources.find((x) => x.name === name)!;
    const find = (policy: string): Reported => JSON.parse(report.violations.find((v) => v.policyName === policy && v.resourceUrn === r.urn)!.message);
    return { resource: find("probe-resource"), stack: find("probe-stack") };
}

describe("what the pack sees", () => {
    it("a secret input: sent wrapped in the secret signature, seen as its plain value", async () => {
        const resources = await probeRun(false);
        const param = resources.find((r) => r.name === "probe-param")!;
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        expect(analyzeRequest(param, byUrn).getProperties().toJavaScript().value).toEqual({ [SIG_KEY]: SECRET_SIG, value: "hunter2" });
        const seen = await probe(resources, false);
        expect(seen.resource.props.value).toBe("hunter2");
        expect(seen.stack.props.value).toBe("hunter2");
    });

    it("unknowns: the sentinel, which the pack's proxy refuses to read; a preview's undecidable policy is reported as such", async () => {
        const resources = await probeRun(true);
        const seen = await probe(resources, true);
        expect(seen.resource.props.description).toBe(UNKNOWN);
        expect(seen.resource.props.tags).toEqual({ group: expect.stringMatching(/::probe-group$/), sg: UNKNOWN, fixed: "yes" });
        expect(seen.resource.unknown).toEqual(["description"]);
        // Outputs the provider computes are unknown in the stack view (AnalyzeStack gets outputs).
        expect(seen.stack.props.arn).toBe(UNKNOWN);
        const report = await pack.evaluate(resources, { preview: true });
        const param = resources.find((r) => r.name === "probe-param")!;
        expect(report.undecidable).toEqual([
            { policyName: "probe-reads-description", resourceUrn: param.urn, message: "string value at .description can't be known during preview" },
        ]);
        expect(report.violations.some((v) => v.policyName === "probe-reads-description")).toBe(false);
    });

    it("a resource reference: its id (unknown while the id is) or, for a component, its URN; never the reference object", async () => {
        const update = await probe(await probeRun(false), false);
        expect(update.resource.props.description).toBe("probe-sg-id");
        expect(update.resource.props.tags.group).toBe("urn:pulumi:test::scaled-web::pulumi:pulumi:Stack$test:index:Group::probe-group");
        const preview = await probe(await probeRun(true), true);
        expect(preview.resource.props.description).toBe(UNKNOWN);
        expect(preview.resource.props.tags.group).toBe(update.resource.props.tags.group);
        // The engine marshals for analyzers without KeepResources: @pulumi/policy 1.21 cannot even read the
        // reference object (deserialize.js: "Unrecognized signature").
        const resources = await probeRun(false);
        const param = resources.find((r) => r.name === "probe-param")!;
        const withRef: RegisteredResource = { ...param, inputs: { ...param.inputs, description: { [SIG_KEY]: RESOURCE_SIG, urn: "urn:pulumi:test::p::aws:ec2/securityGroup:SecurityGroup::sg", id: "sg-1" } } };
        await expect(pack.analyze(withRef, new Map())).rejects.toThrow(/Unrecognized signature '5cf8f73096256a8f31e491e813e4eb8e'/);
    });

    it("parent, options, provider, dependencies and property dependencies", async () => {
        const resources = await probeRun(false);
        const seen = await probe(resources, false);
        const group = resources.find((r) => r.name === "probe-group")!;
        const sg = resources.find((r) => r.name === "probe-sg")!;
        const provider = resources.find((r) => r.name === "probe-provider")!;
        expect(seen.resource.opts).toMatchObject({ protect: false, parent: group.urn, customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } });
        expect(seen.resource.provider).toEqual({ urn: provider.urn, type: "pulumi:providers:aws", name: "probe-provider", props: expect.objectContaining({ region: "eu-west-1" }) });
        expect(seen.resource.stackTags).toEqual({ team: "web" });
        expect(seen.stack.parent).toBe(group.urn);
        // The SDK records a component by the custom resources under it (none here), so only the group's id counts.
        expect(seen.stack.dependencies).toEqual([sg.urn]);
        expect(seen.stack.propertyDependencies.description).toEqual([sg.urn]);
        expect(seen.stack.propertyDependencies.tags).toEqual([sg.urn]);
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const param = resources.find((r) => r.name === "probe-param")!;
        expect(stackResource(param, byUrn).getPropertydependenciesMap().get("value")).toBeUndefined();
    });
});

describe("config, as the CLI reconciles it", () => {
    it("starts from each policy's level and schema defaults, applies all, then per-policy levels and properties", async () => {
        const info = await pack.info();
        expect(info.name).toBe("probe-pack");
        expect(reconcileConfig(info, {})).toEqual({
            "probe-resource": { enforcementLevel: "advisory", properties: {} },
            "probe-stack": { enforcementLevel: "advisory", properties: {} },
            "probe-reads-description": { enforcementLevel: "advisory", properties: { forbidden: "forbidden" } },
        });
        expect(reconcileConfig(info, { all: "mandatory", "probe-stack": "disabled", "probe-reads-description": { forbidden: "x" } })).toMatchObject({
            "probe-resource": { enforcementLevel: "mandatory" },
            "probe-stack": { enforcementLevel: "disabled" },
            "probe-reads-description": { enforcementLevel: "mandatory", properties: { forbidden: "x" } },
        });
        expect(() => reconcileConfig(info, { "probe-reads-description": { forbidden: 3 } })).toThrow(PolicyConfigError);
        // Names the pack does not have are sent along (the server ignores them), but need a level, as in the CLI.
        expect(reconcileConfig(info, { "no-such-policy": "advisory" })["no-such-policy"]).toEqual({ enforcementLevel: "advisory", properties: {} });
        expect(() => reconcileConfig(info, { "no-such-policy": { x: 1 } })).toThrow(/no-such-policy: invalid enforcement level ""/);
    });

    it("sends the levels with Configure: a disabled policy stops reporting, a mandatory one counts as mandatory", async () => {
        const resources = await probeRun(false);
        const report = await pack.evaluate(resources, { config: { "probe-stack": "disabled", "probe-resource": "mandatory" } });
        expect(report.policies.map((p) => `${p.name}:${p.enforcementLevel}`)).toEqual(["probe-resource:mandatory", "probe-reads-description:advisory"]);
        expect(report.violations.some((v) => v.policyName === "probe-stack")).toBe(false);
        expect(report.mandatoryCount).toBe(report.violations.filter((v) => v.policyName === "probe-resource").length);
        expect(report.mandatoryCount).toBeGreaterThan(0);
    });
});

describe("the pack process", () => {
    it("captures what the pack prints", () => {
        expect(pack.logs).toContainEqual({ source: "stderr", severity: "error", message: "probe-pack: loaded" });
    });

    it("reports a pack that cannot start, with its stderr, and leaves no process behind", async () => {
        await expect(PolicyPackProcess.start({ packDir: path.join(__dirname, "fixtures"), startTimeoutMs: 60_000 }))
            .rejects.toThrow(/exited .* before printing its port; stderr:\n[\s\S]*fixtures/);
    }, 90_000);

    it("stops the pack on close, once", async () => {
        const second = await PolicyPackProcess.start({ packDir: PROBE_DIR, startTimeoutMs: 120_000 });
        const pid = (second as unknown as { child: { pid: number } }).child.pid;
        expect(() => process.kill(pid, 0)).not.toThrow();
        await second.close();
        await second.close();
        expect(() => process.kill(pid, 0)).toThrow();
    }, 150_000);
});
