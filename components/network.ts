import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS, Problems, show } from "./validation";

/** Default number of NAT gateways: one per AZ, so losing a zone does not cut egress elsewhere. */
export const DEFAULT_NAT_STRATEGY: NatStrategy = "perAz";
export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 30;

export type NatStrategy = "single" | "perAz";

export interface NetworkArgs {
    /** IPv4 CIDR of the VPC, /16 to /20. */
    readonly cidrBlock: string;
    /** Availability zones to spread subnets over (2-6), e.g. `["us-east-1a", "us-east-1b", "us-east-1c"]`. */
    readonly availabilityZones: readonly string[];
    /**
     * `perAz`: a NAT gateway in every AZ (highly available); `single`: one shared NAT gateway (cheaper, dev).
     * @default "perAz"
     */
    readonly natGateways?: NatStrategy;
    /**
     * VPC flow logs (all traffic) to a CloudWatch log group.
     * @default true
     */
    readonly flowLogs?: boolean;
    /** Days to keep flow logs; one of the periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...). @default 30 */
    readonly flowLogRetentionDays?: number;
    /**
     * EKS cluster names whose load balancers may use these subnets; each adds a
     * `kubernetes.io/cluster/<name>: shared` tag.
     * @default []
     */
    readonly clusterNames?: readonly string[];
    /** Tags for every taggable child. @default {} */
    readonly tags?: Record<string, string>;
}

export interface SubnetPlan {
    readonly availabilityZone: string;
    readonly publicCidr: string;
    readonly privateCidr: string;
}

