import { ConfigError } from "../platform/config";
import { StackFileError, readStackConfig } from "../toolkit/offline";
import { StackRun, runStack } from "./harness";

describe("stack config files", () => {
    test("project defaults from Pulumi.yaml sit under the stack file's values", () => {
        const { project, config } = readStackConfig("dev");
        expect(project).toBe("scaled-web");
        expect(config["scaled-web:environment"]).toBe("dev");
        expect(config["scaled-web:hostedZoneId"]).toBe("Z0DEV0000000000000001");
        expect(JSON.parse(config["scaled-web:regions"])).toEqual({ "us-east-1": { role: "primary", weight: 100, cidr: "10.10.0.0/16" } });
    });

    test("an unknown stack names the stacks that exist", () => {
        expect(() => readStackConfig("qa")).toThrow(StackFileError);
        expect(() => readStackConfig("qa")).toThrow(/No stack file Pulumi\.qa\.yaml .* stacks here: dev, prod/);
    });
});

describe.each(["dev", "prod"])("the %s stack under the mock runtime", (stack) => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack(stack);
    });

    test("registers one aws.Provider per configured region", () => {
        const regions = stack === "prod" ? ["us-east-1", "us-west-2"] : ["us-east-1"];
        const providers = run.ofType("pulumi:providers:aws");
        expect(providers.map((p) => p.inputs.region).sort()).toEqual(regions);
    });

    test("each region's VPC goes through that region's provider", () => {
        const vpcs = run.ofType("aws:ec2/vpc:Vpc");
        expect(vpcs.length).toBe(stack === "prod" ? 2 : 1);
        for (const vpc of vpcs) {
            const region = vpc.name.includes("usw2") ? "us-west-2" : "us-east-1";
            expect(vpc.region).toBe(region);
            const provider = run.ofType("pulumi:providers:aws").find((p) => vpc.provider?.startsWith(`${p.urn}::`));
            expect(provider?.inputs.region).toBe(region);
        }
    });

    test("no resource uses the ambient default AWS provider", () => {
        const awsResources = run.resources.filter((r) => r.type.startsWith("aws:"));
        expect(awsResources.length).toBeGreaterThan(0);
        for (const r of awsResources) {
            expect(r.provider).not.toMatch(/pulumi:providers:aws::default/);
            expect(r.region).toBeDefined();
        }
    });

    test("NAT strategy follows the environment", () => {
        const nats = run.ofType("aws:ec2/natGateway:NatGateway");
        expect(nats.length).toBe(stack === "prod" ? 6 : 1);
    });

    test("stack outputs resolve to the regions' endpoints and carry no secret", () => {
        expect(run.outputs.environment).toBe(stack);
        const domain = stack === "prod" ? "scaled-web.example.com" : "dev.scaled-web.example.com";
        expect([...run.outputs.hostnames].sort()).toEqual([`api.${domain}`, `ws.${domain}`]);
        for (const [name, region] of Object.entries(run.outputs.regions)) {
            const code = name === "us-east-1" ? "use1" : "usw2";
            expect(region.vpcId).toBe(`${stack}-${code}-net-vpc-id`);
            expect(region.clusterName).toMatch(new RegExp(`^${stack}-${code}-eks`));
            expect(region.loadBalancerDnsName).toMatch(new RegExp(`\\.${name}\\.elb\\.amazonaws\\.com$`));
            // Every region writes through the proxy in the primary region.
            expect(region.databaseWriterEndpoint).toMatch(/\.proxy-.*\.us-east-1\.rds\.amazonaws\.com:5432$/);
            expect(region.databaseReaderEndpoint).toBe("reader.db.internal:5432");
            expect(region.criticalTopicArn).toMatch(new RegExp(`^arn:aws:sns:${name}:`));
        }
        expect(JSON.stringify(run.outputs)).not.toMatch(/mock-password|rediss:\/\//);
    });

    test("every custom resource has a component parent (nothing floats at the stack root but providers)", () => {
        const root = run.ofType("pulumi:pulumi:Stack")[0];
        const atRoot = run.resources.filter((r) => r.parent === root.urn && r.custom && !r.type.startsWith("pulumi:providers:"));
        expect(atRoot.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    });
});

describe("bad stack config", () => {
    test("is rejected before any resource is created, naming the key", async () => {
        let error: unknown;
        let run: StackRun | undefined;
        try {
            run = await runStack("prod", { regions: { "us-east-1": { role: "primary", weight: 70 }, "us-west-2": { role: "primary", weight: 20 } } });
        } catch (e) {
            error = e;
        }
        expect(run).toBeUndefined();
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/scaled-web:regions\.\*\.weight: weights must sum to 100, got 90/);
        expect((error as Error).message).toMatch(/exactly one region must have role "primary", got 2/);
    });

    test("a stack without hostedZoneId takes the project default (empty: look the zone up by name)", async () => {
        const run = await runStack("dev", { hostedZoneId: undefined });
        expect(run.invokes.map((i) => i.token)).toContain("aws:route53/getZone:getZone");
        expect(run.invokes.find((i) => i.token === "aws:route53/getZone:getZone")?.inputs.name).toBe("dev.scaled-web.example.com");
    });

    test("an unknown key in the project namespace is reported", async () => {
        await expect(runStack("dev", { regionz: { x: 1 } })).rejects.toThrow(/scaled-web:regionz: unknown key "scaled-web:regionz"; did you mean scaled-web:regions\?/);
    });
});
