import * as aws from "@pulumi/aws";
import {
    DEFAULT_TARGET_HEALTH_CHECK,
    LoadBalancer,
    LoadBalancerArgs,
    DEFAULT_WS_PROBE_PATH,
    accessLogBucketPolicy,
    albPathMatches,
    edgeHostnames,
    pathRuleKey,
    validateLoadBalancerArgs,
    wafRateLimit,
    TARGET_CLUSTER_TAG,
    albTargetPorts,
} from "../components/load-balancer";
import { RegisteredResource, StackRun, runComponent } from "./harness";

const T = {
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    rule: "aws:lb/listenerRule:ListenerRule",
    tg: "aws:lb/targetGroup:TargetGroup",
    attach: "aws:autoscaling/attachment:Attachment",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    acl: "aws:wafv2/webAcl:WebAcl",
    aclAssoc: "aws:wafv2/webAclAssociation:WebAclAssociation",
    bucket: "aws:s3/bucket:Bucket",
    cert: "aws:acm/certificate:Certificate",
    certValidation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
} as const;

describe.each([
    [10, 60, 600],
    [10, 300, 3000],
    [1, 600, 600],
    [250, 120, 30000],
] as const)("wafRateLimit(%i r/s, %i s window)", (rps, window, limit) => {
    test(`is ${limit} requests per window`, () => expect(wafRateLimit(rps, window)).toBe(limit));
});

describe.each([
    ["/socket.io/*", "socket-io"],
    ["/ws/*", "ws"],
    ["/*", "root"],
    ["/API/Live?", "api-live"],
])("pathRuleKey(%s)", (pattern, key) => {
    test(`is ${key}`, () => expect(pathRuleKey(pattern)).toBe(key));
});

describe.each([
    ["/ws/*", "/ws/health", true],
    ["/ws/*", "/ws/", true],
    ["/ws/*", "/ws", false],
    ["/socket.io/*", "/socket.io/?EIO=4", true],
    ["/socket.io/*", "/socketXio/", false],
    ["/*", "/health", true],
    ["/health", "/health", true],
    ["/health", "/Health", false],
    ["/h?alth", "/health", true],
])("albPathMatches(%s, %s)", (pattern, path, matches) => {
    test(`is ${matches}`, () => expect(albPathMatches(pattern, path)).toBe(matches));
});

test("edgeHostnames puts the labels under the domain", () => {
    expect(edgeHostnames("example.com")).toEqual({ api: "api.example.com", ws: "ws.example.com" });
    expect(edgeHostnames("example.com", "rest", "live")).toEqual({ api: "rest.example.com", ws: "live.example.com" });
});