function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/p`, returning undefined when it is not a valid, aligned IPv4 CIDR. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) {
        return undefined;
    }
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    const base = ipToInt(octets.join("."));
    if (base % 2 ** (32 - prefix) !== 0) {
        return undefined; // host bits set, e.g. 10.0.0.1/16
    }
    return { base, prefix };
}

/**
 * Carves a VPC CIDR into one private and one public subnet per AZ.
 * The VPC is split in eight equal blocks (prefix + 3): private subnets take the first blocks,
 * one per AZ (a /16 gives /19s of 8,190 addresses, room for pods on the VPC CNI); the last block
 * is split in eight again (prefix + 6) for the public subnets, which only hold load balancers
 * and NAT gateways. Supports 2-6 AZs and VPCs from /16 to /20.
 */
export function planSubnets(vpcCidr: string, availabilityZones: readonly string[]): SubnetPlan[] {
    const parsed = parseCidr(vpcCidr);
    if (!parsed) {
        throw new Error(`planSubnets: ${show(vpcCidr)} is not an aligned IPv4 CIDR`);
    }
    if (availabilityZones.length < 2 || availabilityZones.length > 6) {
        throw new Error(`planSubnets: needs 2-6 availability zones, got ${availabilityZones.length}`);
    }
    const { base, prefix } = parsed;
    const privateSize = 2 ** (32 - (prefix + 3));
    const publicSize = 2 ** (32 - (prefix + 6));
    const publicBase = base + 7 * privateSize;
    return availabilityZones.map((az, i) => ({
        availabilityZone: az,
        privateCidr: `${intToIp(base + i * privateSize)}/${prefix + 3}`,
        publicCidr: `${intToIp(publicBase + i * publicSize)}/${prefix + 6}`,
    }));
}

/** Checks plain Network args; returns the problems found (empty when valid). */
export function validateNetworkArgs(args: NetworkArgs): Problems {
    const problems = new Problems();
    const parsed = parseCidr(args.cidrBlock);
    if (!parsed) {
        problems.add("cidrBlock", `must be an aligned IPv4 CIDR such as "10.0.0.0/16", got ${show(args.cidrBlock)}`);
    } else if (parsed.prefix < 16 || parsed.prefix > 20) {
        problems.add("cidrBlock", `must be /16 to /20 (AWS allows /16 at most; /20 is the smallest that fits 6 AZs), got ${show(args.cidrBlock)}`);
    }
    const azs = args.availabilityZones;
    if (azs.length < 2 || azs.length > 6) {
        problems.add("availabilityZones", `must list 2-6 zones, got ${azs.length} (${show(azs)})`);
    }
    if (new Set(azs).size !== azs.length) {
        problems.add("availabilityZones", `must not repeat a zone, got ${show(azs)}`);
    }
    azs.forEach((az, i) => problems.check(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(az), `availabilityZones[${i}]`, `must be a zone name such as "us-east-1a", got ${show(az)}`));
    if (args.natGateways !== undefined && args.natGateways !== "single" && args.natGateways !== "perAz") {
        problems.add("natGateways", `must be "single" or "perAz", got ${show(args.natGateways)}`);
    }
    const retention = args.flowLogRetentionDays;
    if (retention !== undefined && !(CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(retention)) {
        problems.add("flowLogRetentionDays", `must be one of the values CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), got ${show(retention)}`);
    }
    return problems;
}

/**
 * One regional VPC: public and private subnets in every AZ, an internet gateway, NAT gateways
 * (one per AZ or one shared), route tables, EKS/ELB discovery tags and VPC flow logs.
 *
 * Pass the region's `aws.Provider` in `opts.provider`; every child uses it.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpc: aws.ec2.Vpc;
    public readonly vpcId: pulumi.Output<string>;
    public readonly cidrBlock: string;
    public readonly availabilityZones: readonly string[];
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly natGatewayIds: pulumi.Output<string>[];
    /** Route table of the public subnets (default route to the internet gateway). */
    public readonly publicRouteTableId: pulumi.Output<string>;
    /** Route table of each private subnet, in AZ order; routes to other networks (peering) go here. */
    public readonly privateRouteTableIds: pulumi.Output<string>[];
    public readonly subnets: readonly SubnetPlan[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        validateNetworkArgs(args).throwIfAny(`Network "${name}"`);
        super("scaled-web:network:Network", name, {}, opts);

        const nat = args.natGateways ?? DEFAULT_NAT_STRATEGY;
        const tags = args.tags ?? {};
        const clusterTags = Object.fromEntries((args.clusterNames ?? []).map((c) => [`kubernetes.io/cluster/${c}`, "shared"]));
        const plan = planSubnets(args.cidrBlock, args.availabilityZones);
        const child = { parent: this };

        this.cidrBlock = args.cidrBlock;
        this.availabilityZones = [...args.availabilityZones];
        this.subnets = plan;

        this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.cidrBlock,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { ...tags, Name: `${name}-vpc` },
        }, child);
        this.vpcId = this.vpc.id;

        // The default security group of a VPC allows all traffic between its members; empty it.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, {
            vpcId: this.vpc.id,
            tags: { ...tags, Name: `${name}-default-deny` },
        }, child);

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, {
            vpcId: this.vpc.id,
            tags: { ...tags, Name: `${name}-igw` },
        }, child);

        // Routes are separate resources, never inline `routes` blocks: the AWS provider cannot mix the two on
        // one table, and other components (region peering) add their own routes to these tables.
        const publicRt = new aws.ec2.RouteTable(`${name}-public-rt`, {
            vpcId: this.vpc.id,
            tags: { ...tags, Name: `${name}-public` },
        }, child);
        new aws.ec2.Route(`${name}-public-default`, {
            routeTableId: publicRt.id,
            destinationCidrBlock: "0.0.0.0/0",
            gatewayId: igw.id,
        }, child);

        const publicSubnets = plan.map((p) => {
            const subnet = new aws.ec2.Subnet(`${name}-public-${p.availabilityZone}`, {
                vpcId: this.vpc.id,
                availabilityZone: p.availabilityZone,
                cidrBlock: p.publicCidr,
                // Instances never get public IPs: only the ALB and NAT gateways live here.
                mapPublicIpOnLaunch: false,
                tags: { ...tags, ...clusterTags, Name: `${name}-public-${p.availabilityZone}`, "kubernetes.io/role/elb": "1", tier: "public" },
            }, child);
            new aws.ec2.RouteTableAssociation(`${name}-public-${p.availabilityZone}`, {
                subnetId: subnet.id,
                routeTableId: publicRt.id,
            }, child);
            return subnet;
        });

        const natZones = nat === "perAz" ? plan.map((p) => p.availabilityZone) : [plan[0].availabilityZone];
        const natGateways = new Map<string, aws.ec2.NatGateway>();
        natZones.forEach((az) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${az}`, {
                domain: "vpc",
                tags: { ...tags, Name: `${name}-nat-${az}` },
            }, { ...child, dependsOn: [igw] });
            const subnet = publicSubnets[plan.findIndex((p) => p.availabilityZone === az)];
            natGateways.set(az, new aws.ec2.NatGateway(`${name}-nat-${az}`, {
                allocationId: eip.id,
                subnetId: subnet.id,
                tags: { ...tags, Name: `${name}-nat-${az}` },
            }, child));
        });

        const privateRouteTables: aws.ec2.RouteTable[] = [];
        const privateSubnets = plan.map((p) => {
            const subnet = new aws.ec2.Subnet(`${name}-private-${p.availabilityZone}`, {
                vpcId: this.vpc.id,
                availabilityZone: p.availabilityZone,
                cidrBlock: p.privateCidr,
                mapPublicIpOnLaunch: false,
                tags: { ...tags, ...clusterTags, Name: `${name}-private-${p.availabilityZone}`, "kubernetes.io/role/internal-elb": "1", tier: "private" },
            }, child);
            const natGw = natGateways.get(p.availabilityZone) ?? natGateways.get(natZones[0])!;
            const rt = new aws.ec2.RouteTable(`${name}-private-${p.availabilityZone}`, {
                vpcId: this.vpc.id,
                tags: { ...tags, Name: `${name}-private-${p.availabilityZone}` },
            }, child);
            new aws.ec2.Route(`${name}-private-${p.availabilityZone}-default`, {
                routeTableId: rt.id,
                destinationCidrBlock: "0.0.0.0/0",
                natGatewayId: natGw.id,
            }, child);
            privateRouteTables.push(rt);
            new aws.ec2.RouteTableAssociation(`${name}-private-${p.availabilityZone}`, {
                subnetId: subnet.id,
                routeTableId: rt.id,
            }, child);
            return subnet;
        });

        if (args.flowLogs ?? true) {
            const logGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
                retentionInDays: args.flowLogRetentionDays ?? DEFAULT_FLOW_LOG_RETENTION_DAYS,
                tags,
            }, child);
            const role = new aws.iam.Role(`${name}-flow-logs`, {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            }, child);
            new aws.iam.RolePolicy(`${name}-flow-logs`, {
                role: role.id,
                policy: logGroup.arn.apply((arn) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{
                        Effect: "Allow",
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        Resource: [arn, `${arn}:*`],
                    }],
                })),
            }, child);
            new aws.ec2.FlowLog(`${name}-flow-log`, {
                vpcId: this.vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: 60,
                tags,
            }, child);
        }

        this.publicSubnetIds = publicSubnets.map((s) => s.id);
        this.privateSubnetIds = privateSubnets.map((s) => s.id);
        this.natGatewayIds = natZones.map((az) => natGateways.get(az)!.id);
        this.publicRouteTableId = publicRt.id;
        this.privateRouteTableIds = privateRouteTables.map((rt) => rt.id);

        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            natGatewayIds: this.natGatewayIds,
            privateRouteTableIds: this.privateRouteTableIds,
        });
    }
}
