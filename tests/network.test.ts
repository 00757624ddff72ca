import * as aws from "@pulumi/aws";
import { Network, NetworkArgs, UNSUPPORTED_ZONE_IDS, chooseAvailabilityZones, parseCidr, planSubnets, validateNetworkArgs, zoneIdPrefix } from "../components/network";
import { StackRun, runComponent, runStack } from "./harness";

const AZS3 = ["us-east-1a", "us-east-1b", "us-east-1c"];

describe.each([
    ["10.10.0.0/16", AZS3, ["10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19"], ["10.10.224.0/22", "10.10.228.0/22", "10.10.232.0/22"]],
    ["10.20.0.0/16", ["us-west-2a", "us-west-2b"], ["10.20.0.0/19", "10.20.32.0/19"], ["10.20.224.0/22", "10.20.228.0/22"]],
    ["172.16.16.0/20", AZS3, ["172.16.16.0/23", "172.16.18.0/23", "172.16.20.0/23"], ["172.16.30.0/26", "172.16.30.64/26", "172.16.30.128/26"]],
    [
        "10.0.0.0/16",
        ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e", "eu-west-1f"],
        ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19", "10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"],
        ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22", "10.0.236.0/22", "10.0.240.0/22", "10.0.244.0/22"],
    ],
])("planSubnets(%s)", (cidr, azs, privateCidrs, publicCidrs) => {
    const plan = planSubnets(cidr, azs);
    test("one private and one public subnet per AZ, in AZ order", () => {
        expect(plan.map((p) => p.availabilityZone)).toEqual(azs);
        expect(plan.map((p) => p.privateCidr)).toEqual(privateCidrs);
        expect(plan.map((p) => p.publicCidr)).toEqual(publicCidrs);
    });
    test("subnets lie inside the VPC and never overlap", () => {
        const vpc = parseCidr(cidr)!;
        const ranges = plan.flatMap((p) => [p.privateCidr, p.publicCidr]).map((c) => {
            const { base, prefix } = parseCidr(c)!;
            return [base, base + 2 ** (32 - prefix) - 1];
        }).sort((a, b) => a[0] - b[0]);
        for (const [lo, hi] of ranges) {
            expect(lo).toBeGreaterThanOrEqual(vpc.base);
            expect(hi).toBeLessThan(vpc.base + 2 ** (32 - vpc.prefix));
        }
        for (let i = 1; i < ranges.length; i++) {
            expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
        }
    });
});

describe.each([
    ["10.0.0.1/16", undefined],
    ["10.0.0.0/33", undefined],
    ["300.0.0.0/16", undefined],
    ["10.0.0.0", undefined],
    ["10.0.0.0/16", { base: 10 * 2 ** 24, prefix: 16 }],
])("parseCidr(%s)", (cidr, expected) => {
    test(`is ${JSON.stringify(expected)}`, () => expect(parseCidr(cidr)).toEqual(expected));
});

test("planSubnets rejects a bad CIDR or AZ count", () => {
    expect(() => planSubnets("10.0.0.1/16", AZS3)).toThrow(/"10.0.0.1\/16" is not an aligned IPv4 CIDR/);
    expect(() => planSubnets("10.0.0.0/16", ["us-east-1a"])).toThrow(/needs 2-6 availability zones, got 1/);
});

const VALID: NetworkArgs = { cidrBlock: "10.10.0.0/16", availabilityZones: AZS3 };

