import * as aws from "@pulumi/aws";
import { WeightedDns, WeightedDnsArgs, healthCheckKey, trafficShares, validateWeightedDnsArgs } from "../components/weighted-dns";
import { StackRun, runComponent } from "./harness";

const RECORD = "aws:route53/record:Record";
const CHECK = "aws:route53/healthCheck:HealthCheck";

const ALB = {
    east: { dnsName: "east-alb.us-east-1.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K" },
    west: { dnsName: "west-alb.us-west-2.elb.amazonaws.com", zoneId: "Z1H1FL5HABSF5" },
};

const VALID: WeightedDnsArgs = {
    domain: "example.com",
    hostedZoneId: "Z0EXAMPLE",
    regions: {
        "us-east-1": { weight: 70, ...ALB.east },
        "us-west-2": { weight: 30, ...ALB.west },
    },
};

describe.each([
    [{ a: { weight: 70 }, b: { weight: 30 } }, { a: 70, b: 30 }],
    [{ a: { weight: 1 }, b: { weight: 3 } }, { a: 25, b: 75 }],
    [{ a: { weight: 100 }, b: { weight: 0 } }, { a: 100, b: 0 }],
    [{ a: { weight: 0 } }, { a: 0 }],
])("trafficShares(%j)", (regions, shares) => {
    test(`is ${JSON.stringify(shares)}`, () => expect(trafficShares(regions)).toEqual(shares));
});

