/**
 * Cross-region VPC peering between two of the stack's networks, e.g. the primary region's VPC (requester)
 * and a secondary region's VPC (accepter), so that workloads in the secondary region can reach the
 * primary's private endpoints (the RDS Proxy in front of the writer).
 *
 * ## What crosses the peering
 * Only what is routed and admitted: each side gets a route to the other VPC's CIDR in the route tables it
 * lists (pass the private subnets' tables; the public table is never given a route, so nothing in the public
 * subnets can use the peering), and the security groups on the far side still decide what may connect.
 * A security group cannot reference a group in another region, so a data store that must admit peered
 * clients admits their private subnet CIDRs instead (see `Database.allowedCidrBlocks`).
 *
 * ## Why peering, not a transit gateway
 * The reference platform is hub-and-spoke with one hub (the primary region) and few spokes: one peering per
 * secondary region costs nothing per hour (a transit gateway attachment does) and adds no hop. Peering is
 * not transitive, which is what is wanted here: secondary regions need the primary, not each other.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Network, parseCidr } from "./network";
import { DNS_LABEL, Problems, show } from "./validation";

/** Remote-VPC DNS resolution on both sides unless turned off. */
export const DEFAULT_ALLOW_REMOTE_VPC_DNS_RESOLUTION = true;

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** One side of the peering: a VPC in one region and the route tables that should reach the other side. */
export interface PeeringSide {
    /** The side's region provider; every resource on this side goes through it. */
    readonly provider: aws.Provider;
    /** Region the provider points at, e.g. `us-east-1` (must differ from the other side's). */
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** The VPC's IPv4 CIDR, e.g. `10.10.0.0/16` (plain: checked for overlap with the other side). */
    readonly cidrBlock: string;
    /**
     * Route tables that get a route to the other side's CIDR, keyed by a stable name (e.g. the AZ):
     * the private subnets' tables only (`Network.privateRouteTableIds`), never the public one.
     * `peeringSide(network, ...)` builds them from a `Network`.
     */
    readonly routeTableIds: Readonly<Record<string, pulumi.Input<string>>>;
}

export interface RegionPeeringArgs {
    /** The side that requests the peering (the hub, e.g. the primary region). */
    readonly requester: PeeringSide;
    /** The side that accepts it (a spoke, e.g. a secondary region); must be in another region. */
    readonly accepter: PeeringSide;
    /**
     * Let each VPC resolve the other's public DNS hostnames (EC2 `ec2-...` names) to private addresses, so
     * such names used across the peering stay on it instead of leaving through NAT.
     * @default true
     */
    readonly allowRemoteVpcDnsResolution?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** True when the two IPv4 CIDRs share at least one address. Both must be valid (see `parseCidr`). */
export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    if (!x || !y) {
        throw new Error(`cidrsOverlap: ${show(x ? b : a)} is not an aligned IPv4 CIDR`);
    }
    const end = (c: { base: number; prefix: number }): number => c.base + 2 ** (32 - c.prefix) - 1;
    return x.base <= end(y) && y.base <= end(x);
}

/**
 * A `PeeringSide` for a `Network`: its VPC and CIDR, and its private route tables keyed by AZ (the public
 * route table is left out on purpose).
 */
export function peeringSide(network: Pick<Network, "vpcId" | "cidrBlock" | "availabilityZones" | "privateRouteTableIds">, provider: aws.Provider, region: string): PeeringSide {
    return {
        provider,
        region,
        vpcId: network.vpcId,
        cidrBlock: network.cidrBlock,
        routeTableIds: Object.fromEntries(network.availabilityZones.map((az, i) => [az, network.privateRouteTableIds[i]])),
    };
}

/** Checks plain RegionPeering args; returns every problem found (empty when valid). */
export function validateRegionPeeringArgs(args: RegionPeeringArgs): Problems {
    const p = new Problems();
    const sides = [["requester", args.requester], ["accepter", args.accepter]] as const;
    const validCidr: Partial<Record<"requester" | "accepter", boolean>> = {};
    for (const [key, side] of sides) {
        if (!p.check(side !== undefined && side !== null, key, `must be given: { provider, region, vpcId, cidrBlock, routeTableIds } of the ${key === "requester" ? "hub (primary)" : "spoke (secondary)"} VPC`)) {
            continue;
        }
        p.check(side.provider !== undefined && side.provider !== null, `${key}.provider`, `must be the aws.Provider of ${show(side.region)}; every resource on this side goes through it`);
        p.check(typeof side.region === "string" && REGION_NAME.test(side.region), `${key}.region`, `must be an AWS region name such as "us-east-1", got ${show(side.region)}`);
        validCidr[key] = p.check(typeof side.cidrBlock === "string" && parseCidr(side.cidrBlock) !== undefined, `${key}.cidrBlock`,
            `must be the VPC's aligned IPv4 CIDR such as "10.10.0.0/16", got ${show(side.cidrBlock)}`);
        const tables = Object.entries(side.routeTableIds ?? {});
        p.check(tables.length > 0, `${key}.routeTableIds`,
            `must name at least one private route table (e.g. Network.privateRouteTableIds keyed by AZ; peeringSide(network, provider, region) does it), got ${show(side.routeTableIds ?? {})}; without routes no traffic crosses the peering`);
        for (const [table] of tables) {
            p.check(DNS_LABEL.test(table), `${key}.routeTableIds.${table}`, `key must be a stable name of lower-case letters, digits and '-' such as "us-east-1a" (it names the route), got ${show(table)}`);
        }
        const plainIds = tables.map(([, id]) => id).filter((id): id is string => typeof id === "string");
        p.check(new Set(plainIds).size === plainIds.length, `${key}.routeTableIds`, `must not list the same route table twice, got ${show(plainIds)}`);
    }
    const { requester, accepter } = args;
    if (requester && accepter) {
        p.check(requester.region !== accepter.region, "accepter.region",
            `must differ from requester.region: RegionPeering connects two regions, got ${show(accepter.region)} on both sides; for two VPCs in one region use aws.ec2.VpcPeeringConnection with autoAccept`);
        if (validCidr.requester && validCidr.accepter && cidrsOverlap(requester.cidrBlock, accepter.cidrBlock)) {
            p.add("accepter.cidrBlock", `${show(accepter.cidrBlock)} overlaps requester.cidrBlock ${show(requester.cidrBlock)}; AWS cannot peer VPCs with overlapping CIDRs: give each region its own range (e.g. 10.10.0.0/16 and 10.20.0.0/16)`);
        }
    }
    return p;
}

