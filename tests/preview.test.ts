/**
 * Preview mode of the offline toolkit: the program runs as in a first `pulumi preview` of a new stack
 * (ids and computed attributes unknown), and the in-process runner treats a policy that reads an unknown
 * value as `@pulumi/policy`'s server does: not a violation, an `undecidable` entry.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { RegisteredResource, UNKNOWN, readStackConfig, runOffline, withInputs } from "../toolkit/offline";
import { evaluatePolicies, evaluatePoliciesAsync, loadPolicyConfig } from "../toolkit/policy-runner";
import { platformProgram } from "../platform/program";

async function runStackIn(stack: string, preview: boolean): Promise<RegisteredResource[]> {
    const { project, config } = readStackConfig(stack);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return (await runOffline(() => platformProgram(), { project, stack, config, preview })).resources;
    } finally {
        Error.stackTraceLimit = limit;
    }
}

function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) {
        return true;
    }
    return !!v && typeof v === "object" && Object.values(v as object).some(containsUnknown);
}

const one = (rs: RegisteredResource[], type: string, pred: (r: RegisteredResource) => boolean = () => true): RegisteredResource => {
    const found = rs.filter((r) => r.type === type && pred(r));
    if (found.length === 0) {
        throw new Error(`no ${type}`);
    }
    return found[0];
};

describe.each(["dev", "prod"])("%s in preview mode", (stack) => {
    let preview: RegisteredResource[];
    let update: RegisteredResource[];

    beforeAll(async () => {
        preview = await runStackIn(stack, true);
        update = await runStackIn(stack, false);
    }, 300_000);

    it("registers the same resources as an update", () => {
        expect(preview.map((r) => r.urn).sort()).toEqual(update.map((r) => r.urn).sort());
    });

    it("has no unknown value at all outside preview mode", () => {
        expect(update.filter((r) => containsUnknown(r.inputs) || containsUnknown(r.state)).map((r) => r.urn)).toEqual([]);
    });

    it("sends a security group id another resource references as unknown", () => {
        const rule = one(preview, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", (r) => r.inputs.referencedSecurityGroupId !== undefined);
        expect(rule.inputs.securityGroupId).toBe(UNKNOWN);
        expect(rule.inputs.referencedSecurityGroupId).toBe(UNKNOWN);
        // ...while the plain config next to it is known.
        expect(typeof rule.inputs.fromPort).toBe("number");
        expect(rule.inputs.ipProtocol).toBe("tcp");
        const same = update.find((r) => r.urn === rule.urn)!;
        expect(same.inputs.securityGroupId).toMatch(/sg-id$/);
    });

    it("sends ARNs of resources not created yet as unknown, nested ones included", () => {
        const cluster = one(preview, "aws:eks/cluster:Cluster");
        expect(cluster.inputs.roleArn).toBe(UNKNOWN);
        expect(cluster.inputs.encryptionConfig.provider.keyArn).toBe(UNKNOWN);
        expect(cluster.inputs.vpcConfig.subnetIds.length).toBeGreaterThan(0);
        expect(cluster.inputs.vpcConfig.subnetIds.every((s: unknown) => s === UNKNOWN)).toBe(true);
        // Plain config from the stack file stays known.
        expect(cluster.inputs.version).toMatch(/^1\.\d+$/);
        expect(cluster.inputs.vpcConfig.endpointPublicAccess).toBe(false);
        expect(cluster.inputs.enabledClusterLogTypes).toContain("audit");
        const db = one(preview, "aws:rds/instance:Instance", (r) => !r.inputs.replicateSourceDb);
        expect(db.inputs.kmsKeyId).toBe(UNKNOWN);
        expect(db.inputs.storageEncrypted).toBe(true);
    });

    it("plans computed outputs as unknown and keeps what the program set or the provider auto-names", () => {
        const cluster = one(preview, "aws:eks/cluster:Cluster");
        expect(cluster.state.arn).toBe(UNKNOWN);
        expect(cluster.state.endpoint).toBe(UNKNOWN);
        expect(cluster.state.vpcConfig.clusterSecurityGroupId).toBe(UNKNOWN);
        expect(cluster.state.vpcConfig.endpointPrivateAccess).toBe(true);
        expect(cluster.state.name).toBe(cluster.inputs.name);
        const role = one(preview, "aws:iam/role:Role");
        expect(role.state.arn).toBe(UNKNOWN);
        expect(typeof role.state.name).toBe("string");
        expect(role.state.name).not.toBe(UNKNOWN);
    });

    it("binds pods to a target group whose ARN is unknown in preview; the traffic and identity policies still decide", () => {
        const bindings = preview.filter((r) => r.type === "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding");
        expect(bindings.length).toBeGreaterThanOrEqual(2);
        for (const b of bindings) {
            expect(b.inputs.spec.targetGroupARN).toBe(UNKNOWN);
            // What the program sets itself stays known: the Service it binds and the target type.
            expect(b.inputs.spec.serviceRef).toEqual({ name: b.inputs.metadata.name, port: 80 });
            expect(b.inputs.spec.targetType).toBe("ip");
            // In an update it is the region's target group's ARN.
            const same = update.find((r) => r.urn === b.urn)!;
            const groups = update.filter((r) => r.type === "aws:lb/targetGroup:TargetGroup").map((r) => r.state.arn);
            expect(groups).toContain(same.inputs.spec.targetGroupARN);
        }
        const report = evaluatePolicies(preview, { config: loadPolicyConfig(stack), preview: true });
        expect(report.undecidable.filter((u) => u.policyName === "web-services-cluster-ip" || u.policyName === "aws-workload-identity")).toEqual([]);
    });

    it("gives new providers an unknown id and keeps their region", () => {
        const withProvider = preview.filter((r) => r.type.startsWith("aws:") && r.provider);
        expect(withProvider.length).toBeGreaterThan(0);
        expect(withProvider.every((r) => r.provider!.endsWith(`::${UNKNOWN}`))).toBe(true);
        expect(withProvider.every((r) => typeof r.region === "string" && /^[a-z]{2}-[a-z]+-\d$/.test(r.region))).toBe(true);
    });

    it("evaluates with 0 mandatory violations; what cannot be decided is listed, not counted as a violation", () => {
        const report = evaluatePolicies(preview, { config: loadPolicyConfig(stack), preview: true });
        expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}`)).toEqual([]);
        for (const u of report.undecidable) {
            expect(u.message).toMatch(/value at \..+ can't be known during preview$/);
            expect(report.policies.map((p) => p.name)).toContain(u.policyName);
        }
        const updateReport = evaluatePolicies(update, { config: loadPolicyConfig(stack) });
        expect(updateReport.undecidable).toEqual([]);
    });
});

describe("preview-mode programs", () => {
    it("see isDryRun, unknown ids, and skip applies on unknowns", async () => {
        let dryRun: boolean | undefined;
        let applied = false;
        const run = await runOffline(() => {
            dryRun = pulumi.runtime.isDryRun();
            const sg = new aws.ec2.SecurityGroup("web", { vpcId: "vpc-123", description: "web" });
            sg.id.apply(() => { applied = true; });
            new aws.vpc.SecurityGroupIngressRule("https", {
                securityGroupId: sg.id,
                cidrIpv4: "0.0.0.0/0",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                description: pulumi.interpolate`to ${sg.name}`,
                tags: { owner: sg.arn.apply((a) => a.split(":")[4]), fixed: "yes" },
            });
            return { id: sg.id };
        }, { stack: "test", preview: true });
        expect(dryRun).toBe(true);
        expect(applied).toBe(false);
        expect(run.outputs).toBeUndefined();
        const rule = run.resources.find((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")!;
        expect(rule.inputs).toEqual({
            securityGroupId: UNKNOWN, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443,
            // `name` of a security group is auto-named in Check, hence known; the interpolation stays known.
            description: "to web",
            tags: { owner: UNKNOWN, fixed: "yes" },
        });
    });

    it("encode a resource passed as an input as the engine hands it to analyzers: id (unknown in preview) or URN", async () => {
        const program = () => {
            const sg = new aws.ec2.SecurityGroup("ref-sg", { vpcId: "vpc-123" });
            const parent = new pulumi.ComponentResource("test:index:Group", "grp");
            new aws.vpc.SecurityGroupIngressRule("ref-rule", {
                securityGroupId: sg as unknown as pulumi.Input<string>,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "10.0.0.0/8",
                description: parent as unknown as pulumi.Input<string>,
            });
        };
        const up = await runOffline(program, { stack: "test" });
        const upRule = up.resources.find((r) => r.name === "ref-rule")!;
        expect(upRule.inputs.securityGroupId).toBe("ref-sg-id");
        expect(upRule.inputs.description).toBe("urn:pulumi:test::scaled-web::pulumi:pulumi:Stack$test:index:Group::grp");
        const pre = await runOffline(program, { stack: "test", preview: true });
        const preRule = pre.resources.find((r) => r.name === "ref-rule")!;
        expect(preRule.inputs.securityGroupId).toBe(UNKNOWN);
        expect(preRule.inputs.description).toBe("urn:pulumi:test::scaled-web::pulumi:pulumi:Stack$test:index:Group::grp");
    });

    it("record secrets by path with their plain value, and an unknown secret as unknown", async () => {
        const run = await runOffline(() => {
            const sg = new aws.ec2.SecurityGroup("s-sg", { vpcId: "vpc-1" });
            new aws.ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("hunter2"), description: pulumi.secret(sg.id) });
        }, { stack: "test", preview: true });
        const p = run.resources.find((r) => r.name === "p")!;
        expect(p.inputs.value).toBe("hunter2");
        expect(p.secretInputs).toContain("value");
        expect(p.inputs.description).toBe(UNKNOWN);
    });
});

describe("the runner on unknown values", () => {
    const U = UNKNOWN;
    const urn = (type: string, name: string): string => `urn:pulumi:test::p::${type}::${name}`;
    const res = (type: string, name: string, inputs: Record<string, any>, state: Record<string, any> = inputs): RegisteredResource => ({
        urn: urn(type, name), type, name, inputs, state, custom: true, protect: false, dependencies: [], secretInputs: [],
    });
    const sgRule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", { securityGroupId: U, cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22 });
    const sg = res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: U }, { vpcId: U, id: U, arn: U });

    const readsGroupFirst: ResourceValidationPolicy = {
        name: "reads-group-first",
        description: "Reads the (unknown) group id before the decisive CIDR.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (args.type !== sgRule.type) {
                return;
            }
            report("before the unknown");
            if (String(args.props.securityGroupId).length > 0 && args.props.cidrIpv4 === "0.0.0.0/0") {
                report("world-open");
            }
        },
    };
    const decidesOnKnown: ResourceValidationPolicy = {
        name: "decides-on-known",
        description: "Checks only the CIDR and ports.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (args.type === sgRule.type && args.props.cidrIpv4 === "0.0.0.0/0" && args.props.fromPort === 22) {
                report("world-open SSH");
            }
        },
    };
    const stackJoinsById: StackValidationPolicy = {
        name: "stack-joins-by-id",
        description: "Joins rules to groups by id.",
        enforcementLevel: "mandatory",
        validateStack: (args, report) => {
            for (const g of args.resources.filter((r: PolicyResource) => r.type === sg.type)) {
                if (!g.props.id) {
                    report("group without id", g.urn);
                }
            }
        },
    };
    const pack = { name: "t", enforcementLevel: "mandatory" as const, policies: [readsGroupFirst, decidesOnKnown, stackJoinsById] };

    it("records a policy that reads an unknown as undecidable, keeps what it reported before, and still runs the rest", () => {
        const report = evaluatePolicies([sgRule, sg], { pack, preview: true });
        expect(report.violations.map((v) => `${v.policyName}: ${v.message}`)).toEqual([
            "reads-group-first: before the unknown",
            "decides-on-known: world-open SSH",
        ]);
        expect(report.undecidable).toEqual([
            { policyName: "reads-group-first", resourceUrn: sgRule.urn, message: "string value at .securityGroupId can't be known during preview" },
            { policyName: "stack-joins-by-id", message: "string value at .id can't be known during preview" },
        ]);
        expect(report.mandatoryCount).toBe(2);
    });

    it("gives stack policies outputs in preview mode and inputs otherwise, unless told", () => {
        expect(evaluatePolicies([sgRule, sg], { pack, preview: true, stackProperties: "inputs" }).undecidable.map((u) => u.policyName)).toEqual(["reads-group-first"]);
        expect(evaluatePolicies([sgRule, sg], { pack }).undecidable.map((u) => u.policyName)).toEqual(["reads-group-first"]);
    });

    it("attributes a resource violation to the URN the policy names, as @pulumi/policy's server does", () => {
        const blames: ResourceValidationPolicy = {
            name: "blames-group",
            description: "Reports rules against their group.",
            validateResource: (args, report) => {
                if (args.type === sgRule.type) {
                    report("group too open", sg.urn);
                }
            },
        };
        const report = evaluatePolicies([sgRule, sg], { pack: { name: "t", policies: [blames] } });
        expect(report.violations).toEqual([{ policyName: "blames-group", enforcementLevel: "advisory", message: "group too open", resourceUrn: sg.urn, resourceName: "sg", resourceType: sg.type }]);
    });

    it("records an UnknownValueError an asynchronous validation rejects with", async () => {
        const asyncPolicy: ResourceValidationPolicy = {
            name: "async-reader",
            description: "Reads an unknown after an await.",
            enforcementLevel: "mandatory",
            validateResource: async (args) => {
                await Promise.resolve();
                void args.props.securityGroupId;
            },
        };
        const report = await evaluatePoliciesAsync([sgRule], { pack: { name: "t", policies: [asyncPolicy] }, preview: true });
        expect(report.undecidable).toEqual([{ policyName: "async-reader", resourceUrn: sgRule.urn, message: "string value at .securityGroupId can't be known during preview" }]);
    });
});

describe("withInputs", () => {
    it("edits a copy of the inputs and answers the state anew, computed values unknown in preview mode", async () => {
        const run = await runOffline(() => {
            const sg = new aws.ec2.SecurityGroup("w-sg", { vpcId: "vpc-1" });
            new aws.vpc.SecurityGroupIngressRule("w-rule", { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "10.0.0.0/8" });
        }, { stack: "test", preview: true });
        const rule = run.resources.find((r) => r.name === "w-rule")!;
        const open = withInputs(rule, (i) => {
            i.cidrIpv4 = "0.0.0.0/0";
        }, { preview: true });
        expect(open.inputs).toEqual({ ...rule.inputs, cidrIpv4: "0.0.0.0/0" });
        expect(open.state).toMatchObject({ cidrIpv4: "0.0.0.0/0", securityGroupId: UNKNOWN, arn: UNKNOWN });
        expect(rule.inputs.cidrIpv4).toBe("10.0.0.0/8");
        expect(rule.state.cidrIpv4).toBe("10.0.0.0/8");
        const replaced = withInputs(rule, (i) => ({ ...i, fromPort: 22 }));
        expect(replaced.state.fromPort).toBe(22);
        expect(replaced.state.arn).toMatch(/^arn:aws:vpc:us-east-1:123456789012:/);
    });
});