describe("Network validation", () => {
    test.each<[string, Partial<NetworkArgs>, RegExp]>([
        ["unaligned CIDR", { cidrBlock: "10.10.0.1/16" }, /cidrBlock: must be an aligned IPv4 CIDR such as "10.0.0.0\/16", got "10.10.0.1\/16"/],
        ["too large a VPC", { cidrBlock: "10.0.0.0/8" }, /cidrBlock: must be \/16 to \/20 .* got "10.0.0.0\/8"/],
        ["too small a VPC", { cidrBlock: "10.0.0.0/24" }, /cidrBlock: must be \/16 to \/20 .* got "10.0.0.0\/24"/],
        ["one AZ", { availabilityZones: ["us-east-1a"] }, /availabilityZones: must list 2-6 zones, got 1/],
        ["seven AZs", { availabilityZones: "abcdefg".split("").map((l) => `us-east-1${l}`) }, /availabilityZones: must list 2-6 zones, got 7/],
        ["repeated AZ", { availabilityZones: ["us-east-1a", "us-east-1a"] }, /availabilityZones: must not repeat a zone/],
        ["AZ that is not a zone name", { availabilityZones: ["us-east-1a", "east"] }, /availabilityZones\[1\]: must be a zone name such as "us-east-1a", got "east"/],
        ["unknown NAT strategy", { natGateways: "many" as any }, /natGateways: must be "single" or "perAz", got "many"/],
        ["retention CloudWatch rejects", { flowLogRetentionDays: 31 }, /flowLogRetentionDays: must be one of the values CloudWatch Logs accepts \(1, 3, 5, .*\), got 31/],
        ["zone IDs not parallel to the names", { availabilityZoneIds: ["use1-az1", "use1-az2"] }, /availabilityZoneIds: must give one zone ID per availabilityZones entry \(3\), got 2/],
        ["a zone name as a zone ID", { availabilityZoneIds: ["use1-az1", "use1-az2", "us-east-1c"] }, /availabilityZoneIds\[2\]: must be a zone ID such as "use1-az1", got "us-east-1c"/],
        ["a zone ID of another region", { availabilityZoneIds: ["use1-az1", "use1-az2", "usw2-az1"] }, /availabilityZoneIds\[2\]: "usw2-az1" is not a zone of "us-east-1c"'s region \(its zone IDs start with "use1-"\)/],
        ["a zone EKS cannot use", { clusterNames: ["eks"], availabilityZoneIds: ["use1-az1", "use1-az2", "use1-az3"] }, /availabilityZoneIds\[2\]: "use1-az3" cannot hold the EKS control plane/],
        ["a flow log traffic type EC2 rejects", { flowLogTrafficType: "DENY" as any }, /flowLogTrafficType: must be one of ACCEPT, REJECT, ALL, got "DENY"/],
        ["an aggregation interval EC2 rejects", { flowLogMaxAggregationInterval: 300 as any }, /flowLogMaxAggregationInterval: must be 60 or 600 .*got 300/],
        ["an S3 destination without a bucket", { flowLogDestination: "s3" }, /flowLogBucketArn: must name the S3 bucket/],
        ["a bucket name instead of its ARN", { flowLogDestination: "s3", flowLogBucketArn: "my-logs" }, /flowLogBucketArn: must be an S3 bucket ARN such as "arn:aws:s3:::my-log-archive", got "my-logs"/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateNetworkArgs(args).throwIfAny('Network "n"')).toThrow(expected);
        expect(() => new Network("n", args)).toThrow(expected);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new Network("bad", { cidrBlock: "nope", availabilityZones: ["x"] });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for Network "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("Network under mocks", () => {
    let perAz: StackRun<{ vpcId: string; privateSubnetIds: string[]; publicSubnetIds: string[]; privateRouteTableIds: string[] }>;
    let single: StackRun<unknown>;

    beforeAll(async () => {
        perAz = await runComponent(() => {
            const provider = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
            const net = new Network("prod-usw2-net", {
                cidrBlock: "10.20.0.0/16",
                availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"],
                natGateways: "perAz",
                clusterNames: ["prod-usw2-eks"],
                tags: { team: "platform" },
            }, { provider });
            return { vpcId: net.vpcId, privateSubnetIds: net.privateSubnetIds, publicSubnetIds: net.publicSubnetIds, privateRouteTableIds: net.privateRouteTableIds };
        });
        single = await runComponent(() => new Network("dev-net", { ...VALID, natGateways: "single", flowLogs: false }) && {});
    });

    test("public and private subnet per AZ, named by AZ, tagged for ELB discovery", () => {
        const subnets = perAz.ofType("aws:ec2/subnet:Subnet");
        expect(subnets.map((s) => s.name).sort()).toEqual([
            "prod-usw2-net-private-us-west-2a", "prod-usw2-net-private-us-west-2b", "prod-usw2-net-private-us-west-2c",
            "prod-usw2-net-public-us-west-2a", "prod-usw2-net-public-us-west-2b", "prod-usw2-net-public-us-west-2c",
        ]);
        const pub = perAz.get("aws:ec2/subnet:Subnet", "prod-usw2-net-public-us-west-2b");
        expect(pub.inputs).toMatchObject({ availabilityZone: "us-west-2b", cidrBlock: "10.20.228.0/22", mapPublicIpOnLaunch: false });
        expect(pub.inputs.availabilityZoneId).toBeUndefined();
        expect(pub.inputs.tags).toMatchObject({ "kubernetes.io/role/elb": "1", "kubernetes.io/cluster/prod-usw2-eks": "shared", team: "platform" });
        const priv = perAz.get("aws:ec2/subnet:Subnet", "prod-usw2-net-private-us-west-2c");
        expect(priv.inputs.tags).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
    });

    test("every child goes through the region's provider and sits under the component", () => {
        const component = perAz.get("scaled-web:network:Network", "prod-usw2-net");
        const children = perAz.descendantsOf(component);
        expect(children.length).toBeGreaterThan(20);
        for (const child of children) {
            expect(child.region).toBe("us-west-2");
        }
        expect(perAz.parentOf(perAz.get("aws:ec2/vpc:Vpc", "prod-usw2-net-vpc"))?.urn).toBe(component.urn);
    });

    test("perAz: a NAT gateway per AZ and each private route table uses its own AZ's gateway", () => {
        const nats = perAz.ofType("aws:ec2/natGateway:NatGateway");
        expect(nats.map((n) => n.name).sort()).toEqual(["prod-usw2-net-nat-us-west-2a", "prod-usw2-net-nat-us-west-2b", "prod-usw2-net-nat-us-west-2c"]);
        const route = perAz.get("aws:ec2/route:Route", "prod-usw2-net-private-us-west-2b-default");
        expect(route.inputs).toMatchObject({ routeTableId: "prod-usw2-net-private-us-west-2b-id", destinationCidrBlock: "0.0.0.0/0", natGatewayId: "prod-usw2-net-nat-us-west-2b-id" });
        // Routes live outside the tables so that peering routes can be added beside them.
        for (const rt of perAz.ofType("aws:ec2/routeTable:RouteTable")) {
            expect(rt.inputs.routes ?? []).toEqual([]);
        }
        expect(perAz.get("aws:ec2/route:Route", "prod-usw2-net-public-default").inputs).toMatchObject({ gatewayId: "prod-usw2-net-igw-id", routeTableId: "prod-usw2-net-public-rt-id" });
        expect(perAz.ofType("aws:ec2/eip:Eip")).toHaveLength(3);
    });

    test("single: one shared NAT gateway that every private route uses", () => {
        const nats = single.ofType("aws:ec2/natGateway:NatGateway");
        expect(nats.map((n) => n.name)).toEqual(["dev-net-nat-us-east-1a"]);
        const defaults = single.ofType("aws:ec2/route:Route").filter((r) => r.name.includes("private"));
        expect(defaults).toHaveLength(3);
        for (const route of defaults) {
            expect(route.inputs.natGatewayId).toBe("dev-net-nat-us-east-1a-id");
        }
    });

    test("flow logs are on by default (rejected traffic, 10-minute aggregation, to a retained log group) and can be turned off", () => {
        const flow = perAz.get("aws:ec2/flowLog:FlowLog", "prod-usw2-net-flow-log");
        expect(flow.inputs).toMatchObject({ trafficType: "REJECT", maxAggregationInterval: 600, logDestinationType: "cloud-watch-logs" });
        expect(perAz.get("aws:cloudwatch/logGroup:LogGroup", "prod-usw2-net-flow-logs").inputs.retentionInDays).toBe(30);
        expect(single.ofType("aws:ec2/flowLog:FlowLog")).toHaveLength(0);
    });

    test("the default security group is emptied", () => {
        const sg = perAz.get("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "prod-usw2-net-default-sg");
        expect(sg.inputs.ingress ?? []).toEqual([]);
        expect(sg.inputs.egress ?? []).toEqual([]);
    });

    test("outputs resolve to the registered ids", () => {
        expect(perAz.outputs.vpcId).toBe("prod-usw2-net-vpc-id");
        expect(perAz.outputs.privateSubnetIds).toEqual(["a", "b", "c"].map((l) => `prod-usw2-net-private-us-west-2${l}-id`));
        expect(perAz.outputs.publicSubnetIds).toHaveLength(3);
        expect(perAz.outputs.privateRouteTableIds).toEqual(["a", "b", "c"].map((l) => `prod-usw2-net-private-us-west-2${l}-id`));
    });
});

describe.each([
    ["us-east-1", "use1"], ["us-west-1", "usw1"], ["ca-central-1", "cac1"], ["ap-northeast-1", "apne1"], ["eu-central-2", "euc2"],
    ["ap-southeast-2", "apse2"], ["sa-east-1", "sae1"], ["me-central-1", "mec1"], ["af-south-1", "afs1"],
])("zoneIdPrefix(%s)", (region, prefix) => {
    test(`is ${prefix}`, () => expect(zoneIdPrefix(region)).toBe(prefix));
});

describe("chooseAvailabilityZones", () => {
    // us-east-1 as one account sees it: names and IDs do not line up, and use1-az3 is offered.
    const east = {
        names: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
        zoneIds: ["use1-az2", "use1-az4", "use1-az1", "use1-az6", "use1-az3", "use1-az5"],
    };

    test("the first zone IDs in order, skipping the ones EKS and RDS Proxy cannot use, returned in name order", () => {
        expect(UNSUPPORTED_ZONE_IDS).toEqual(["use1-az3", "usw1-az2", "cac1-az3"]);
        expect(chooseAvailabilityZones(east, { count: 3 })).toEqual({ names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: ["use1-az2", "use1-az4", "use1-az1"] });
        // Without the exclusion the third zone would have been use1-az3 (us-east-1e).
        expect(chooseAvailabilityZones(east, { count: 4 })).toEqual({ names: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1f"], zoneIds: ["use1-az2", "use1-az4", "use1-az1", "use1-az5"] });
    });

    test("pinned zone IDs are taken as given (in name order), whatever their names in this account", () => {
        expect(chooseAvailabilityZones(east, { count: 3, pinned: ["use1-az6", "use1-az1"] })).toEqual({ names: ["us-east-1c", "us-east-1d"], zoneIds: ["use1-az1", "use1-az6"] });
    });

    test("a pinned zone the account is not offered is named with the available ones", () => {
        expect(chooseAvailabilityZones(east, { count: 2, pinned: ["use1-az1", "use1-az9"] })).toEqual({
            problems: [{ key: "availabilityZoneIds", message: "use1-az9 is not offered to this account in this region (available: use1-az1, use1-az2, use1-az3, use1-az4, use1-az5, use1-az6)" }],
        });
    });

    test("a default count settles for the zones there are (two of us-west-1's three), an explicit one does not", () => {
        const west1 = { names: ["us-west-1a", "us-west-1b", "us-west-1c"], zoneIds: ["usw1-az1", "usw1-az2", "usw1-az3"] };
        expect(chooseAvailabilityZones(west1, { count: 3 })).toEqual({ names: ["us-west-1a", "us-west-1c"], zoneIds: ["usw1-az1", "usw1-az3"] });
        const strict = chooseAvailabilityZones(west1, { count: 3, strictCount: true });
        expect(strict).toEqual({ problems: [{ key: "azCount", message: "asks for 3 zones, but the account has only 2 usable here (usw1-az1, usw1-az3; usw1-az2 excluded)" }] });
    });
});

describe("Network placed by zone ID", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => new Network("prod-use1-net", {
            cidrBlock: "10.10.0.0/16",
            availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
            availabilityZoneIds: ["use1-az2", "use1-az4", "use1-az1"],
            clusterNames: ["prod-use1-eks"],
            flowLogTrafficType: "ALL",
            flowLogMaxAggregationInterval: 60,
            flowLogDestination: "s3",
            flowLogBucketArn: "arn:aws:s3:::org-log-archive/vpc",
        }) && {});
    });

    test("subnets are placed by zone ID and still named by zone name", () => {
        const priv = run.get("aws:ec2/subnet:Subnet", "prod-use1-net-private-us-east-1c");
        expect(priv.inputs).toMatchObject({ availabilityZoneId: "use1-az1", cidrBlock: "10.10.64.0/19" });
        // The provider refuses availability_zone together with availability_zone_id.
        expect(priv.inputs.availabilityZone).toBeUndefined();
        expect(run.get("aws:ec2/subnet:Subnet", "prod-use1-net-public-us-east-1a").inputs.availabilityZoneId).toBe("use1-az2");
    });

    test("flow logs as asked: all traffic every minute, to the S3 bucket, with no log group or role", () => {
        expect(run.get("aws:ec2/flowLog:FlowLog", "prod-use1-net-flow-log").inputs).toMatchObject({
            trafficType: "ALL", maxAggregationInterval: 60, logDestinationType: "s3", logDestination: "arn:aws:s3:::org-log-archive/vpc",
        });
        expect(run.get("aws:ec2/flowLog:FlowLog", "prod-use1-net-flow-log").inputs.iamRoleArn).toBeUndefined();
        expect(run.ofType("aws:cloudwatch/logGroup:LogGroup")).toHaveLength(0);
        expect(run.ofType("aws:iam/role:Role")).toHaveLength(0);
    });
});

describe("zones of the reference program (platform/zones.ts)", () => {
    let prod: StackRun;
    beforeAll(async () => {
        prod = await runStack("prod");
    });

    test("each region asks EC2 through its own provider for its available Availability Zones", () => {
        const asks = prod.invokes.filter((i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones");
        const providers = prod.ofType("pulumi:providers:aws");
        expect(asks.map((a) => providers.find((p) => a.provider?.startsWith(`${p.urn}::`))?.inputs.region)).toEqual(["us-east-1", "us-west-2"]);
        for (const a of asks) {
            expect(a.inputs).toMatchObject({
                state: "available",
                filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }, { name: "zone-type", values: ["availability-zone"] }],
            });
        }
    });

    test("subnets sit in the first zone IDs the account offers, by ID, never in use1-az3, named by zone name", () => {
        const placed = (region: string): string[] => prod.ofType("aws:ec2/subnet:Subnet")
            .filter((s) => s.region === region && s.inputs.tags?.tier === "private")
            .map((s) => `${s.name} ${s.inputs.availabilityZoneId}`).sort();
        // The mock account: us-east-1a=use1-az2, 1b=az4, 1c=az1, 1d=az6, 1e=az3, 1f=az5. Without the exclusion,
        // use1-az3 (us-east-1e) would be among the first three.
        expect(placed("us-east-1")).toEqual([
            "prod-use1-net-private-us-east-1a use1-az2", "prod-use1-net-private-us-east-1b use1-az4", "prod-use1-net-private-us-east-1c use1-az1",
        ]);
        expect(placed("us-west-2")).toEqual([
            "prod-usw2-net-private-us-west-2a usw2-az2", "prod-usw2-net-private-us-west-2b usw2-az1", "prod-usw2-net-private-us-west-2c usw2-az3",
        ]);
        expect(prod.ofType("aws:ec2/subnet:Subnet").filter((s) => s.inputs.availabilityZoneId === "use1-az3")).toEqual([]);
    });

    test("a stack pins zone IDs; the network follows them, CIDRs handed out in zone-name order", async () => {
        const run = await runStack("prod", {
            regions: {
                "us-east-1": { role: "primary", weight: 70, cidr: "10.10.0.0/16", availabilityZoneIds: ["use1-az6", "use1-az5"] },
                "us-west-2": { role: "secondary", weight: 30, cidr: "10.20.0.0/16" },
            },
        });
        const east = run.ofType("aws:ec2/subnet:Subnet").filter((s) => s.region === "us-east-1" && s.inputs.tags?.tier === "private");
        expect(east.map((s) => `${s.name} ${s.inputs.availabilityZoneId} ${s.inputs.cidrBlock}`)).toEqual([
            "prod-use1-net-private-us-east-1d use1-az6 10.10.0.0/19",
            "prod-use1-net-private-us-east-1f use1-az5 10.10.32.0/19",
        ]);
    });

    test("a pinned zone the account is not offered fails the run with the stack key and the zones offered", async () => {
        await expect(runStack("prod", {
            regions: {
                "us-east-1": { role: "primary", weight: 70, availabilityZoneIds: ["use1-az1", "use1-az7"] },
                "us-west-2": { role: "secondary", weight: 30 },
            },
        })).rejects.toThrow(/scaled-web:regions\.us-east-1\.availabilityZoneIds: use1-az7 is not offered to this account in this region \(available: use1-az1, use1-az2, use1-az3, use1-az4, use1-az5, use1-az6\)/);
    });
});
