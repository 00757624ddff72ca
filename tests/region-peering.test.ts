import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Network } from "../components/network";
import { PeeringSide, RegionPeering, RegionPeeringArgs, cidrsOverlap, peeringSide, validateRegionPeeringArgs } from "../components/region-peering";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";

const ROUTE = "aws:ec2/route:Route";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";

describe.each([
    ["10.10.0.0/16", "10.20.0.0/16", false],
    ["10.10.0.0/16", "10.10.0.0/16", true],
    ["10.0.0.0/8", "10.20.0.0/16", true], // contains
    ["10.20.0.0/16", "10.0.0.0/8", true], // contained
    ["10.10.0.0/16", "10.11.0.0/16", false], // adjacent
    ["10.10.240.0/20", "10.10.255.0/24", true], // last addresses
    ["172.16.0.0/12", "192.168.0.0/16", false],
])("cidrsOverlap(%s, %s)", (a, b, expected) => {
    test(`is ${expected}`, () => expect(cidrsOverlap(a, b)).toBe(expected));
});

test("cidrsOverlap refuses a CIDR it cannot parse", () => {
    expect(() => cidrsOverlap("10.10.0.0/16", "10.20.0.1/16")).toThrow(/"10.20.0.1\/16" is not an aligned IPv4 CIDR/);
});

// ---------------------------------------------------------------------------------------------
// Validation: every bad input names itself, the value and the fix.
// ---------------------------------------------------------------------------------------------

const fakeProvider = {} as aws.Provider; // validation never touches the provider
const east: PeeringSide = {
    provider: fakeProvider,
    region: "us-east-1",
    vpcId: "vpc-east",
    cidrBlock: "10.10.0.0/16",
    routeTableIds: { "us-east-1a": "rtb-east-a", "us-east-1b": "rtb-east-b" },
};
const west: PeeringSide = { ...east, region: "us-west-2", vpcId: "vpc-west", cidrBlock: "10.20.0.0/16", routeTableIds: { "us-west-2a": "rtb-west-a" } };
const VALID: RegionPeeringArgs = { requester: east, accepter: west };

