/**
 * The offline runner: enforcement levels (pack, policy, `all`, per-policy, disabled, remediate), config
 * defaults and validation, `validateResourceOfType` / `isType` / `asType` semantics, stack-policy links,
 * and the per-stack config files.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import type { RegisteredResource } from "../toolkit/offline";
import { PACK_NAME, allPolicies } from "../policy-pack/policies";
import {
    PolicyConfigError, PolicyPackDefinition, evaluatePolicies, evaluatePoliciesAsync, loadPolicyConfig, resolvePolicyConfig, validateAgainstSchema,
} from "../toolkit/policy-runner";

const PROVIDER_URN = "urn:pulumi:test::scaled-web::pulumi:providers:aws::aws-us-west-2";

function res(type: string, name: string, inputs: Record<string, any> = {}, extra: Partial<RegisteredResource> = {}): RegisteredResource {
    return {
        urn: `urn:pulumi:test::scaled-web::${type}::${name}`,
        type, name, inputs, state: inputs, custom: true, protect: false, dependencies: [], secretInputs: [], ...extra,
    };
}

const provider = res("pulumi:providers:aws", "aws-us-west-2", { region: "us-west-2" }, { urn: PROVIDER_URN });
const component = res("scaled-web:edge:LoadBalancer", "edge", {}, { custom: false });
const bucket = res("aws:s3/bucket:Bucket", "logs", { bucket: "logs-bucket", tags: { team: "web" } }, { parent: component.urn, provider: `${PROVIDER_URN}::aws-id` });
const bucketNoTags = res("aws:s3/bucket:Bucket", "plain", { bucket: "plain-bucket" });
const block = res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-pab", { bucket: "logs-id" }, { dependencies: [bucket.urn], parent: component.urn });
const vpc = res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" });
const RESOURCES = [provider, component, bucket, bucketNoTags, block, vpc];

/** A bucket policy with config: every bucket must carry `requiredTag`. */
const bucketTagged: ResourceValidationPolicy = {
    name: "bucket-tagged",
    description: "Buckets carry the owner tag.",
    configSchema: {
        properties: {
            requiredTag: { type: "string", default: "team", minLength: 1 },
            maxTags: { type: "integer", minimum: 1, default: 50 },
            owners: { type: "array", items: { type: "string", pattern: "^[a-z]+$" }, default: ["web"] },
        },
    },
    validateResource: validateResourceOfType(aws.s3.Bucket, (b, args, report) => {
        const { requiredTag } = args.getConfig<{ requiredTag: string }>();
        if (!b.tags?.[requiredTag]) {
            report(`Bucket "${args.name}" must carry the tag ${requiredTag}.`);
        }
    }),
};

/** Stack policy: reports every bucket without a public access block, and once for the stack. */
const stackLinks: StackValidationPolicy = {
    name: "stack-links",
    description: "Checks links between resources.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const b of args.resources.filter((r) => r.isType(aws.s3.Bucket))) {
            const blocked = args.resources.some((r) => r.isType(aws.s3.BucketPublicAccessBlock) && r.dependencies.some((d) => d.urn === b.urn));
            if (!blocked) {
                report(`Bucket "${b.name}" has no access block.`, b.urn);
            }
        }
        report("stack-wide note");
    },
};

const vpcPolicy: ResourceValidationPolicy = {
    name: "vpc-cidr",
    description: "VPCs use /16.",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.ec2.Vpc, (v, _args, report) => {
        if (!String(v.cidrBlock).endsWith("/16")) {
            report("VPC must be a /16.");
        }
    }),
};

const pack = (policies = [bucketTagged, stackLinks, vpcPolicy], enforcementLevel?: "advisory" | "mandatory"): PolicyPackDefinition =>
    ({ name: "test-pack", enforcementLevel, policies });