describe("WeightedDns validation", () => {
    const region = (weight: number) => ({ weight, ...ALB.east });
    test.each<[string, Partial<WeightedDnsArgs>, RegExp]>([
        ["a domain that is not a DNS name", { domain: "not a domain" }, /domain: must be a lower-case DNS name such as "example.com", got "not a domain"/],
        ["a domain with a trailing dot", { domain: "example.com." }, /domain: must be a lower-case DNS name .* got "example.com."/],
        ["no hostnames", { hostnames: [] }, /hostnames: must list at least one label/],
        ["a hostname that is not a label", { hostnames: ["api", "web socket"] }, /hostnames\[1\]: must be a DNS label such as "api", got "web socket"/],
        ["a repeated hostname", { hostnames: ["api", "api"] }, /hostnames: must not repeat a label, got \["api","api"\]/],
        ["no regions", { regions: {} }, /regions: must name at least one region/],
        ["a region key that cannot be a set identifier", { regions: { "us east": region(100) } }, /regions\.us east: key must be a region name/],
        ["a negative weight", { regions: { "us-east-1": region(-1), "us-west-2": region(30) } }, /regions\.us-east-1\.weight: must be a whole number 0-255 \(Route53 weight; 0 drains the region\), got -1/],
        ["a weight above 255", { regions: { "us-east-1": region(256) } }, /regions\.us-east-1\.weight: must be a whole number 0-255 .*, got 256/],
        ["a fractional weight", { regions: { "us-east-1": region(69.5), "us-west-2": region(30) } }, /regions\.us-east-1\.weight: must be a whole number 0-255 .*, got 69.5/],
        ["all weights zero", { regions: { "us-east-1": region(0), "us-west-2": region(0) } }, /regions: at least one region needs a weight above 0; all are 0 \(us-east-1, us-west-2\)/],
        ["a health check path without a slash", { healthCheckPath: "health" }, /healthCheckPath: must be a path starting with "\/" .* got "health"/],
        ["a health check interval other than 10 or 30", { healthCheckIntervalSeconds: 15 as any }, /healthCheckIntervalSeconds: must be 10 or 30 \(the only Route53 request intervals\), got 15/],
        ["a failure threshold above 10", { failureThreshold: 11 }, /failureThreshold: must be 1-10, got 11/],
        ["a per-hostname path for a hostname not published", { healthCheckPaths: { web: "/health" } }, /healthCheckPaths\.web: names no published hostname \(api, ws\); key the paths by hostname label/],
        ["a per-hostname path without a slash", { healthCheckPaths: { ws: "ws/health" } }, /healthCheckPaths\.ws: must be a path starting with "\/" .* got "ws\/health"/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateWeightedDnsArgs(args).throwIfAny('WeightedDns "dns"')).toThrow(expected);
        expect(() => new WeightedDns("dns", args)).toThrow(expected);
    });

    test("a drained region (weight 0) is allowed next to a weighted one", () => {
        const args = { ...VALID, regions: { "us-east-1": region(100), "us-west-2": { weight: 0, ...ALB.west } } };
        expect(validateWeightedDnsArgs(args).count).toBe(0);
        expect(validateWeightedDnsArgs({ ...VALID, healthCheckIntervalSeconds: 30 }).count).toBe(0);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new WeightedDns("bad", { ...VALID, domain: "-", healthCheckIntervalSeconds: 5 as any, regions: { a: region(0) } });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for WeightedDns "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("WeightedDns under mocks", () => {
    let run: StackRun<Record<string, any>>; // outputs arrive resolved
    let lookup: StackRun<unknown>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const primary = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
            const dns = new WeightedDns("prod-dns", { ...VALID, healthCheckPaths: { ws: "/ws/health" }, tags: { team: "platform" } }, { provider: primary });
            return { healthCheckIds: dns.healthCheckIds, fqdns: dns.fqdns };
        });
        lookup = await runComponent(() => new WeightedDns("dev-dns", {
            domain: "dev.example.com",
            hostnames: ["api"],
            regions: { "us-east-1": { weight: 100, ...ALB.east }, "us-west-2": { weight: 0, ...ALB.west } },
            healthCheckIntervalSeconds: 30,
            ipv6: true,
        }) && {});
    });

    test("one weighted alias record per hostname and region, setIdentifier = region", () => {
        const records = run.ofType(RECORD);
        expect(records.map((r) => [r.inputs.name, r.inputs.setIdentifier, r.inputs.weightedRoutingPolicies[0].weight]).sort()).toEqual([
            ["api.example.com", "us-east-1", 70],
            ["api.example.com", "us-west-2", 30],
            ["ws.example.com", "us-east-1", 70],
            ["ws.example.com", "us-west-2", 30],
        ]);
        for (const r of records) {
            expect(r.inputs).toMatchObject({ zoneId: "Z0EXAMPLE", type: "A" });
            expect(r.inputs.ttl).toBeUndefined();
            expect(r.inputs.weightedRoutingPolicies).toHaveLength(1);
        }
        const west = run.get(RECORD, "prod-dns-ws-us-west-2");
        expect(west.inputs.aliases).toEqual([{ name: ALB.west.dnsName, zoneId: ALB.west.zoneId, evaluateTargetHealth: true }]);
    });

    test("each record carries its own hostname's health check in its region (a region whose ws is down leaves ws only)", () => {
        for (const r of run.ofType(RECORD)) {
            const host = r.inputs.name.split(".")[0];
            expect(r.inputs.healthCheckId).toBe(`prod-dns-${host}-${r.inputs.setIdentifier}-id`);
        }
        // api and ws of one region are guarded by different checks.
        expect(run.get(RECORD, "prod-dns-api-us-east-1").inputs.healthCheckId).not.toBe(run.get(RECORD, "prod-dns-ws-us-east-1").inputs.healthCheckId);
    });

    test("one HTTPS health check per hostname and region on the region's load balancer: 443, every 10 s, 3 failures, each hostname's own path", () => {
        const checks = run.ofType(CHECK);
        expect(checks.map((c) => c.name).sort()).toEqual(["prod-dns-api-us-east-1", "prod-dns-api-us-west-2", "prod-dns-ws-us-east-1", "prod-dns-ws-us-west-2"]);
        expect(run.get(CHECK, "prod-dns-api-us-east-1").inputs).toMatchObject({
            type: "HTTPS",
            fqdn: ALB.east.dnsName,
            port: 443,
            resourcePath: "/health",
            requestInterval: 10,
            failureThreshold: 3,
            enableSni: true,
        });
        expect(run.get(CHECK, "prod-dns-ws-us-east-1").inputs).toMatchObject({ type: "HTTPS", fqdn: ALB.east.dnsName, port: 443, resourcePath: "/ws/health", enableSni: true });
        expect(run.get(CHECK, "prod-dns-ws-us-west-2").inputs.fqdn).toBe(ALB.west.dnsName);
        expect(run.get(CHECK, "prod-dns-ws-us-west-2").inputs.tags).toMatchObject({ team: "platform", region: "us-west-2", hostname: "ws" });
        expect(lookup.ofType(CHECK).every((c) => c.inputs.requestInterval === 30)).toBe(true);
        // Without per-hostname paths every hostname's check requests healthCheckPath.
        expect(lookup.ofType(CHECK).map((c) => [c.name, c.inputs.resourcePath]).sort()).toEqual([["dev-dns-api-us-east-1", "/health"], ["dev-dns-api-us-west-2", "/health"]]);
    });

    test("records and health checks go through the provider given (the primary region's)", () => {
        const component = run.get("scaled-web:edge:WeightedDns", "prod-dns");
        const children = run.descendantsOf(component);
        expect(children).toHaveLength(8);
        for (const c of children) {
            expect(c.region).toBe("us-east-1");
            expect(c.provider).toMatch(/aws-us-east-1/);
        }
    });

    test("a drained region keeps a weight-0 record; ipv6 adds AAAA aliases; the zone is looked up by name", () => {
        const records = lookup.ofType(RECORD);
        expect(records.map((r) => [r.inputs.type, r.inputs.setIdentifier, r.inputs.weightedRoutingPolicies[0].weight]).sort()).toEqual([
            ["A", "us-east-1", 100], ["A", "us-west-2", 0], ["AAAA", "us-east-1", 100], ["AAAA", "us-west-2", 0],
        ]);
        expect(lookup.invokes.filter((i) => i.token === "aws:route53/getZone:getZone").map((i) => i.inputs.name)).toEqual(["dev.example.com"]);
        expect(records.every((r) => r.inputs.zoneId === "ZDEVEXAMPLECOM")).toBe(true);
        expect(run.invokes.filter((i) => i.token === "aws:route53/getZone:getZone")).toHaveLength(0);
    });

    test("outputs resolve", () => {
        expect(run.outputs.fqdns).toEqual(["api.example.com", "ws.example.com"]);
        expect(Object.keys(run.outputs.healthCheckIds).sort()).toEqual(["api-us-east-1", "api-us-west-2", "ws-us-east-1", "ws-us-west-2"]);
        expect(run.outputs.healthCheckIds[healthCheckKey("ws", "us-west-2")]).toBe("prod-dns-ws-us-west-2-id");
    });
});
