import { wireDns } from "../platform/edge";
import { parseConfig } from "../platform/config";
import { RegisteredResource, StackRun, runStack } from "./harness";

const T = {
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    rule: "aws:lb/listenerRule:ListenerRule",
    tg: "aws:lb/targetGroup:TargetGroup",
    attach: "aws:autoscaling/attachment:Attachment",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    acl: "aws:wafv2/webAcl:WebAcl",
    aclAssoc: "aws:wafv2/webAclAssociation:WebAclAssociation",
    record: "aws:route53/record:Record",
    check: "aws:route53/healthCheck:HealthCheck",
    asg: "aws:autoscaling/group:Group",
} as const;

const REGIONS = [["us-east-1", "use1"], ["us-west-2", "usw2"]] as const;

test("wireDns refuses a region without a load balancer", () => {
    const config = parseConfig({ environment: "dev", domain: "dev.example.com", regions: { "us-east-1": { role: "primary", weight: 100 } } }, "dev");
    const ctx = { config, region: config.regions[0], prefix: "dev-use1" } as any;
    expect(() => wireDns(config, [ctx], new Map())).toThrow(/wireDns: region us-east-1 has no load balancer; run wireEdge for every region first/);
});

describe("edge of the prod stack", () => {
    let run: StackRun;
    const inRegion = (type: string, code: string): RegisteredResource[] => run.ofType(type).filter((r) => r.name.startsWith(`prod-${code}-edge-`));

    beforeAll(async () => {
        run = await runStack("prod");
    });

    test("two ALBs, each through its own region's provider", () => {
        const albs = run.ofType(T.alb);
        expect(albs.map((a) => a.name).sort()).toEqual(["prod-use1-edge-alb", "prod-usw2-edge-alb"]);
        for (const [region, code] of REGIONS) {
            const alb = run.get(T.alb, `prod-${code}-edge-alb`);
            expect(alb.region).toBe(region);
            const provider = run.ofType("pulumi:providers:aws").find((p) => alb.provider?.startsWith(`${p.urn}::`));
            expect(provider?.name).toBe(`aws-${region}`);
            expect(alb.inputs).toMatchObject({ loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, enableDeletionProtection: true, idleTimeout: 4000 });
            // In the region's public subnets.
            expect(alb.inputs.subnets).toEqual(["a", "b", "c"].map((az) => `prod-${code}-net-public-${region}${az}-id`));
        }
    });

    test.each(REGIONS)("%s: HTTPS listener with TLS 1.3 and an HTTP listener that only redirects", (_region, code) => {
        const listeners = inRegion(T.listener, code);
        expect(listeners.map((l) => [l.inputs.port, l.inputs.protocol]).sort()).toEqual([[443, "HTTPS"], [80, "HTTP"]]);
        const https = run.get(T.listener, `prod-${code}-edge-https`);
        expect(https.inputs.sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
        expect(https.inputs.certificateArn).toMatch(/acm/);
        const http = run.get(T.listener, `prod-${code}-edge-http`);
        expect(http.inputs.defaultActions).toEqual([
            expect.objectContaining({ type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }) }),
        ]);
    });

    test.each(REGIONS)("%s: api target group routes least-outstanding with the seed's health check", (_region, code) => {
        const api = run.get(T.tg, `prod-${code}-edge-api`);
        expect(api.inputs).toMatchObject({ loadBalancingAlgorithmType: "least_outstanding_requests", targetType: "ip", port: 3000 });
        expect(api.inputs.healthCheck).toMatchObject({ path: "/health", interval: 10, timeout: 5, unhealthyThreshold: 3, healthyThreshold: 2 });
        expect(api.inputs.deregistrationDelay).toBeGreaterThan(0);
        expect(run.get(T.listener, `prod-${code}-edge-https`).inputs.defaultActions[0].targetGroupArn).toBe(api.state.arn);
    });

    test.each(REGIONS)("%s: ws target group is sticky and reached by the ws host and paths", (_region, code) => {
        const ws = run.get(T.tg, `prod-${code}-edge-ws`);
        expect(ws.inputs.stickiness).toMatchObject({ enabled: true, type: "lb_cookie" });
        // IP targets: the cookie pins the browser to a pod on the ws container port.
        expect(ws.inputs).toMatchObject({ port: 3001, targetType: "ip" });
        const rules = inRegion(T.rule, code);
        expect(rules.every((r) => r.inputs.actions[0].targetGroupArn === ws.state.arn)).toBe(true);
        const conditions = rules.map((r) => r.inputs.conditions[0]);
        expect(conditions).toEqual(expect.arrayContaining([
            { hostHeader: { values: ["ws.scaled-web.example.com"] } },
            { pathPattern: { values: ["/socket.io/*"] } },
            { pathPattern: { values: ["/ws/*"] } },
        ]));
    });

    test.each(REGIONS)("%s: WAF rate rule (600 per 60 s per IP) and common rules, associated to the ALB", (region, code) => {
        const acl = run.get(T.acl, `prod-${code}-edge-waf`);
        expect(acl.region).toBe(region);
        expect(acl.inputs.scope).toBe("REGIONAL");
        const rate = acl.inputs.rules.find((r: any) => r.statement.rateBasedStatement);
        expect(rate.statement.rateBasedStatement).toMatchObject({ aggregateKeyType: "IP", limit: 600, evaluationWindowSec: 60 });
        expect(rate.action).toEqual({ block: {} });
        expect(acl.inputs.rules.some((r: any) => r.statement.managedRuleGroupStatement?.name === "AWSManagedRulesCommonRuleSet")).toBe(true);
        const assoc = run.get(T.aclAssoc, `prod-${code}-edge-waf`);
        expect(assoc.inputs.resourceArn).toBe(run.get(T.alb, `prod-${code}-edge-alb`).state.arn);
        expect(assoc.inputs.webAclArn).toBe(acl.state.arn);
    });

    test.each(REGIONS)("%s: IP target groups on the container ports, tagged with the region's cluster; no ASG attachment; pods (node SG) admit only those ports from the ALB", (region, code) => {
        expect(inRegion(T.attach, code)).toEqual([]);
        expect(run.ofType(T.attach)).toEqual([]);
        for (const [svc, port] of [["api", 3000], ["ws", 3001]] as const) {
            const tg = run.get(T.tg, `prod-${code}-edge-${svc}`);
            expect(tg.region).toBe(region);
            expect(tg.inputs).toMatchObject({ targetType: "ip", port, protocol: "HTTP", vpcId: `prod-${code}-net-vpc-id`, deregistrationDelay: 40 });
            expect(tg.inputs.tags["scaled-web/eks-cluster"]).toBe(`prod-${code}-eks`);
            expect(tg.inputs.healthCheck).toMatchObject({ path: "/health", port: "traffic-port" });
        }
        const fromAlb = inRegion(T.ingress, code).filter((r) => r.inputs.referencedSecurityGroupId === `prod-${code}-edge-sg-id`);
        expect(fromAlb.map((r) => [r.inputs.fromPort, r.inputs.toPort]).sort()).toEqual([[3000, 3000], [3001, 3001]]);
        const nodeSg = new Set(fromAlb.map((r) => r.inputs.securityGroupId));
        expect([...nodeSg]).toEqual([`prod-${code}-eks-nodes-id`]);
        // No NodePort range is open anywhere.
        expect(run.ofType(T.ingress).filter((r) => r.inputs.fromPort >= 30000 && r.inputs.fromPort <= 32767)).toEqual([]);
    });

    test("both regions write the same ACM validation names, idempotently", () => {
        const validation = run.ofType(T.record).filter((r) => /^prod-(use1|usw2)-edge-cert-/.test(r.name));
        expect(validation).toHaveLength(4);
        expect(validation.every((r) => r.inputs.type === "CNAME")).toBe(true);
        expect(validation.every((r) => r.inputs.allowOverwrite === true && r.inputs.zoneId === "Z0PROD000000000000001")).toBe(true);
    });

    test("two weighted records per hostname, weights 70 and 30, each with its hostname's own health check in its region", () => {
        const dns = run.get("scaled-web:edge:WeightedDns", "prod-dns");
        const weighted = run.descendantsOf(dns).filter((r) => r.type === T.record);
        const summary = weighted.map((r) => [r.inputs.name, r.inputs.setIdentifier, r.inputs.weightedRoutingPolicies[0].weight]).sort();
        expect(summary).toEqual([
            ["api.scaled-web.example.com", "us-east-1", 70],
            ["api.scaled-web.example.com", "us-west-2", 30],
            ["ws.scaled-web.example.com", "us-east-1", 70],
            ["ws.scaled-web.example.com", "us-west-2", 30],
        ]);
        const checks = run.descendantsOf(dns).filter((r) => r.type === T.check);
        expect(checks).toHaveLength(4);
        for (const r of weighted) {
            const region = r.inputs.setIdentifier;
            const code = REGIONS.find(([name]) => name === region)![1];
            const host = r.inputs.name.split(".")[0];
            expect(r.inputs.healthCheckId).toBe(`prod-dns-${host}-${region}-id`);
            expect(r.inputs.aliases[0]).toEqual({
                name: run.get(T.alb, `prod-${code}-edge-alb`).state.dnsName,
                zoneId: run.get(T.alb, `prod-${code}-edge-alb`).state.zoneId,
                evaluateTargetHealth: true,
            });
            // Route53 is global: records go through the primary region's provider.
            expect(r.region).toBe("us-east-1");
        }
        for (const c of checks) {
            const code = REGIONS.find(([name]) => name === c.inputs.tags.region)![1];
            // api: /health falls through to the listener's default action (api pods); ws: /ws/health hits the ws probe rule (ws pods).
            const path = c.inputs.tags.hostname === "ws" ? "/ws/health" : "/health";
            expect(c.inputs).toMatchObject({ type: "HTTPS", port: 443, resourcePath: path, requestInterval: 10, failureThreshold: 3, enableSni: true });
            expect(run.get(T.rule, `prod-${code}-edge-ws-probe`).inputs.conditions).toEqual([{ pathPattern: { values: ["/ws/health"] } }]);
            expect(c.inputs.fqdn).toBe(run.get(T.alb, `prod-${code}-edge-alb`).state.dnsName);
            expect(c.region).toBe("us-east-1");
        }
    });
});