describe("enforcement levels", () => {
    it("uses the policy's own level, else the pack's (advisory when the pack sets none)", () => {
        const report = evaluatePolicies(RESOURCES, { pack: pack() });
        expect(report.policies.map((p) => [p.name, p.enforcementLevel])).toEqual([["bucket-tagged", "advisory"], ["stack-links", "mandatory"], ["vpc-cidr", "advisory"]]);
        expect(report.violations.map((v) => [v.policyName, v.enforcementLevel, v.resourceName])).toEqual([
            ["bucket-tagged", "advisory", "plain"],
            ["stack-links", "mandatory", "plain"],
            ["stack-links", "mandatory", undefined],
        ]);
        expect(report.mandatoryCount).toBe(2);
        expect(report.advisoryCount).toBe(1);
        expect(evaluatePolicies(RESOURCES, { pack: pack(undefined, "mandatory") }).policies[0].enforcementLevel).toBe("mandatory");
    });

    it("applies `all`, then per-policy levels (string or object form)", () => {
        const report = evaluatePolicies(RESOURCES, { pack: pack(), config: { all: "mandatory", "stack-links": { enforcementLevel: "advisory" } } });
        expect(report.policies.map((p) => p.enforcementLevel)).toEqual(["mandatory", "advisory", "mandatory"]);
        expect(report.violations.find((v) => v.policyName === "bucket-tagged")!.enforcementLevel).toBe("mandatory");
        expect(report.mandatoryCount).toBe(1);
        expect(report.advisoryCount).toBe(2);
    });

    it("skips disabled policies entirely", () => {
        const report = evaluatePolicies(RESOURCES, { pack: pack(), config: { "bucket-tagged": "disabled", all: "advisory" } });
        expect(report.policies.map((p) => p.name)).toEqual(["stack-links", "vpc-cidr"]);
        expect(report.violations.some((v) => v.policyName === "bucket-tagged")).toBe(false);
        const none = evaluatePolicies(RESOURCES, { pack: pack(), config: { all: "disabled" } });
        expect(none.policies).toEqual([]);
        expect(none.violations).toEqual([]);
    });

    it("reports violations of a `remediate` policy as mandatory", () => {
        const report = evaluatePolicies(RESOURCES, { pack: pack(), config: { "bucket-tagged": "remediate" } });
        expect(report.policies[0].enforcementLevel).toBe("remediate");
        expect(report.violations[0]).toMatchObject({ policyName: "bucket-tagged", enforcementLevel: "mandatory" });
    });
});

describe("policy config", () => {
    it("gives each policy its schema defaults, overlaid by the config file", () => {
        expect(resolvePolicyConfig(pack()).get("bucket-tagged")).toEqual({ enforcementLevel: "advisory", properties: { requiredTag: "team", maxTags: 50, owners: ["web"] } });
        const resolved = resolvePolicyConfig(pack(), { "bucket-tagged": { requiredTag: "owner", enforcementLevel: "mandatory" } });
        expect(resolved.get("bucket-tagged")).toEqual({ enforcementLevel: "mandatory", properties: { requiredTag: "owner", maxTags: 50, owners: ["web"] } });
        const report = evaluatePolicies(RESOURCES, { pack: pack([bucketTagged]), config: { "bucket-tagged": { requiredTag: "owner" } } });
        expect(report.violations.map((v) => v.message)).toEqual(['Bucket "logs" must carry the tag owner.', 'Bucket "plain" must carry the tag owner.']);
    });

    it("hands each validation its own copy of the config", () => {
        const mutating: ResourceValidationPolicy = {
            ...bucketTagged,
            validateResource: validateResourceOfType(aws.s3.Bucket, (_b, args) => {
                args.getConfig<{ owners: string[] }>().owners.push("intruder");
            }),
        };
        evaluatePolicies(RESOURCES, { pack: pack([mutating]) });
        expect((bucketTagged.configSchema!.properties.owners as { default: string[] }).default).toEqual(["web"]);
    });

    it.each([
        [{ "bucket-tagged": { requiredTag: 7 } }, /bucket-tagged\.requiredTag must be string, got integer 7/],
        [{ "bucket-tagged": { maxTags: 0 } }, /bucket-tagged\.maxTags must be >= 1, got 0/],
        [{ "bucket-tagged": { maxTags: 1.5 } }, /bucket-tagged\.maxTags must be integer, got number 1\.5/],
        [{ "bucket-tagged": { owners: ["Web"] } }, /bucket-tagged\.owners\[0\] must match \/\^\[a-z\]\+\$\/, got "Web"/],
        [{ "bucket-tagged": { requiredTag: "" } }, /bucket-tagged\.requiredTag must be at least 1 characters/],
        [{ "bucket-tagged": { reqiredTag: "team" } }, /bucket-tagged\.reqiredTag is not a known property \(known: requiredTag, maxTags, owners\)/],
        [{ "bucket-taged": "mandatory" }, /bucket-taged: no such policy in pack "test-pack"/],
        [{ "bucket-tagged": "strict" }, /bucket-tagged: "strict" is not an enforcement level \(advisory, mandatory, remediate, disabled\)/],
        [{ "bucket-tagged": { enforcementLevel: 3 } }, /bucket-tagged\.enforcementLevel: 3 is not an enforcement level/],
        [{ "bucket-tagged": 3 }, /bucket-tagged: must be an enforcement level or an object, got integer/],
        [{ all: { enforcementLevel: "mandatory", requiredTag: "x" } }, /all: only "enforcementLevel" applies to every policy; move requiredTag under a policy name/],
        [{ "vpc-cidr": { size: 16 } }, /vpc-cidr: takes no config properties, got size/],
    ])("rejects %j", (config, message) => {
        expect(() => evaluatePolicies(RESOURCES, { pack: pack(), config })).toThrow(PolicyConfigError);
        expect(() => evaluatePolicies(RESOURCES, { pack: pack(), config })).toThrow(message);
    });

    it("lists every problem at once", () => {
        expect(() => resolvePolicyConfig(pack(), { "bucket-tagged": { maxTags: -1, requiredTag: 1 }, nope: "advisory" }))
            .toThrow(/Invalid policy pack config \(3 problems\):\n {2}- nope: no such policy/);
    });

    it("enforces `required`", () => {
        const needs: ResourceValidationPolicy = { ...bucketTagged, name: "needs-owner", configSchema: { properties: { owner: { type: "string" } }, required: ["owner"] } };
        expect(() => resolvePolicyConfig(pack([needs]))).toThrow(/needs-owner\.owner is required/);
        expect(resolvePolicyConfig(pack([needs]), { "needs-owner": { owner: "web" } }).get("needs-owner")!.properties).toEqual({ owner: "web" });
    });

    it.each([
        [{ type: ["string", "null"] }, null, 0],
        [{ enum: ["a", "b"] }, "c", 1],
        [{ type: "object", properties: { a: { type: "boolean" } }, additionalProperties: false }, { a: 1, b: 2 }, 2],
        [{ type: "array", minItems: 1, uniqueItems: true }, [], 1],
        [{ type: "array", uniqueItems: true }, [1, 1], 1],
        [{ type: "number", exclusiveMaximum: 10 }, 10, 1],
    ])("schema %j on %j: %i problem(s)", (schema, value, count) => {
        expect(validateAgainstSchema(value, schema as any, "x")).toHaveLength(count);
    });
});

