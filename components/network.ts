import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS, Problems, show } from "./validation";

/** Default number of NAT gateways: one per AZ, so losing a zone does not cut egress elsewhere. */
export const DEFAULT_NAT_STRATEGY: NatStrategy = "perAz";
export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 30;
/**
 * Rejected traffic only by default: what security reviews read, at a fraction of the volume (and CloudWatch
 * Logs ingestion cost) of `ALL`. Turn `ALL` on to troubleshoot connectivity.
 */
export const DEFAULT_FLOW_LOG_TRAFFIC_TYPE: FlowLogTrafficType = "REJECT";
/** AWS's own default: flows aggregated over 10 minutes; 60 s gives finer records and about ten times more of them. */
export const DEFAULT_FLOW_LOG_MAX_AGGREGATION_INTERVAL: FlowLogAggregationInterval = 600;
export const DEFAULT_FLOW_LOG_DESTINATION: FlowLogDestination = "cloud-watch-logs";

export type NatStrategy = "single" | "perAz";
/** `aws.ec2.FlowLog` `trafficType` values (EC2 API CreateFlowLogs, TrafficType). */
export const FLOW_LOG_TRAFFIC_TYPES = ["ACCEPT", "REJECT", "ALL"] as const;
export type FlowLogTrafficType = (typeof FLOW_LOG_TRAFFIC_TYPES)[number];
/** `maxAggregationInterval`: 60 or 600 seconds (EC2 API CreateFlowLogs, MaxAggregationInterval). */
export const FLOW_LOG_AGGREGATION_INTERVALS = [60, 600] as const;
export type FlowLogAggregationInterval = (typeof FLOW_LOG_AGGREGATION_INTERVALS)[number];
/** `logDestinationType` values this component supports (Kinesis Data Firehose is left out). */
export const FLOW_LOG_DESTINATIONS = ["cloud-watch-logs", "s3"] as const;
export type FlowLogDestination = (typeof FLOW_LOG_DESTINATIONS)[number];

/**
 * Zone IDs whose zone cannot hold what this platform runs, so subnets are never placed there:
 * - the EKS control plane: "use1-az3", "usw1-az2", "cac1-az3" (Amazon EKS User Guide, "View Amazon EKS networking
 *   requirements for VPC and subnets", subnet requirements for clusters: EKS answers UnsupportedAvailabilityZoneException);
 * - RDS Proxy: "US East (N. Virginia) Region does not support RDS Proxy in the use1-az3 Availability Zone"
 *   (Amazon RDS User Guide, RDS Proxy limitations); the provider docs of `aws.rds.Proxy` ("Unsupported
 *   Availability Zones") say the proxy then silently drops that subnet and every preview shows a diff.
 * Zone IDs, not names: `us-east-1a` names a different physical zone in each account, `use1-az3` the same one.
 */
export const UNSUPPORTED_ZONE_IDS: readonly string[] = ["use1-az3", "usw1-az2", "cac1-az3"];

/** A zone ID such as `use1-az1` or `apne1-az4`. */
export const ZONE_ID = /^[a-z]{2,6}[0-9]+-az[0-9]+$/;

/**
 * The zone-ID prefix of a region: `us-east-1` -> `use1`, `ap-northeast-1` -> `apne1`, `eu-central-2` -> `euc2`,
 * `ca-central-1` -> `cac1` (the geography, the initials of the direction words, the number).
 */
export function zoneIdPrefix(region: string): string {
    const [geo, dir = "", n = ""] = region.split("-");
    const short = dir.replace(/north/g, "n").replace(/south/g, "s").replace(/east/g, "e").replace(/west/g, "w").replace(/central/g, "c");
    return `${geo}${short}${n}`;
}

/** The zones of a region as `aws.getAvailabilityZones` reports them: parallel lists of names and IDs. */
export interface ZoneListing {
    readonly names: readonly string[];
    readonly zoneIds: readonly string[];
}

