/**
 * The peering stage in the prod stack: us-east-1 (primary) peered with us-west-2 (secondary), private routes
 * both ways, and the primary's RDS Proxy admitting 5432 from us-west-2's private subnets, so that us-west-2's
 * workloads can write through the proxy their `writerEndpoint` names. One mocked run shared by the tests.
 */
import { RegisteredResource, StackRun, runStack } from "./harness";

const PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection";
const ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter";
const ROUTE = "aws:ec2/route:Route";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";
const SUBNET = "aws:ec2/subnet:Subnet";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

describe("prod peering stage", () => {
    let run: StackRun;
    const privateSubnets = (region: string): RegisteredResource[] =>
        run.ofType(SUBNET).filter((s) => s.region === region && s.inputs.tags?.tier === "private");

    beforeAll(async () => {
        run = await runStack("prod");
    }, 300_000);

    test("us-east-1 requests a peering with the us-west-2 VPC, and us-west-2 accepts it", () => {
        const peerings = run.ofType(PEERING);
        expect(peerings.map((p) => p.name)).toEqual(["prod-use1-peer-us-west-2-connection"]);
        const c = peerings[0];
        expect(c.region).toBe("us-east-1");
        expect(c.inputs).toMatchObject({ vpcId: "prod-use1-net-vpc-id", peerVpcId: "prod-usw2-net-vpc-id", peerRegion: "us-west-2" });
        const a = run.get(ACCEPTER, "prod-use1-peer-us-west-2-accepter");
        expect(a.region).toBe("us-west-2");
        expect(a.inputs).toMatchObject({ vpcPeeringConnectionId: "prod-use1-peer-us-west-2-connection-id", autoAccept: true });
        expect(run.parentOf(c)?.type).toBe("scaled-web:network:RegionPeering");
    });

    test("every private route table routes the other region's VPC over the peering; public tables do not", () => {
        const routes = run.ofType(ROUTE).filter((r) => r.inputs.vpcPeeringConnectionId !== undefined);
        const tables = run.ofType(ROUTE_TABLE);
        const privateTables = (prefix: string) => tables.filter((t) => t.name.startsWith(`${prefix}-net-private-`)).map((t) => `${t.name}-id`).sort();
        const routedIn = (region: string, destination: string) => routes
            .filter((r) => r.region === region && r.inputs.destinationCidrBlock === destination)
            .map((r) => r.inputs.routeTableId).sort();
        expect(privateTables("prod-use1").length).toBeGreaterThanOrEqual(2);
        expect(privateTables("prod-usw2").length).toBeGreaterThanOrEqual(2);
        expect(routedIn("us-east-1", "10.20.0.0/16")).toEqual(privateTables("prod-use1"));
        expect(routedIn("us-west-2", "10.10.0.0/16")).toEqual(privateTables("prod-usw2"));
        expect(routes).toHaveLength(privateTables("prod-use1").length + privateTables("prod-usw2").length);
        expect(routes.every((r) => r.inputs.vpcPeeringConnectionId === "prod-use1-peer-us-west-2-connection-id")).toBe(true);
        const publicTables = tables.filter((t) => t.name.endsWith("-public-rt")).map((t) => `${t.name}-id`);
        expect(publicTables.sort()).toEqual(["prod-use1-net-public-rt-id", "prod-usw2-net-public-rt-id"]);
        expect(routes.filter((r) => publicTables.includes(r.inputs.routeTableId))).toEqual([]);
    });

    test("the proxy admits 5432 from us-west-2's private subnet CIDRs, and no other CIDR reaches a data store", () => {
        const westPrivate = privateSubnets("us-west-2").map((s) => s.inputs.cidrBlock).sort();
        expect(westPrivate.length).toBeGreaterThanOrEqual(2);
        const proxySg = run.get("aws:ec2/securityGroup:SecurityGroup", "prod-use1-db-proxy-sg");
        expect(proxySg.region).toBe("us-east-1");
        const cidrRules = run.ofType(INGRESS).filter((r) => /-(db|cache)-/.test(r.name) && r.inputs.cidrIpv4 !== undefined);
        for (const r of cidrRules) {
            expect([r.name, r.inputs.securityGroupId, r.region]).toEqual([r.name, `${proxySg.name}-id`, "us-east-1"]);
            expect(r.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 5432, toPort: 5432 });
        }
        expect(cidrRules.map((r) => r.inputs.cidrIpv4).sort()).toEqual(westPrivate);
        // Not the whole VPC, not the public subnets, nothing from the primary region itself.
        const westPublic = run.ofType(SUBNET).filter((s) => s.region === "us-west-2" && s.inputs.tags?.tier === "public").map((s) => s.inputs.cidrBlock);
        expect(cidrRules.some((r) => r.inputs.cidrIpv4 === "10.20.0.0/16" || westPublic.includes(r.inputs.cidrIpv4))).toBe(false);
        // That group fronts the proxy, and the proxy is the writer us-west-2's workloads are handed.
        const proxy = run.get("aws:rds/proxy:Proxy", "prod-use1-db-proxy");
        expect(proxy.inputs.vpcSecurityGroupIds).toEqual([`${proxySg.name}-id`]);
        const westConfig = run.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.name.startsWith("prod-usw2-") && c.inputs.data?.DATABASE_WRITER_ENDPOINT);
        expect(westConfig.length).toBeGreaterThanOrEqual(1);
        expect(westConfig.map((c) => c.inputs.data.DATABASE_WRITER_ENDPOINT)).toEqual(westConfig.map(() => `${proxy.state.endpoint}:5432`));
    });
});