describe("resource and stack validation semantics", () => {
    it("runs a validateResourceOfType validation only on its type, with isType/asType comparing type tokens", () => {
        const seen: string[] = [];
        const probe: ResourceValidationPolicy = {
            name: "probe", description: "probe",
            validateResource: [
                validateResourceOfType(aws.s3.Bucket, (_b, args) => {
                    seen.push(`typed:${args.name}:${args.isType(aws.s3.Bucket)}:${args.isType(aws.ec2.Vpc)}:${args.asType(aws.s3.Bucket)?.bucket}:${args.asType(aws.ec2.Vpc)}`);
                }),
                (args) => {
                    if (!args.isType(aws.ec2.Vpc)) {
                        args.notApplicable("only VPCs");
                    }
                    seen.push(`untyped:${args.name}:${args.provider?.name ?? "-"}`);
                },
            ],
        };
        const report = evaluatePolicies(RESOURCES, { pack: pack([probe]) });
        expect(report.violations).toEqual([]);
        expect(seen).toEqual(["typed:logs:true:false:logs-bucket:undefined", "typed:plain:true:false:plain-bucket:undefined", "untyped:vpc:-"]);
    });

    it("gives validations a copy of the inputs as props, and the provider", () => {
        let providerSeen: unknown;
        const mutate: ResourceValidationPolicy = {
            name: "mutate", description: "mutate",
            validateResource: validateResourceOfType(aws.s3.Bucket, (b, args) => {
                (b as any).bucket = "changed";
                if (args.name === "logs") {
                    providerSeen = args.provider;
                }
            }),
        };
        evaluatePolicies(RESOURCES, { pack: pack([mutate]) });
        expect(bucket.inputs.bucket).toBe("logs-bucket");
        expect(providerSeen).toEqual({ type: "pulumi:providers:aws", props: { region: "us-west-2" }, urn: PROVIDER_URN, name: "aws-us-west-2" });
    });

    it("gives stack policies every resource with parent, dependencies and provider resolved", () => {
        let seen: PolicyResource[] = [];
        const probe: StackValidationPolicy = { name: "probe", description: "probe", validateStack: (args) => { seen = args.resources; } };
        evaluatePolicies(RESOURCES, { pack: pack([probe]) });
        expect(seen.map((r) => r.name)).toEqual(RESOURCES.map((r) => r.name));
        const b = seen.find((r) => r.name === "logs")!;
        const pab = seen.find((r) => r.name === "logs-pab")!;
        expect(b.parent?.name).toBe("edge");
        expect(pab.dependencies).toEqual([b]);
        expect(b.provider?.urn).toBe(PROVIDER_URN);
        expect(b.isType(aws.s3.Bucket)).toBe(true);
        expect(b.isType(k8s.apps.v1.Deployment)).toBe(false);
        expect(b.asType(aws.s3.Bucket)).toEqual(bucket.inputs);
    });

    it("maps a stack violation's URN to the resource, and leaves stack-wide ones without", () => {
        const report = evaluatePolicies(RESOURCES, { pack: pack([stackLinks]) });
        expect(report.violations).toEqual([
            { policyName: "stack-links", enforcementLevel: "mandatory", message: 'Bucket "plain" has no access block.', resourceUrn: bucketNoTags.urn, resourceName: "plain", resourceType: "aws:s3/bucket:Bucket" },
            { policyName: "stack-links", enforcementLevel: "mandatory", message: "stack-wide note" },
        ]);
    });

    it("needs evaluatePoliciesAsync for asynchronous policies", async () => {
        const slow: ResourceValidationPolicy = {
            name: "slow", description: "slow", enforcementLevel: "mandatory",
            validateResource: validateResourceOfType(aws.ec2.Vpc, async (_v, _args, report) => {
                await new Promise((r) => setTimeout(r, 1));
                report("VPC checked late.");
            }),
        };
        expect(() => evaluatePolicies(RESOURCES, { pack: pack([slow]) })).toThrow(/policy "slow" is asynchronous; evaluate this pack with evaluatePoliciesAsync/);
        const report = await evaluatePoliciesAsync(RESOURCES, { pack: pack([slow, vpcPolicy]) });
        expect(report.violations.map((v) => v.message)).toEqual(["VPC checked late."]);
        const notApplicable: ResourceValidationPolicy = {
            name: "na", description: "na",
            validateResource: async (args) => { await Promise.resolve(); args.notApplicable(); },
        };
        expect((await evaluatePoliciesAsync(RESOURCES, { pack: pack([notApplicable]) })).violations).toEqual([]);
    });

    it("names the policy and resource when a policy crashes", () => {
        const broken: ResourceValidationPolicy = {
            name: "broken", description: "broken",
            validateResource: validateResourceOfType(aws.ec2.Vpc, () => { throw new Error("boom"); }),
        };
        expect(() => evaluatePolicies(RESOURCES, { pack: pack([broken]) })).toThrow(/policy "broken" failed on aws:ec2\/vpc:Vpc "vpc": boom/);
    });

    it("passes stack tags", () => {
        let tags: ReadonlyMap<string, string> | undefined;
        const probe: StackValidationPolicy = { name: "probe", description: "probe", validateStack: (args) => { tags = args.stackTags; } };
        evaluatePolicies(RESOURCES, { pack: pack([probe]), stackTags: { env: "prod" } });
        expect(tags?.get("env")).toBe("prod");
    });
});