export interface ZoneChoice {
    /** Zone names, in name order (subnet CIDRs are handed out in this order). */
    readonly names: string[];
    /** Zone IDs, parallel to `names`. */
    readonly zoneIds: string[];
}

function zoneNumber(id: string): number {
    return Number(/-az(\d+)$/.exec(id)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Picks the zones of a region by zone ID. `pinned`: exactly those IDs (each must be offered). Otherwise the
 * first `count` offered zone IDs in numeric order (`use1-az1`, `use1-az2`, ...), skipping `UNSUPPORTED_ZONE_IDS`
 * and `exclude`; when `count` is only a default (`strictCount` false) and fewer are offered, as many as there
 * are (at least two). Either way the result is sorted by zone name, so a stack keeps its subnet CIDRs as long
 * as it keeps its zones. Returns the problems instead when the listing cannot satisfy the request.
 */
export function chooseAvailabilityZones(
    listing: ZoneListing,
    options: { readonly count: number; readonly strictCount?: boolean; readonly pinned?: readonly string[]; readonly exclude?: readonly string[] },
): ZoneChoice | { readonly problems: { readonly key: "availabilityZoneIds" | "azCount"; readonly message: string }[] } {
    const offered = new Map(listing.zoneIds.map((id, i) => [id, listing.names[i]] as const));
    const excluded = new Set([...UNSUPPORTED_ZONE_IDS, ...(options.exclude ?? [])]);
    let ids: string[];
    if (options.pinned && options.pinned.length > 0) {
        const missing = options.pinned.filter((id) => !offered.has(id));
        if (missing.length > 0) {
            return { problems: [{ key: "availabilityZoneIds", message: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not offered to this account in this region (available: ${[...offered.keys()].sort((a, b) => zoneNumber(a) - zoneNumber(b)).join(", ") || "none"})` }] };
        }
        ids = [...options.pinned];
    } else {
        const usable = [...offered.keys()].filter((id) => !excluded.has(id)).sort((a, b) => zoneNumber(a) - zoneNumber(b) || a.localeCompare(b));
        const want = options.strictCount ? options.count : Math.min(options.count, usable.length);
        if (usable.length < options.count && (options.strictCount || usable.length < 2)) {
            return { problems: [{ key: "azCount", message: `asks for ${options.strictCount ? options.count : `at least 2 of ${options.count}`} zones, but the account has only ${usable.length} usable here (${usable.join(", ") || "none"}; ${[...excluded].filter((id) => offered.has(id)).join(", ") || "none"} excluded)` }] };
        }
        ids = usable.slice(0, want);
    }
    const zones = ids.map((id) => ({ id, name: offered.get(id)! })).sort((a, b) => a.name.localeCompare(b.name));
    return { names: zones.map((z) => z.name), zoneIds: zones.map((z) => z.id) };
}

export interface NetworkArgs {
    /** IPv4 CIDR of the VPC, /16 to /20. */
    readonly cidrBlock: string;
    /**
     * Availability zones to spread subnets over (2-6), by name, e.g. `["us-east-1a", "us-east-1b", "us-east-1c"]`.
     * The names key the children (`<name>-private-us-east-1a`) and the outputs; subnet CIDRs go out in this order.
     * A name means a different physical zone in each account: prefer choosing zones by ID
     * (`chooseAvailabilityZones` over `aws.getAvailabilityZones`) and pass the IDs in `availabilityZoneIds`.
     */
    readonly availabilityZones: readonly string[];
    /**
     * Zone IDs of `availabilityZones`, in the same order, e.g. `["use1-az1", "use1-az2", "use1-az4"]`. Given, the
     * subnets are placed by zone ID (`availabilityZoneId`), which names the same physical zone in every account,
     * and zones in `UNSUPPORTED_ZONE_IDS` are refused when `clusterNames` is set (EKS cannot use them).
     * @default none: subnets are placed by name
     */
    readonly availabilityZoneIds?: readonly string[];
    /**
     * `perAz`: a NAT gateway in every AZ (highly available); `single`: one shared NAT gateway (cheaper, dev).
     * @default "perAz"
     */
    readonly natGateways?: NatStrategy;
    /**
     * VPC flow logs.
     * @default true
     */
    readonly flowLogs?: boolean;
    /** Which flows to record: `REJECT`, `ACCEPT` or `ALL`. @default "REJECT" */
    readonly flowLogTrafficType?: FlowLogTrafficType;
    /** Seconds over which flows are aggregated into one record: 600 (AWS's default) or 60. @default 600 */
    readonly flowLogMaxAggregationInterval?: FlowLogAggregationInterval;
    /**
     * Where the records go: a CloudWatch log group the component creates (`cloud-watch-logs`), or an existing S3
     * bucket (`s3`, `flowLogBucketArn`), far cheaper to keep for long. @default "cloud-watch-logs"
     */
    readonly flowLogDestination?: FlowLogDestination;
    /**
     * ARN of the S3 bucket (optionally `/prefix`) that receives the records when `flowLogDestination` is `s3`,
     * e.g. a central log-archive bucket. Its bucket policy must let `delivery.logs.amazonaws.com` write
     * (VPC User Guide, "Amazon S3 bucket permissions for flow logs"); its lifecycle rules set the retention.
     */
    readonly flowLogBucketArn?: pulumi.Input<string>;
    /**
     * Days to keep flow logs in the CloudWatch log group; one of the periods CloudWatch Logs accepts
     * (1, 3, 5, 7, 14, 30, 60, 90, ...). Ignored for `s3`. @default 30
     */
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
    /** The zone's ID when the network was given `availabilityZoneIds`. */
    readonly availabilityZoneId?: string;
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
export function planSubnets(vpcCidr: string, availabilityZones: readonly string[], availabilityZoneIds?: readonly string[]): SubnetPlan[] {
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
        ...(availabilityZoneIds ? { availabilityZoneId: availabilityZoneIds[i] } : {}),
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
    const ids = args.availabilityZoneIds;
    if (ids !== undefined) {
        problems.check(ids.length === azs.length, "availabilityZoneIds", `must give one zone ID per availabilityZones entry (${azs.length}), got ${ids.length} (${show(ids)})`);
        problems.check(new Set(ids).size === ids.length, "availabilityZoneIds", `must not repeat a zone, got ${show(ids)}`);
        ids.forEach((id, i) => {
            if (problems.check(ZONE_ID.test(id), `availabilityZoneIds[${i}]`, `must be a zone ID such as "use1-az1", got ${show(id)}`)) {
                const prefix = zoneIdPrefix(String(azs[i] ?? "").replace(/[a-z]$/, ""));
                problems.check(azs[i] === undefined || id.startsWith(`${prefix}-`), `availabilityZoneIds[${i}]`, `${show(id)} is not a zone of ${show(azs[i])}'s region (its zone IDs start with "${prefix}-")`);
                problems.check(!((args.clusterNames ?? []).length > 0 && UNSUPPORTED_ZONE_IDS.includes(id)), `availabilityZoneIds[${i}]`,
                    `${show(id)} cannot hold the EKS control plane (or RDS Proxy); choose another zone (unsupported: ${UNSUPPORTED_ZONE_IDS.join(", ")})`);
            }
        });
    }
    if (args.flowLogTrafficType !== undefined && !(FLOW_LOG_TRAFFIC_TYPES as readonly string[]).includes(args.flowLogTrafficType)) {
        problems.add("flowLogTrafficType", `must be one of ${FLOW_LOG_TRAFFIC_TYPES.join(", ")}, got ${show(args.flowLogTrafficType)}`);
    }
    if (args.flowLogMaxAggregationInterval !== undefined && !(FLOW_LOG_AGGREGATION_INTERVALS as readonly number[]).includes(args.flowLogMaxAggregationInterval)) {
        problems.add("flowLogMaxAggregationInterval", `must be 60 or 600 (seconds; the values EC2 accepts), got ${show(args.flowLogMaxAggregationInterval)}`);
    }
    const destination = args.flowLogDestination ?? DEFAULT_FLOW_LOG_DESTINATION;
    if (!(FLOW_LOG_DESTINATIONS as readonly string[]).includes(destination)) {
        problems.add("flowLogDestination", `must be one of ${FLOW_LOG_DESTINATIONS.join(", ")}, got ${show(destination)}`);
    }
    if ((args.flowLogs ?? true) && destination === "s3") {
        problems.check(args.flowLogBucketArn !== undefined && args.flowLogBucketArn !== "", "flowLogBucketArn", "must name the S3 bucket (arn:aws:s3:::<bucket>) that receives the flow logs when flowLogDestination is \"s3\"");
    }
    if (typeof args.flowLogBucketArn === "string" && args.flowLogBucketArn !== "") {
        problems.check(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(args.flowLogBucketArn), "flowLogBucketArn", `must be an S3 bucket ARN such as "arn:aws:s3:::my-log-archive", got ${show(args.flowLogBucketArn)}`);
    }
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
    /** Zone IDs parallel to `availabilityZones`, when they were given. */
    public readonly availabilityZoneIds?: readonly string[];
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
        const plan = planSubnets(args.cidrBlock, args.availabilityZones, args.availabilityZoneIds);
        // By zone ID when known: the same physical zone in every account. The name stays the children's key.
        const placement = (p: SubnetPlan): { availabilityZone: string } | { availabilityZoneId: string } =>
            (p.availabilityZoneId ? { availabilityZoneId: p.availabilityZoneId } : { availabilityZone: p.availabilityZone });
        const child = { parent: this };

        this.cidrBlock = args.cidrBlock;
        this.availabilityZones = [...args.availabilityZones];
        this.availabilityZoneIds = args.availabilityZoneIds ? [...args.availabilityZoneIds] : undefined;
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
                ...placement(p),
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
            }, child);
            const subnet = publicSubnets[plan.findIndex((p) => p.availabilityZone === az)];
            natGateways.set(az, new aws.ec2.NatGateway(`${name}-nat-${az}`, {
                allocationId: eip.id,
                subnetId: subnet.id,
                tags: { ...tags, Name: `${name}-nat-${az}` },
            }, {
                ...child,
                // order: a public NAT gateway created in a VPC with no internet gateway attached fails
                // ("Network vpc-... has no Internet gateway attached", VPC user guide, NAT gateway
                // troubleshooting); no input of the NAT gateway references the IGW. The EIP needs no IGW.
                dependsOn: [igw],
            }));
        });

        const privateRouteTables: aws.ec2.RouteTable[] = [];
        const privateSubnets = plan.map((p) => {
            const subnet = new aws.ec2.Subnet(`${name}-private-${p.availabilityZone}`, {
                vpcId: this.vpc.id,
                ...placement(p),
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
            // CreateFlowLogs (EC2 API): TrafficType ACCEPT|REJECT|ALL, MaxAggregationInterval 60|600,
            // LogDestinationType cloud-watch-logs (with DeliverLogsPermissionArn) | s3 (no role: the bucket policy grants).
            const common = {
                vpcId: this.vpc.id,
                trafficType: args.flowLogTrafficType ?? DEFAULT_FLOW_LOG_TRAFFIC_TYPE,
                maxAggregationInterval: args.flowLogMaxAggregationInterval ?? DEFAULT_FLOW_LOG_MAX_AGGREGATION_INTERVAL,
                tags,
            };
            if ((args.flowLogDestination ?? DEFAULT_FLOW_LOG_DESTINATION) === "s3") {
                new aws.ec2.FlowLog(`${name}-flow-log`, { ...common, logDestinationType: "s3", logDestination: args.flowLogBucketArn }, child);
            } else {
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
                    ...common,
                    logDestinationType: "cloud-watch-logs",
                    logDestination: logGroup.arn,
                    iamRoleArn: role.arn,
                }, child);
            }
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