/**
 * A cross-region VPC peering: the connection (requested through the requester's provider), its acceptance
 * (through the accepter's provider), DNS options on both sides and routes to the other VPC's CIDR in each
 * side's listed route tables.
 *
 * No `opts.provider` is needed: each child goes through its side's provider from `args`.
 */
export class RegionPeering extends pulumi.ComponentResource {
    /** The requester's side of the connection. */
    public readonly connection: aws.ec2.VpcPeeringConnection;
    /** The accepter's side of the connection (auto-accepted). */
    public readonly accepterConnection: aws.ec2.VpcPeeringConnectionAccepter;
    /** The peering connection id (`pcx-...`), known once the accepter has accepted it. */
    public readonly peeringConnectionId: pulumi.Output<string>;
    /** Routes in the requester's tables (to `accepterCidrBlock`), keyed as `requester.routeTableIds`. */
    public readonly requesterRoutes: Readonly<Record<string, aws.ec2.Route>>;
    /** Routes in the accepter's tables (to `requesterCidrBlock`), keyed as `accepter.routeTableIds`. */
    public readonly accepterRoutes: Readonly<Record<string, aws.ec2.Route>>;
    public readonly requesterCidrBlock: string;
    public readonly accepterCidrBlock: string;

    constructor(name: string, args: RegionPeeringArgs, opts?: pulumi.ComponentResourceOptions) {
        validateRegionPeeringArgs(args).throwIfAny(`RegionPeering "${name}"`);
        super("scaled-web:network:RegionPeering", name, {}, opts);

        const { requester, accepter } = args;
        const tags = { ...(args.tags ?? {}) };
        const dns = args.allowRemoteVpcDnsResolution ?? DEFAULT_ALLOW_REMOTE_VPC_DNS_RESOLUTION;
        const onRequester = { parent: this, provider: requester.provider };
        const onAccepter = { parent: this, provider: accepter.provider };
        this.requesterCidrBlock = requester.cidrBlock;
        this.accepterCidrBlock = accepter.cidrBlock;

        // Cross-region: the request cannot auto-accept (AWS refuses autoAccept with peerRegion); the accepter
        // resource accepts it in the other region.
        this.connection = new aws.ec2.VpcPeeringConnection(`${name}-connection`, {
            vpcId: requester.vpcId,
            peerVpcId: accepter.vpcId,
            peerRegion: accepter.region,
            tags: { ...tags, Name: name, side: "requester" },
        }, onRequester);
        this.accepterConnection = new aws.ec2.VpcPeeringConnectionAccepter(`${name}-accepter`, {
            vpcPeeringConnectionId: this.connection.id,
            autoAccept: true,
            tags: { ...tags, Name: name, side: "accepter" },
        }, onAccepter);
        // Read from the accepter, so everything below waits for the connection to be active.
        this.peeringConnectionId = this.accepterConnection.vpcPeeringConnectionId;

        if (dns) {
            // Each side's options can only be set in its own region once the connection is active.
            new aws.ec2.PeeringConnectionOptions(`${name}-requester-options`, {
                vpcPeeringConnectionId: this.peeringConnectionId,
                requester: { allowRemoteVpcDnsResolution: true },
            }, onRequester);
            new aws.ec2.PeeringConnectionOptions(`${name}-accepter-options`, {
                vpcPeeringConnectionId: this.peeringConnectionId,
                accepter: { allowRemoteVpcDnsResolution: true },
            }, onAccepter);
        }

        const routes = (side: "requester" | "accepter", tables: PeeringSide["routeTableIds"], destination: string, o: pulumi.CustomResourceOptions) =>
            Object.fromEntries(Object.entries(tables).map(([key, routeTableId]) => [key, new aws.ec2.Route(`${name}-${side}-route-${key}`, {
                routeTableId,
                destinationCidrBlock: destination,
                vpcPeeringConnectionId: this.peeringConnectionId,
            }, o)]));
        this.requesterRoutes = routes("requester", requester.routeTableIds, accepter.cidrBlock, onRequester);
        this.accepterRoutes = routes("accepter", accepter.routeTableIds, requester.cidrBlock, onAccepter);

        this.registerOutputs({
            peeringConnectionId: this.peeringConnectionId,
            requesterCidrBlock: this.requesterCidrBlock,
            accepterCidrBlock: this.accepterCidrBlock,
        });
    }
}