test("the access log bucket policy lets only ELB log delivery write, under the account's prefix, over TLS", () => {
    const doc = JSON.parse(accessLogBucketPolicy("arn:aws:s3:::logs", "111122223333"));
    const allow = doc.Statement.find((s: any) => s.Effect === "Allow");
    expect(allow).toEqual(expect.objectContaining({
        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::logs/alb/AWSLogs/111122223333/*",
    }));
    const deny = doc.Statement.find((s: any) => s.Effect === "Deny");
    expect(deny.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(doc.Statement).toHaveLength(2);
});

const VALID: LoadBalancerArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    domain: "example.com",
    hostedZoneId: "Z0EXAMPLE",
    nodeSecurityGroupId: "sg-nodes",
    apiContainerPort: 8080,
    wsContainerPort: 8081,
    targetClusterName: "prod-usw2-eks",
};

describe("LoadBalancer validation", () => {
    test.each<[string, Partial<LoadBalancerArgs>, RegExp]>([
        ["a domain that is not a DNS name", { domain: "Example_COM" }, /domain: must be a lower-case DNS name such as "example.com", got "Example_COM"/],
        ["an api hostname that is not a label", { apiHostname: "api.v1" }, /apiHostname: must be a DNS label such as "api", got "api.v1"/],
        ["a ws hostname that is not a label", { wsHostname: "-ws" }, /wsHostname: must be a DNS label such as "ws", got "-ws"/],
        ["the same hostname twice", { apiHostname: "www", wsHostname: "www" }, /wsHostname: must differ from apiHostname \(both "www"\)/],
        ["a single subnet", { subnetIds: ["subnet-a"] }, /subnetIds: an ALB needs subnets in at least 2 availability zones, got 1/],
        ["a privileged api container port", { apiContainerPort: 80 }, /apiContainerPort: must be the pods' container port, 1024-65535 \(the pods run as non-root\), got 80/],
        ["a ws container port out of range", { wsContainerPort: 70000 }, /wsContainerPort: must be the pods' container port, 1024-65535 .*got 70000/],
        ["the removed apiNodePort", { apiNodePort: 30080 } as Partial<LoadBalancerArgs>, /apiNodePort: is no longer accepted \(got 30080\): pods are registered by IP on their container port: pass apiContainerPort/],
        ["the removed wsNodePort", { wsNodePort: 30081 } as Partial<LoadBalancerArgs>, /wsNodePort: is no longer accepted \(got 30081\): .*pass wsContainerPort/],
        ["the removed targetAutoScalingGroups", { targetAutoScalingGroups: { general: "asg" } } as Partial<LoadBalancerArgs>, /targetAutoScalingGroups: is no longer accepted .*not ASG instances; drop it/],
        ["no ws paths", { wsPaths: [] }, /wsPaths: must list at least one path pattern/],
        ["a ws path without a leading slash", { wsPaths: ["ws/*"] }, /wsPaths\[0\]: must be an ALB path pattern starting with "\/" .* got "ws\/\*"/],
        ["ws paths with the same rule key", { wsPaths: ["/ws/*", "/ws*"] }, /wsPaths: patterns must differ in more than punctuation \(two map to rule key "ws"\)/],
        ["an idle timeout above the ALB maximum (seed 86400)", { idleTimeoutSeconds: 86400 }, /idleTimeoutSeconds: must be a whole number of seconds in 1-4000 \(the ALB maximum; .*\), got 86400/],
        ["an idle timeout of 0", { idleTimeoutSeconds: 0 }, /idleTimeoutSeconds: must be a whole number of seconds in 1-4000 .*, got 0/],
        ["a health check path without a slash", { healthCheck: { path: "health" } }, /healthCheck\.path: must be a path starting with "\/", got "health"/],
        ["a health check interval below 5 s", { healthCheck: { intervalSeconds: 2 } }, /healthCheck\.intervalSeconds: must be 5-300 seconds, got 2/],
        ["a health check timeout out of range", { healthCheck: { timeoutSeconds: 1 } }, /healthCheck\.timeoutSeconds: must be 2-120 seconds, got 1/],
        ["a timeout not shorter than the interval", { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }, /healthCheck\.timeoutSeconds: must be shorter than intervalSeconds \(10\), got 10/],
        ["a healthy threshold of 1", { healthCheck: { healthyThreshold: 1 } }, /healthCheck\.healthyThreshold: must be 2-10, got 1/],
        ["an unhealthy threshold of 11", { healthCheck: { unhealthyThreshold: 11 } }, /healthCheck\.unhealthyThreshold: must be 2-10, got 11/],
        ["a deregistration delay above an hour", { deregistrationDelaySeconds: 3601 }, /deregistrationDelaySeconds: must be 0-3600 seconds, got 3601/],
        ["a stickiness cookie over 7 days", { stickinessSeconds: 604801 }, /stickinessSeconds: must be 1-604800 seconds \(7 days\), got 604801/],
        ["a TLS policy that is not forward secret", { sslPolicy: "ELBSecurityPolicy-2016-08" }, /sslPolicy: must be a forward-secret ELB policy .* got "ELBSecurityPolicy-2016-08"/],
        ["a fractional rate", { rateLimitPerSecond: 2.5 }, /rateLimitPerSecond: must be a whole number of requests per second >= 1, got 2.5/],
        ["a window WAF does not offer", { rateLimitWindowSeconds: 30 as any }, /rateLimitWindowSeconds: must be one of WAF's windows 60, 120, 300, 600, got 30/],
        ["a rate above WAF's maximum limit", { rateLimitPerSecond: 40_000_000 }, /rateLimitPerSecond: gives a WAF limit of 2400000000 per 60 s; WAF accepts 10-2000000000/],
        ["a burst larger than the window's limit", { rateLimitBurst: 601 }, /rateLimitBurst: must be 0-600 \(the WAF limit per 60 s window, .*\), got 601/],
        ["zero-day log retention", { accessLogRetentionDays: 0 }, /accessLogRetentionDays: must be a whole number of days >= 1, got 0/],
        ["an unknown address type", { ipAddressType: "ipv6" as any }, /ipAddressType: must be "ipv4" or "dualstack", got "ipv6"/],
        ["a ws probe path with a wildcard", { wsProbePath: "/ws/*" }, /wsProbePath: must be an exact path starting with "\/" \(at most 128 characters, no wildcards; the ws service answers it\), got "\/ws\/\*"/],
        ["a ws probe path equal to the api health path", { wsProbePath: "/health" }, /wsProbePath: must differ from healthCheck\.path \("\/health"\), which probes the api/],
        ["an api health path inside a ws path pattern", { healthCheck: { path: "/ws/healthz" } },
            /healthCheck\.path: "\/ws\/healthz" matches ws path pattern "\/ws\/\*", so a probe of the api on the load balancer would reach the ws pods/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateLoadBalancerArgs("edge", args).throwIfAny('LoadBalancer "edge"')).toThrow(expected);
        expect(() => new LoadBalancer("edge", args)).toThrow(expected);
    });

    test("rejects a component name an ALB cannot carry", () => {
        expect(() => new LoadBalancer("edge_1", VALID)).toThrow(/name: must contain only letters, digits and '-' .* got "edge_1"/);
    });

    test("accepts the defaults and the seed's numbers", () => {
        expect(validateLoadBalancerArgs("edge", VALID).count).toBe(0);
        expect(validateLoadBalancerArgs("edge", { ...VALID, idleTimeoutSeconds: 4000, healthCheck: DEFAULT_TARGET_HEALTH_CHECK }).count).toBe(0);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new LoadBalancer("bad", { ...VALID, domain: "nope", idleTimeoutSeconds: 86400, apiContainerPort: 80 });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for LoadBalancer "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("LoadBalancer under mocks", () => {
    let prod: StackRun<Record<string, any>>;
    let dev: StackRun<unknown>;
    const byName = (run: StackRun<any>, type: string, suffix: string): RegisteredResource => run.get(type, `prod-usw2-edge-${suffix}`);

    beforeAll(async () => {
        prod = await runComponent(() => {
            const provider = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
            const lb = new LoadBalancer("prod-usw2-edge", {
                ...VALID,
                deletionProtection: true,
                tags: { team: "platform" },
            }, { provider });
            return {
                dnsName: lb.dnsName,
                zoneId: lb.zoneId,
                arnSuffix: lb.arnSuffix,
                targetGroupArnSuffixes: lb.targetGroupArnSuffixes,
                targetGroupArns: lb.targetGroupArns,
                targetPorts: lb.targetPorts,
                certificateArn: lb.certificateArn,
                rateLimit: lb.rateLimit,
                probePaths: lb.probePaths,
            };
        });
        dev = await runComponent(() => new LoadBalancer("dev-edge", {
            ...VALID,
            hostedZoneId: undefined,
            domain: "dev.example.com",
            ipAddressType: "dualstack",
            wsPaths: ["/live/*"],
            rateLimitPerSecond: 5,
            rateLimitWindowSeconds: 300,
            idleTimeoutSeconds: 600,
        }) && {});
    });

    test("one internet-facing ALB in the given subnets, through the region's provider", () => {
        const albs = prod.ofType(T.alb);
        expect(albs).toHaveLength(1);
        expect(albs[0].inputs).toMatchObject({
            loadBalancerType: "application",
            internal: false,
            ipAddressType: "ipv4",
            subnets: ["subnet-a", "subnet-b", "subnet-c"],
            idleTimeout: 4000,
            dropInvalidHeaderFields: true,
            enableDeletionProtection: true,
        });
        const component = prod.get("scaled-web:edge:LoadBalancer", "prod-usw2-edge");
        const children = prod.descendantsOf(component);
        expect(children.length).toBeGreaterThan(25);
        for (const c of children) {
            expect(c.region).toBe("us-west-2");
        }
        expect(prod.parentOf(albs[0])?.urn).toBe(component.urn);
    });

    test("HTTPS listener: TLS 1.3 policy, the validated certificate, default to the api target group", () => {
        const https = byName(prod, T.listener, "https");
        expect(https.inputs).toMatchObject({ port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
        expect(https.inputs.certificateArn).toBe(byName(prod, T.cert, "cert").state.arn);
        expect(https.inputs.defaultActions).toEqual([expect.objectContaining({ type: "forward", targetGroupArn: byName(prod, T.tg, "api").state.arn })]);
    });

    test("HTTP listener only redirects to HTTPS with a 301", () => {
        const http = byName(prod, T.listener, "http");
        expect(http.inputs).toMatchObject({ port: 80, protocol: "HTTP" });
        expect(http.inputs.defaultActions).toEqual([
            expect.objectContaining({ type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }) }),
        ]);
        expect(http.inputs.defaultActions[0].targetGroupArn).toBeUndefined();
        expect(prod.ofType(T.rule).every((r) => r.inputs.listenerArn === byName(prod, T.listener, "https").state.arn)).toBe(true);
    });

    test("api target group: least outstanding requests, the seeds' health check, pod IPs on the api container port", () => {
        const api = byName(prod, T.tg, "api");
        expect(api.inputs).toMatchObject({
            loadBalancingAlgorithmType: "least_outstanding_requests",
            targetType: "ip",
            ipAddressType: "ipv4",
            protocol: "HTTP",
            port: 8080,
            vpcId: "vpc-1",
            // preStop 15 s + app drain 20 s, plus margin (DEFAULT_DEREGISTRATION_DELAY_SECONDS).
            deregistrationDelay: 40,
        });
        // The controller's role may only register into target groups tagged with its own cluster.
        expect(api.inputs.tags).toMatchObject({ [TARGET_CLUSTER_TAG]: "prod-usw2-eks", team: "platform" });
        expect(prod.outputs.targetGroupArns).toEqual({ api: api.state.arn, ws: byName(prod, T.tg, "ws").state.arn });
        expect(prod.outputs.targetPorts).toEqual({ api: 8080, ws: 8081 });
        expect(api.inputs.healthCheck).toMatchObject({ path: "/health", interval: 10, timeout: 5, unhealthyThreshold: 3, healthyThreshold: 2, port: "traffic-port", matcher: "200" });
        expect(api.inputs.stickiness?.enabled ?? false).toBe(false);
    });

    test("ws target group: lb_cookie stickiness (pins the pod: IP targets) on the ws container port, reached by host and by each ws path", () => {
        const ws = byName(prod, T.tg, "ws");
        expect(ws.inputs).toMatchObject({ port: 8081, targetType: "ip", deregistrationDelay: 40 });
        expect(ws.inputs.tags).toMatchObject({ [TARGET_CLUSTER_TAG]: "prod-usw2-eks" });
        expect(ws.inputs.stickiness).toEqual({ enabled: true, type: "lb_cookie", cookieDuration: 86400 });
        const toWs = [expect.objectContaining({ type: "forward", targetGroupArn: ws.state.arn })];
        const host = byName(prod, T.rule, "ws-host");
        expect(host.inputs.conditions).toEqual([{ hostHeader: { values: ["ws.example.com"] } }]);
        expect(host.inputs.actions).toEqual(toWs);
        const socketIo = byName(prod, T.rule, "ws-path-socket-io");
        const raw = byName(prod, T.rule, "ws-path-ws");
        expect(socketIo.inputs.conditions).toEqual([{ pathPattern: { values: ["/socket.io/*"] } }]);
        expect(raw.inputs.conditions).toEqual([{ pathPattern: { values: ["/ws/*"] } }]);
        expect(socketIo.inputs.actions).toEqual(toWs);
        expect(raw.inputs.actions).toEqual(toWs);
        const priorities = prod.ofType(T.rule).map((r) => r.inputs.priority);
        expect(new Set(priorities).size).toBe(priorities.length);
        expect(dev.ofType(T.rule).map((r) => r.name).sort()).toEqual(["dev-edge-ws-host", "dev-edge-ws-path-live", "dev-edge-ws-probe"]);
    });

    test("the ws probe path reaches the ws target group on any host, ahead of every other rule (the Route53 ws check uses it)", () => {
        const ws = byName(prod, T.tg, "ws");
        const probe = byName(prod, T.rule, "ws-probe");
        expect(probe.inputs.conditions).toEqual([{ pathPattern: { values: [DEFAULT_WS_PROBE_PATH] } }]);
        expect(probe.inputs.actions).toEqual([expect.objectContaining({ type: "forward", targetGroupArn: ws.state.arn })]);
        expect(probe.inputs.priority).toBeLessThan(Math.min(...prod.ofType(T.rule).filter((r) => r !== probe).map((r) => r.inputs.priority)));
        // In dev the ws paths are only /live/*: the probe rule still sends /ws/health to the ws pods.
        expect(dev.get(T.rule, "dev-edge-ws-probe").inputs.conditions).toEqual([{ pathPattern: { values: ["/ws/health"] } }]);
        expect(prod.outputs.probePaths).toEqual({ api: "/health", ws: "/ws/health" });
    });

    test("api and ws on one container port get one security group rule pair, not two colliding ones", () => {
        expect(albTargetPorts(8080, 8080)).toEqual([["api-ws", 8080]]);
        expect(albTargetPorts(8080, 8081)).toEqual([["api", 8080], ["ws", 8081]]);
    });

    test("no ASG attachment: the AWS Load Balancer Controller registers pod IPs, nothing attaches instances", () => {
        expect(prod.ofType(T.attach)).toEqual([]);
        expect(dev.ofType(T.attach)).toEqual([]);
    });

    test("security groups: 80/443 from the internet in, the container ports to and from the pods (node SG) only", () => {
        const albSg = byName(prod, T.sg, "sg");
        const albSgId = "prod-usw2-edge-sg-id"; // the mock's id for the ALB's security group
        expect(albSg.inputs.ingress ?? []).toEqual([]);
        expect(albSg.inputs.egress ?? []).toEqual([]);
        expect(byName(prod, T.alb, "alb").inputs.securityGroups).toHaveLength(1);

        const ingress = prod.ofType(T.ingress);
        const open = ingress.filter((r) => r.inputs.cidrIpv4 || r.inputs.cidrIpv6);
        expect(open.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]).sort()).toEqual([[443, 443, "0.0.0.0/0"], [80, 80, "0.0.0.0/0"]]);
        expect(open.every((r) => r.inputs.ipProtocol === "tcp")).toBe(true);

        const toNodes = ingress.filter((r) => r.inputs.securityGroupId === "sg-nodes");
        expect(toNodes.map((r) => r.inputs.fromPort).sort()).toEqual([8080, 8081]);
        for (const r of toNodes) {
            expect(r.inputs.toPort).toBe(r.inputs.fromPort);
            expect(r.inputs.cidrIpv4).toBeUndefined();
            expect(r.inputs.referencedSecurityGroupId).toBe(albSgId);
        }
        const egress = prod.ofType(T.egress);
        expect(egress.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId]).sort()).toEqual([[8080, 8080, "sg-nodes"], [8081, 8081, "sg-nodes"]]);
        expect(egress.every((r) => r.inputs.cidrIpv4 === undefined && r.inputs.securityGroupId === albSgId)).toBe(true);

        // Dual-stack also opens 80/443 to ::/0.
        const v6 = dev.ofType(T.ingress).filter((r) => r.inputs.cidrIpv6 === "::/0");
        expect(v6.map((r) => r.inputs.fromPort).sort()).toEqual([443, 80]);
    });

    test("WAF: per-IP rate rule (seed 004: 10 r/s -> 600 per 60 s) and the AWS common rules, associated to the ALB", () => {
        const acl = byName(prod, T.acl, "waf");
        expect(acl.inputs.scope).toBe("REGIONAL");
        expect(acl.inputs.defaultAction).toEqual({ allow: {} });
        const rate = acl.inputs.rules.find((r: any) => r.statement.rateBasedStatement);
        expect(rate.action).toEqual({ block: {} });
        expect(rate.statement.rateBasedStatement).toEqual({ aggregateKeyType: "IP", limit: 600, evaluationWindowSec: 60 });
        const common = acl.inputs.rules.find((r: any) => r.statement.managedRuleGroupStatement);
        expect(common.statement.managedRuleGroupStatement).toEqual({ vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" });
        expect(common.overrideAction).toEqual({ none: {} });
        const assoc = byName(prod, T.aclAssoc, "waf");
        expect(assoc.inputs).toEqual(expect.objectContaining({ resourceArn: byName(prod, T.alb, "alb").state.arn, webAclArn: acl.state.arn }));
        expect(prod.outputs.rateLimit).toBe(600);
        expect(dev.ofType(T.acl)[0].inputs.rules[0].statement.rateBasedStatement).toMatchObject({ limit: 1500, evaluationWindowSec: 300 });
    });

    test("access logs: private, SSE-S3 encrypted bucket with expiry and a log-delivery policy", () => {
        const bucket = byName(prod, T.bucket, "logs");
        expect(byName(prod, T.alb, "alb").inputs.accessLogs).toEqual({ bucket: bucket.state.bucket, prefix: "alb", enabled: true });
        expect(bucket.inputs.forceDestroy).toBe(false);
        expect(dev.get(T.bucket, "dev-edge-logs").inputs.forceDestroy).toBe(true);
        const sse = byName(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "logs");
        expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
        const pab = byName(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs");
        expect(pab.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        const lifecycle = byName(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs");
        expect(lifecycle.inputs.rules[0]).toMatchObject({ status: "Enabled", expiration: { days: 90 } });
        const policy = JSON.parse(byName(prod, "aws:s3/bucketPolicy:BucketPolicy", "logs").inputs.policy);
        expect(policy.Statement[0].Principal).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
        expect(policy.Statement[0].Resource).toBe(`${bucket.state.arn}/alb/AWSLogs/123456789012/*`);
    });

    test("certificate for api. and ws. validated by DNS records in the zone, written idempotently", () => {
        const cert = byName(prod, T.cert, "cert");
        expect(cert.inputs).toMatchObject({ domainName: "api.example.com", subjectAlternativeNames: ["ws.example.com"], validationMethod: "DNS" });
        const records = prod.ofType(T.record);
        expect(records.map((r) => r.name).sort()).toEqual(["prod-usw2-edge-cert-api", "prod-usw2-edge-cert-ws"]);
        const api = byName(prod, T.record, "cert-api");
        expect(api.inputs).toMatchObject({ zoneId: "Z0EXAMPLE", name: "_acme.api.example.com.", type: "CNAME", allowOverwrite: true, ttl: 300 });
        expect(byName(prod, T.record, "cert-ws").inputs.name).toBe("_acme.ws.example.com.");
        const validation = byName(prod, T.certValidation, "cert");
        expect(validation.inputs.certificateArn).toBe(cert.state.arn);
        expect(validation.inputs.validationRecordFqdns.sort()).toEqual(["_acme.api.example.com", "_acme.ws.example.com"]);
    });

    test("without a zone id the zone is looked up by the domain name", () => {
        expect(prod.invokes.filter((i) => i.token === "aws:route53/getZone:getZone")).toHaveLength(0);
        const lookups = dev.invokes.filter((i) => i.token === "aws:route53/getZone:getZone");
        expect(lookups.map((i) => i.inputs.name)).toEqual(["dev.example.com"]);
        expect(dev.get(T.record, "dev-edge-cert-api").inputs.zoneId).toBe("ZDEVEXAMPLECOM");
    });

    test("idle timeout is passed through (within the ALB cap)", () => {
        expect(dev.get(T.alb, "dev-edge-alb").inputs.idleTimeout).toBe(600);
        expect(dev.get(T.alb, "dev-edge-alb").inputs.enableDeletionProtection).toBe(false);
    });

    test("outputs resolve to the ALB's DNS name, zone and ARN suffixes", () => {
        expect(prod.outputs.dnsName).toBe("prod-usw2-edge-alb-123456.us-west-2.elb.amazonaws.com");
        expect(prod.outputs.zoneId).toBe("Z1H1FL5HABSF5");
        expect(prod.outputs.arnSuffix).toBe("app/prod-usw2-edge-alb/0123456789abcdef");
        expect(prod.outputs.targetGroupArnSuffixes).toEqual({
            api: "targetgroup/prod-usw2-edge-api/0123456789abcdef",
            ws: "targetgroup/prod-usw2-edge-ws/0123456789abcdef",
        });
        expect(prod.outputs.certificateArn).toBe(byName(prod, T.cert, "cert").state.arn);
    });
});