describe("RegionPeering validation", () => {
    test("valid args pass", () => {
        expect(validateRegionPeeringArgs(VALID).list).toEqual([]);
    });

    test.each<[string, RegionPeeringArgs, RegExp]>([
        ["overlapping CIDRs", { requester: east, accepter: { ...west, cidrBlock: "10.10.128.0/17" } },
            /accepter\.cidrBlock: "10\.10\.128\.0\/17" overlaps requester\.cidrBlock "10\.10\.0\.0\/16"; AWS cannot peer VPCs with overlapping CIDRs: give each region its own range/],
        ["the same CIDR twice", { requester: east, accepter: { ...west, cidrBlock: "10.10.0.0/16" } }, /accepter\.cidrBlock: "10\.10\.0\.0\/16" overlaps requester\.cidrBlock/],
        ["the same region on both sides", { requester: east, accepter: { ...west, region: "us-east-1" } },
            /accepter\.region: must differ from requester\.region: RegionPeering connects two regions, got "us-east-1" on both sides; for two VPCs in one region use aws\.ec2\.VpcPeeringConnection/],
        ["no requester route tables", { requester: { ...east, routeTableIds: {} }, accepter: west },
            /requester\.routeTableIds: must name at least one private route table \(e\.g\. Network\.privateRouteTableIds keyed by AZ.*got \{\}; without routes no traffic crosses the peering/],
        ["no accepter route tables", { requester: east, accepter: { ...west, routeTableIds: {} } }, /accepter\.routeTableIds: must name at least one private route table/],
        ["route tables left out", { requester: east, accepter: { ...west, routeTableIds: undefined as any } }, /accepter\.routeTableIds: must name at least one private route table/],
        ["a route table key that cannot name a route", { requester: { ...east, routeTableIds: { "AZ A": "rtb-1" } }, accepter: west },
            /requester\.routeTableIds\.AZ A: key must be a stable name .* got "AZ A"/],
        ["the same route table twice", { requester: { ...east, routeTableIds: { a: "rtb-1", b: "rtb-1" } }, accepter: west },
            /requester\.routeTableIds: must not list the same route table twice, got \["rtb-1","rtb-1"\]/],
        ["an unaligned CIDR", { requester: { ...east, cidrBlock: "10.10.0.1/16" }, accepter: west },
            /requester\.cidrBlock: must be the VPC's aligned IPv4 CIDR such as "10\.10\.0\.0\/16", got "10\.10\.0\.1\/16"/],
        ["a zone instead of a region", { requester: east, accepter: { ...west, region: "us-west-2a" } }, /accepter\.region: must be an AWS region name such as "us-east-1", got "us-west-2a"/],
        ["no provider", { requester: { ...east, provider: undefined as any }, accepter: west }, /requester\.provider: must be the aws\.Provider of "us-east-1"/],
        ["no accepter at all", { requester: east, accepter: undefined as any }, /accepter: must be given: \{ provider, region, vpcId, cidrBlock, routeTableIds \}/],
    ])("rejects %s", (_what, args, message) => {
        expect(() => new RegionPeering("peer", args)).toThrow(pulumi.InputPropertiesError);
        expect(() => new RegionPeering("peer", args)).toThrow(message);
    });

    test("every problem is reported at once", () => {
        const problems = validateRegionPeeringArgs({ requester: { ...east, routeTableIds: {} }, accepter: { ...west, region: "us-east-1", cidrBlock: "10.10.0.0/16" } });
        expect(problems.list.map((p) => p.propertyPath).sort()).toEqual(["accepter.cidrBlock", "accepter.region", "requester.routeTableIds"]);
    });

    test("nothing is created when the args are invalid", async () => {
        const run = await runComponent(() => {
            try {
                new RegionPeering("bad", { requester: east, accepter: { ...west, cidrBlock: "10.10.0.0/16" } });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for RegionPeering "bad" \(1 problem\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------
// Under the mock runtime: two real Networks (us-east-1 requester, us-west-2 accepter), peered.
// ---------------------------------------------------------------------------------------------

describe("RegionPeering under mocks", () => {
    let run: StackRun<{ id: string; eastPrivate: string[]; westPrivate: string[]; eastPublic: string; westPublic: string }>;
    let component: RegisteredResource;

    beforeAll(async () => {
        run = await runComponent(() => {
            const eastProvider = new aws.Provider("east", { region: "us-east-1" });
            const westProvider = new aws.Provider("west", { region: "us-west-2" });
            const eastNet = new Network("use1", { cidrBlock: "10.10.0.0/16", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] }, { provider: eastProvider });
            const westNet = new Network("usw2", { cidrBlock: "10.20.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b"] }, { provider: westProvider });
            const peering = new RegionPeering("use1-peer-us-west-2", {
                requester: peeringSide(eastNet, eastProvider, "us-east-1"),
                accepter: peeringSide(westNet, westProvider, "us-west-2"),
                tags: { team: "platform" },
            });
            return {
                id: peering.peeringConnectionId,
                eastPrivate: eastNet.privateRouteTableIds,
                westPrivate: westNet.privateRouteTableIds,
                eastPublic: eastNet.publicRouteTableId,
                westPublic: westNet.publicRouteTableId,
            };
        });
        component = run.get("scaled-web:network:RegionPeering", "use1-peer-us-west-2");
    });

    test("the connection is requested through the requester's (us-east-1) provider, towards the us-west-2 VPC", () => {
        const c = run.get("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "use1-peer-us-west-2-connection");
        expect(c.region).toBe("us-east-1");
        expect(c.inputs).toMatchObject({ vpcId: "use1-vpc-id", peerVpcId: "usw2-vpc-id", peerRegion: "us-west-2" });
        // AWS refuses autoAccept on a cross-region request.
        expect(c.inputs.autoAccept).toBeFalsy();
        expect(c.inputs.tags).toMatchObject({ team: "platform", Name: "use1-peer-us-west-2", side: "requester" });
        expect(c.parent).toBe(component.urn);
    });

    test("the accepter accepts it automatically through the accepter's (us-west-2) provider", () => {
        const a = run.get("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "use1-peer-us-west-2-accepter");
        expect(a.region).toBe("us-west-2");
        expect(a.inputs).toMatchObject({ vpcPeeringConnectionId: "use1-peer-us-west-2-connection-id", autoAccept: true });
        expect(a.parent).toBe(component.urn);
    });

    test("DNS resolution options are set on each side, in that side's region", () => {
        const req = run.get("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions", "use1-peer-us-west-2-requester-options");
        const acc = run.get("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions", "use1-peer-us-west-2-accepter-options");
        expect([req.region, acc.region]).toEqual(["us-east-1", "us-west-2"]);
        expect(req.inputs).toEqual({ vpcPeeringConnectionId: "use1-peer-us-west-2-connection-id", requester: { allowRemoteVpcDnsResolution: true } });
        expect(acc.inputs).toEqual({ vpcPeeringConnectionId: "use1-peer-us-west-2-connection-id", accepter: { allowRemoteVpcDnsResolution: true } });
    });

    test("every private route table on each side routes the other VPC's CIDR over the peering", () => {
        // The networks' own default routes (to the IGW / NAT) are separate Route resources too; keep the peering's.
        const routes = run.ofType(ROUTE).filter((r) => r.inputs.vpcPeeringConnectionId !== undefined);
        expect(routes.length).toBeGreaterThan(0);
        expect(routes.every((r) => r.parent === component.urn)).toBe(true);
        const summary = routes.map((r) => [r.name, r.region, r.inputs.routeTableId, r.inputs.destinationCidrBlock, r.inputs.vpcPeeringConnectionId]).sort();
        const pcx = "use1-peer-us-west-2-connection-id";
        expect(summary).toEqual([
            ["use1-peer-us-west-2-accepter-route-us-west-2a", "us-west-2", "usw2-private-us-west-2a-id", "10.10.0.0/16", pcx],
            ["use1-peer-us-west-2-accepter-route-us-west-2b", "us-west-2", "usw2-private-us-west-2b-id", "10.10.0.0/16", pcx],
            ["use1-peer-us-west-2-requester-route-us-east-1a", "us-east-1", "use1-private-us-east-1a-id", "10.20.0.0/16", pcx],
            ["use1-peer-us-west-2-requester-route-us-east-1b", "us-east-1", "use1-private-us-east-1b-id", "10.20.0.0/16", pcx],
            ["use1-peer-us-west-2-requester-route-us-east-1c", "us-east-1", "use1-private-us-east-1c-id", "10.20.0.0/16", pcx],
        ]);
        // Each route's table is a private table of the VPC in the route's own region.
        for (const r of routes) {
            const table = run.ofType(ROUTE_TABLE).find((t) => `${t.name}-id` === r.inputs.routeTableId);
            expect(table?.region).toBe(r.region);
            expect(table?.inputs.tags.Name).toMatch(/-private-/);
        }
    });

    test("the public route tables get no route over the peering", () => {
        const { eastPublic, westPublic } = run.outputs;
        expect([eastPublic, westPublic]).toEqual(["use1-public-rt-id", "usw2-public-rt-id"]);
        const routed = new Set(run.ofType(ROUTE).filter((r) => r.inputs.vpcPeeringConnectionId !== undefined).map((r) => r.inputs.routeTableId));
        expect(routed.has(eastPublic)).toBe(false);
        expect(routed.has(westPublic)).toBe(false);
        expect(run.outputs.eastPrivate.every((id) => routed.has(id))).toBe(true);
        expect(run.outputs.westPrivate.every((id) => routed.has(id))).toBe(true);
    });

    test("the peering connection id output waits for the accepter and is the connection's id", async () => {
        expect(run.outputs.id).toBe("use1-peer-us-west-2-connection-id");
    });

    test("allowRemoteVpcDnsResolution: false leaves the options out", async () => {
        const off = await runComponent(() => {
            const e = new aws.Provider("e", { region: "us-east-1" });
            const w = new aws.Provider("w", { region: "us-west-2" });
            const p = new RegionPeering("p", { requester: { ...east, provider: e }, accepter: { ...west, provider: w }, allowRemoteVpcDnsResolution: false });
            return { id: p.peeringConnectionId, cidrs: [p.requesterCidrBlock, p.accepterCidrBlock] };
        });
        expect(off.ofType("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")).toEqual([]);
        expect(off.ofType(ROUTE).map((r) => r.inputs.routeTableId).sort()).toEqual(["rtb-east-a", "rtb-east-b", "rtb-west-a"]);
        expect(await valueOf(off.outputs.id)).toBe("p-connection-id");
        expect(off.outputs.cidrs).toEqual(["10.10.0.0/16", "10.20.0.0/16"]);
    });
});