describe("the project's pack and per-stack configs", () => {
    it("evaluates the project's pack by default", () => {
        const report = evaluatePolicies([]);
        expect(report.packName).toBe(PACK_NAME);
        expect(report.policies.map((p) => p.name)).toEqual(allPolicies.map((p) => p.name));
        expect(report.policies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
    });

    it("prod.json makes every policy mandatory", () => {
        const resolved = resolvePolicyConfig({ name: PACK_NAME, policies: allPolicies }, loadPolicyConfig("prod"));
        expect([...resolved.values()].every((c) => c.enforcementLevel === "mandatory")).toBe(true);
        expect(resolved.get("rds-storage-encrypted")!.properties).toEqual({ requireCustomerManagedKey: true });
        expect(resolved.get("rds-deletion-protection")!.properties).toEqual({ requireFinalSnapshot: true });
    });

    it("dev.json is mostly advisory, keeps internet exposure mandatory and turns deletion protection off", () => {
        const resolved = resolvePolicyConfig({ name: PACK_NAME, policies: allPolicies }, loadPolicyConfig("dev"));
        const levels = Object.fromEntries([...resolved].map(([name, c]) => [name, c.enforcementLevel]));
        expect(levels["rds-deletion-protection"]).toBe("disabled");
        expect(levels["deployment-min-replicas"]).toBe("advisory");
        expect(levels["rds-not-public"]).toBe("mandatory");
        expect(levels["security-group-public-ingress"]).toBe("mandatory");
        const counts = Object.values(levels).reduce<Record<string, number>>((acc, l) => ({ ...acc, [l]: (acc[l] ?? 0) + 1 }), {});
        expect(counts.advisory).toBeGreaterThan(allPolicies.length / 2);
        expect(resolved.get("node-pool-max-size")).toEqual({ enforcementLevel: "advisory", properties: { maxSize: 10 } });
    });

    it("names the paths tried and the available configs when a stack has none", () => {
        expect(() => loadPolicyConfig("qa")).toThrow(/No policy config for stack "qa": tried .*qa\.json .*; configs there: dev, prod, staging\./);
    });
});
