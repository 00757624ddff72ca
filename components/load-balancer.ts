import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport } from "./buckets";
import { CLUSTER_RESOURCE_TAG } from "./pod-identity";
import { DNS_LABEL, DNS_NAME, Problems, show } from "./validation";

// ---------------------------------------------------------------------------------------------
// Defaults (seeds 000, 001, 002, 004).
// ---------------------------------------------------------------------------------------------

/** TLS 1.3 with TLS 1.2 fallback and forward-secret ciphers only. */
export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** The ALB maximum. Seed 000 keeps WebSocket streams open for 86400 s; an ALB cannot, see `idleTimeoutSeconds`. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 4000;
export const ALB_MAX_IDLE_TIMEOUT_SECONDS = 4000;
export const DEFAULT_WS_PATHS: readonly string[] = ["/socket.io/*", "/ws/*"];
/**
 * Path an outside probe requests on the ALB to reach the ws pods (the Route53 health check of
 * `ws.<domain>`). The ALB forwards it unchanged to the ws target group, so the ws service must answer
 * `GET /ws/health` with 200 (as well as `/health`, the target group's own health check).
 */
export const DEFAULT_WS_PROBE_PATH = "/ws/health";
/** Listener rule priority of the ws probe path: ahead of the ws host rule (10) and the ws path rules (100+). */
export const WS_PROBE_RULE_PRIORITY = 5;
export const DEFAULT_EDGE_API_HOSTNAME = "api";
export const DEFAULT_EDGE_WS_HOSTNAME = "ws";
/** Seeds 001/002: `/health` every 10 s, 5 s timeout, 3 failures out, 2 successes back in. */
export const DEFAULT_TARGET_HEALTH_CHECK: Readonly<Required<TargetHealthCheck>> = {
    path: "/health",
    intervalSeconds: 10,
    timeoutSeconds: 5,
    unhealthyThreshold: 3,
    healthyThreshold: 2,
};
/**
 * Seconds the ALB keeps a deregistered pod's open connections before closing them. It must cover the pod's
 * whole stop (see `RegionalDeployment`): the controller deregisters the pod within seconds of it turning
 * Terminating, the pod keeps serving through its 15 s preStop pause (`DEFAULT_PRE_STOP_SLEEP_SECONDS`), then
 * drains in-flight requests for up to 20 s after SIGTERM (the app's `SHUTDOWN_TIMEOUT_SECONDS`); 15 + 20 = 35 s
 * plus margin. Shorter, the ALB would cut requests the pod is still finishing.
 */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 40;
/**
 * Tag on both target groups naming the EKS cluster whose AWS Load Balancer Controller registers pods in them.
 * The controller's Pod Identity role may register/deregister targets only in target groups whose tag equals
 * the session's `eks-cluster-name` (see `loadBalancerControllerPolicy`).
 */
export const TARGET_CLUSTER_TAG = CLUSTER_RESOURCE_TAG;
/** Lifetime of the ALB stickiness cookie on the ws target group: one day, as the seeds' session cookie. */
export const DEFAULT_STICKINESS_SECONDS = 86400;
/** Seed 004: `limit_req rate=10r/s` per client IP. */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 10;
/** Seed 004's burst of 20 requests above the rate (see `rateLimitBurst`). */
export const DEFAULT_RATE_LIMIT_BURST = 20;
/** Shortest WAF evaluation window, so the limit reacts fastest and stays closest to a per-second rate. */
export const DEFAULT_RATE_LIMIT_WINDOW_SECONDS: WafWindowSeconds = 60;
export const DEFAULT_ACCESS_LOG_RETENTION_DAYS = 90;
/** Prefix of access log objects inside the bucket. */
export const ACCESS_LOG_PREFIX = "alb";

/** WAF rate-based rule evaluation windows. */
export const WAF_WINDOWS = [60, 120, 300, 600] as const;
export type WafWindowSeconds = (typeof WAF_WINDOWS)[number];
/** Smallest and largest `limit` WAF accepts on a rate-based rule. */
export const WAF_MIN_LIMIT = 10;
export const WAF_MAX_LIMIT = 2_000_000_000;

/** Arguments that existed before IP targets, with what replaces each (refused with that message). */
export const REMOVED_LOAD_BALANCER_ARGS: Readonly<Record<string, string>> = {
    apiNodePort: "pods are registered by IP on their container port: pass apiContainerPort (TargetGroupBinding, AWS Load Balancer Controller)",
    wsNodePort: "pods are registered by IP on their container port: pass wsContainerPort",
    targetAutoScalingGroups: "target groups hold pod IPs registered by the AWS Load Balancer Controller (TargetGroupBinding), not ASG instances; drop it",
};

export interface TargetHealthCheck {
    /** @default "/health" */
    readonly path?: string;
    /** @default 10 */
    readonly intervalSeconds?: number;
    /** @default 5 */
    readonly timeoutSeconds?: number;
    /** @default 3 */
    readonly unhealthyThreshold?: number;
    /** @default 2 */
    readonly healthyThreshold?: number;
}

export interface LoadBalancerArgs {
    /** VPC of the load balancer and its targets. */
    readonly vpcId: pulumi.Input<string>;
    /** Public subnets to place the ALB in, one per AZ (at least two AZs). */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** Apex DNS name, e.g. `example.com`; the certificate covers `<apiHostname>.<domain>` and `<wsHostname>.<domain>`. */
    readonly domain: string;
    /**
     * Public hosted zone of `domain`, where the certificate's DNS validation records go.
     * @default looked up by name (`aws.route53.getZone({ name: domain })`)
     */
    readonly hostedZoneId?: pulumi.Input<string>;
    /** @default "api" */
    readonly apiHostname?: string;
    /** Requests for this host go to the ws target group. @default "ws" */
    readonly wsHostname?: string;
    /**
     * Security group of the nodes. With the VPC CNI (no security groups for pods), pod IPs live on the nodes'
     * ENIs and carry the nodes' security groups, so this group gets ingress on the two container ports from
     * the ALB's security group only (and the ALB's group egress to it on those ports only).
     */
    readonly nodeSecurityGroupId: pulumi.Input<string>;
    /** Port the api pods listen on (1024-65535): the target port of the api target group and its health check. */
    readonly apiContainerPort: number;
    /** Port the ws pods listen on (1024-65535). May equal `apiContainerPort` (one security group rule then serves both). */
    readonly wsContainerPort: number;
    /**
     * Name of the EKS cluster whose AWS Load Balancer Controller registers the pods (through a
     * `TargetGroupBinding` per target group). Both target groups are tagged `scaled-web/eks-cluster: <name>`, which
     * is what the controller's IAM role is limited to.
     */
    readonly targetClusterName: pulumi.Input<string>;
    /**
     * Path patterns routed to the ws target group (Socket.IO and raw WebSocket endpoints).
     * @default ["/socket.io/*", "/ws/*"]
     */
    readonly wsPaths?: readonly string[];
    /**
     * Exact path the HTTPS listener forwards to the ws target group on any host, ahead of every other rule
     * (priority 5). It exists for the Route53 health check of `ws.<domain>`: that check reaches the ALB by
     * the ALB's own DNS name (Route53 sends its `fqdn` as the Host header), so the `ws.<domain>` host rule
     * never matches it, and only a path can steer it to the ws pods. The path reaches the pods unchanged:
     * the ws service must answer `GET <wsProbePath>` with 200. Requests for the api health check path
     * (`healthCheck.path`) still go to the api target group (the default action).
     * @default "/ws/health"
     */
    readonly wsProbePath?: string;
    /**
     * Seconds a connection may stay idle. 1-4000: 4000 is the ALB maximum. Seed 000 proxies its log stream
     * with `proxy_read_timeout 86400s`; on an ALB a WebSocket that is silent for longer than this is closed,
     * so clients must send a ping (Socket.IO does every 25 s) or reconnect. The default is the cap.
     * @default 4000
     */
    readonly idleTimeoutSeconds?: number;
    /** Target health check of both target groups. @default seeds 001/002: /health, 10 s, 5 s, 3, 2 */
    readonly healthCheck?: TargetHealthCheck;
    /**
     * Seconds the ALB lets a deregistered pod finish its open requests; must cover the pod's preStop pause plus
     * its drain after SIGTERM (see `DEFAULT_DEREGISTRATION_DELAY_SECONDS`).
     * @default 40
     */
    readonly deregistrationDelaySeconds?: number;
    /** Lifetime of the ws target group's `lb_cookie` (1-604800 s). @default 86400 */
    readonly stickinessSeconds?: number;
    /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    readonly sslPolicy?: string;
    /**
     * Sustained requests per second allowed per client IP before WAF blocks it (seed 004: 10 r/s).
     * WAF counts requests over a window rather than per second, so the rule's limit is
     * `rateLimitPerSecond * rateLimitWindowSeconds` (10 r/s over 60 s -> 600).
     * @default 10
     */
    readonly rateLimitPerSecond?: number;
    /**
     * Seed 004's `burst=20 nodelay`. WAF has no burst setting: within one window a client may spend its whole
     * allowance at any pace, so any burst up to the window's limit (600 by default, far above 20) is already
     * admitted. The value is kept for documentation and validation only; it must not exceed the window limit.
     * @default 20
     */
    readonly rateLimitBurst?: number;
    /** WAF evaluation window: 60, 120, 300 or 600 s. @default 60 */
    readonly rateLimitWindowSeconds?: WafWindowSeconds;
    /** Days access logs are kept before the bucket's lifecycle rule expires them. @default 90 */
    readonly accessLogRetentionDays?: number;
    /**
     * ALB deletion protection (turn on in prod). When off, the access log bucket may also be destroyed
     * with its objects.
     * @default false
     */
    readonly deletionProtection?: boolean;
    /**
     * `ipv4`, or `dualstack` (needs IPv6 CIDRs on the VPC and subnets), which also opens 80/443 to `::/0`.
     * @default "ipv4"
     */
    readonly ipAddressType?: "ipv4" | "dualstack";
    /**
     * Keep the certificate's DNS validation records in the zone when this component is deleted.
     *
     * ACM derives the validation CNAME from the account and the domain name only, so the load balancers
     * of every region (each has its own regional certificate for the same names) need the very same
     * records. Each component writes them with `allowOverwrite: true` (an idempotent UPSERT, so the
     * second region does not fail on "record already exists"); retaining them on delete means removing
     * one region never deletes a record that another region's certificate renews against.
     * Destroying the whole stack leaves these CNAMEs behind, which is harmless.
     * @default true
     */
    readonly retainValidationRecords?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers.
// ---------------------------------------------------------------------------------------------

/** WAF rate-based rule limit for a per-second rate: requests allowed per evaluation window. */
export function wafRateLimit(requestsPerSecond: number, windowSeconds: WafWindowSeconds): number {
    return requestsPerSecond * windowSeconds;
}

/** Stable child-name key of a path pattern: `/socket.io/*` -> `socket-io`, `/ws/*` -> `ws`, `/*` -> `root`. */
export function pathRuleKey(pattern: string): string {
    const key = pattern.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    return key || "root";
}

/**
 * Whether an ALB path pattern matches a path: case-sensitive, `*` matches any run of characters, `?`
 * exactly one (Elastic Load Balancing user guide, "Path conditions").
 */
export function albPathMatches(pattern: string, path: string): boolean {
    const re = pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("");
    return new RegExp(`^${re}$`).test(path);
}

/**
 * The container ports the ALB must reach, each once, keyed by the service(s) using it: `[["api", 8080], ["ws", 8081]]`,
 * or `[["api-ws", 8080]]` when both listen on the same port (one rule; two equal rules would collide in EC2).
 */
export function albTargetPorts(apiPort: number, wsPort: number): [string, number][] {
    return apiPort === wsPort ? [["api-ws", apiPort]] : [["api", apiPort], ["ws", wsPort]];
}

/** The fully qualified names the certificate covers, api first. */
export function edgeHostnames(domain: string, apiHostname = DEFAULT_EDGE_API_HOSTNAME, wsHostname = DEFAULT_EDGE_WS_HOSTNAME): { api: string; ws: string } {
    return { api: `${apiHostname}.${domain}`, ws: `${wsHostname}.${domain}` };
}

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

/** Checks plain LoadBalancer args; returns the problems found (empty when valid). */
export function validateLoadBalancerArgs(name: string, args: LoadBalancerArgs): Problems {
    const p = new Problems();
    p.check(/^[A-Za-z0-9-]+$/.test(name), "name", `must contain only letters, digits and '-' (ALB and target group names allow nothing else), got ${show(name)}`);
    p.check(typeof args.domain === "string" && DNS_NAME.test(args.domain), "domain", `must be a lower-case DNS name such as "example.com", got ${show(args.domain)}`);
    const api = args.apiHostname ?? DEFAULT_EDGE_API_HOSTNAME;
    const ws = args.wsHostname ?? DEFAULT_EDGE_WS_HOSTNAME;
    p.check(DNS_LABEL.test(api), "apiHostname", `must be a DNS label such as "api", got ${show(api)}`);
    p.check(DNS_LABEL.test(ws), "wsHostname", `must be a DNS label such as "ws", got ${show(ws)}`);
    p.check(api !== ws, "wsHostname", `must differ from apiHostname (both ${show(api)}); the host rule would send all api traffic to ws`);

    p.check(args.subnetIds.length >= 2, "subnetIds", `an ALB needs subnets in at least 2 availability zones, got ${args.subnetIds.length}`);
    for (const [key, replacement] of Object.entries(REMOVED_LOAD_BALANCER_ARGS)) {
        p.check(!(key in (args as unknown as Record<string, unknown>)), key, `is no longer accepted (got ${show((args as unknown as Record<string, unknown>)[key])}): ${replacement}`);
    }
    for (const [key, port] of [["apiContainerPort", args.apiContainerPort], ["wsContainerPort", args.wsContainerPort]] as const) {
        p.check(isInt(port) && port >= 1024 && port <= 65535, key, `must be the pods' container port, 1024-65535 (the pods run as non-root), got ${show(port)}`);
    }

    const paths = args.wsPaths ?? DEFAULT_WS_PATHS;
    p.check(paths.length >= 1, "wsPaths", "must list at least one path pattern, e.g. [\"/socket.io/*\"]");
    paths.forEach((path, i) => p.check(
        typeof path === "string" && /^\/[A-Za-z0-9_\-.$/~"'@:+*?&;%=]*$/.test(path) && path.length <= 128,
        `wsPaths[${i}]`,
        `must be an ALB path pattern starting with "/" (at most 128 characters; wildcards * and ?), got ${show(path)}`,
    ));
    const keys = paths.map((path) => pathRuleKey(String(path)));
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    p.check(dup === undefined, "wsPaths", `patterns must differ in more than punctuation (two map to rule key ${show(dup)}), got ${show(paths)}`);

    const probe = args.wsProbePath ?? DEFAULT_WS_PROBE_PATH;
    p.check(typeof probe === "string" && /^\/[A-Za-z0-9_\-.$/~"'@:+&;%=]*$/.test(probe) && probe.length <= 128, "wsProbePath",
        `must be an exact path starting with "/" (at most 128 characters, no wildcards; the ws service answers it), got ${show(probe)}`);

    const idle = args.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS;
    p.check(isInt(idle) && idle >= 1 && idle <= ALB_MAX_IDLE_TIMEOUT_SECONDS, "idleTimeoutSeconds",
        `must be a whole number of seconds in 1-${ALB_MAX_IDLE_TIMEOUT_SECONDS} (the ALB maximum; long-lived WebSockets must ping within it), got ${show(idle)}`);

    const hc = { ...DEFAULT_TARGET_HEALTH_CHECK, ...(args.healthCheck ?? {}) };
    p.check(typeof hc.path === "string" && hc.path.startsWith("/") && hc.path.length <= 1024, "healthCheck.path", `must be a path starting with "/", got ${show(hc.path)}`);
    p.check(isInt(hc.intervalSeconds) && hc.intervalSeconds >= 5 && hc.intervalSeconds <= 300, "healthCheck.intervalSeconds", `must be 5-300 seconds, got ${show(hc.intervalSeconds)}`);
    if (p.check(isInt(hc.timeoutSeconds) && hc.timeoutSeconds >= 2 && hc.timeoutSeconds <= 120, "healthCheck.timeoutSeconds", `must be 2-120 seconds, got ${show(hc.timeoutSeconds)}`)) {
        p.check(hc.timeoutSeconds < hc.intervalSeconds, "healthCheck.timeoutSeconds", `must be shorter than intervalSeconds (${hc.intervalSeconds}), got ${hc.timeoutSeconds}`);
    }
    for (const key of ["healthyThreshold", "unhealthyThreshold"] as const) {
        p.check(isInt(hc[key]) && hc[key] >= 2 && hc[key] <= 10, `healthCheck.${key}`, `must be 2-10, got ${show(hc[key])}`);
    }
    if (typeof hc.path === "string") {
        // An outside probe of the api (Route53) requests this path by the ALB's name: it must fall through to the api default action.
        const stolen = paths.find((pattern) => typeof pattern === "string" && albPathMatches(pattern, hc.path));
        p.check(stolen === undefined, "healthCheck.path",
            `${show(hc.path)} matches ws path pattern ${show(stolen)}, so a probe of the api on the load balancer would reach the ws pods; pick an api health path outside wsPaths`);
        p.check(hc.path !== probe, "wsProbePath", `must differ from healthCheck.path (${show(hc.path)}), which probes the api`);
    }

    const dereg = args.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS;
    p.check(isInt(dereg) && dereg >= 0 && dereg <= 3600, "deregistrationDelaySeconds", `must be 0-3600 seconds, got ${show(dereg)}`);
    const sticky = args.stickinessSeconds ?? DEFAULT_STICKINESS_SECONDS;
    p.check(isInt(sticky) && sticky >= 1 && sticky <= 604800, "stickinessSeconds", `must be 1-604800 seconds (7 days), got ${show(sticky)}`);
    const ssl = args.sslPolicy ?? DEFAULT_SSL_POLICY;
    p.check(/^ELBSecurityPolicy-(TLS13|FS)-/.test(ssl), "sslPolicy", `must be a forward-secret ELB policy ("ELBSecurityPolicy-TLS13-..." or "ELBSecurityPolicy-FS-..."), got ${show(ssl)}`);

    const rps = args.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND;
    const window = args.rateLimitWindowSeconds ?? DEFAULT_RATE_LIMIT_WINDOW_SECONDS;
    const burst = args.rateLimitBurst ?? DEFAULT_RATE_LIMIT_BURST;
    const rpsOk = p.check(isInt(rps) && rps >= 1, "rateLimitPerSecond", `must be a whole number of requests per second >= 1, got ${show(rps)}`);
    const windowOk = p.check((WAF_WINDOWS as readonly number[]).includes(window), "rateLimitWindowSeconds", `must be one of WAF's windows ${WAF_WINDOWS.join(", ")}, got ${show(window)}`);
    if (rpsOk && windowOk) {
        const limit = wafRateLimit(rps, window);
        p.check(limit >= WAF_MIN_LIMIT && limit <= WAF_MAX_LIMIT, "rateLimitPerSecond",
            `gives a WAF limit of ${limit} per ${window} s; WAF accepts ${WAF_MIN_LIMIT}-${WAF_MAX_LIMIT}`);
        p.check(isInt(burst) && burst >= 0 && burst <= limit, "rateLimitBurst",
            `must be 0-${limit} (the WAF limit per ${window} s window, which already admits any burst within it), got ${show(burst)}`);
    }
    const retention = args.accessLogRetentionDays ?? DEFAULT_ACCESS_LOG_RETENTION_DAYS;
    p.check(isInt(retention) && retention >= 1, "accessLogRetentionDays", `must be a whole number of days >= 1, got ${show(retention)}`);
    const ipType = args.ipAddressType ?? "ipv4";
    p.check(ipType === "ipv4" || ipType === "dualstack", "ipAddressType", `must be "ipv4" or "dualstack", got ${show(ipType)}`);
    return p;
}

// ---------------------------------------------------------------------------------------------
// Component.
// ---------------------------------------------------------------------------------------------

/**
 * One region's public entry point: an internet-facing Application Load Balancer in the public subnets.
 *
 * - HTTPS (TLS 1.3 policy) with a DNS-validated ACM certificate for `api.<domain>` and `ws.<domain>`;
 *   HTTP on port 80 only answers 301 to HTTPS.
 * - Target group `api` (default action): least outstanding requests (the seeds' `least_conn`), health
 *   check `/health` every 10 s, timeout 5 s, unhealthy 3 / healthy 2, deregistration delay.
 * - Target group `ws`: `lb_cookie` stickiness (Socket.IO's long-polling fallback must return to the same
 *   pod: with IP targets the cookie names the pod itself), reached by host `ws.<domain>`, by each of `wsPaths`
 *   on any host, and by the exact `wsProbePath` (`/ws/health`) on any host, which lets a Route53 health check
 *   probe the ws pods.
 * - Targets: pod IPs (`targetType: "ip"`) on the container ports. This component registers nothing: the AWS
 *   Load Balancer Controller in the cluster does, through one `TargetGroupBinding` per target group
 *   (`TargetGroupBindings` in components/load-balancer-controller.ts), as pods become ready or terminate.
 * - Security groups: the ALB accepts 80/443 from the internet and may only reach the nodes' security group
 *   (which the pod IPs carry) on the two container ports; that group accepts those ports from the ALB only.
 *   Pulumi owns these rules; the controller's `TargetGroupBinding.spec.networking` is left unset so it
 *   manages no security group rules and needs no EC2 write permission.
 * - WAF v2: a per-client-IP rate-based rule (seed 004) and the AWS managed common rule set.
 * - Access logs to an SSE-S3 encrypted, private bucket with a lifecycle expiry (ELB log delivery
 *   supports SSE-S3 only); `drop_invalid_header_fields`; optional deletion protection.
 *
 * Pass the region's `aws.Provider` in `opts.provider`; every child uses it.
 */
export class LoadBalancer extends pulumi.ComponentResource {
    public readonly loadBalancer: aws.lb.LoadBalancer;
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly arnSuffix: pulumi.Output<string>;
    public readonly dnsName: pulumi.Output<string>;
    /** Route53 zone id of the ALB's DNS name, for alias records. */
    public readonly zoneId: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly certificateArn: pulumi.Output<string>;
    public readonly apiTargetGroup: aws.lb.TargetGroup;
    public readonly wsTargetGroup: aws.lb.TargetGroup;
    /** Target group ARN suffixes keyed `api` / `ws` (CloudWatch dimensions). */
    public readonly targetGroupArnSuffixes: Readonly<Record<"api" | "ws", pulumi.Output<string>>>;
    /** Target group ARNs keyed `api` / `ws`: what each `TargetGroupBinding` points at (unknown in a first preview). */
    public readonly targetGroupArns: Readonly<Record<"api" | "ws", pulumi.Output<string>>>;
    /** Container port each target group sends to, keyed `api` / `ws`. */
    public readonly targetPorts: Readonly<Record<"api" | "ws", number>>;
    public readonly httpsListenerArn: pulumi.Output<string>;
    public readonly webAclArn: pulumi.Output<string>;
    public readonly accessLogBucket: pulumi.Output<string>;
    /** The `limit` of the WAF rate-based rule (requests per client IP per window). */
    public readonly rateLimit: number;
    /** Fully qualified names served: `{ api, ws }`. */
    public readonly hostnames: { readonly api: string; readonly ws: string };
    /** The exact path the listener sends to the ws target group on any host (see `wsProbePath`). */
    public readonly wsProbePath: string;
    /**
     * Path an outside health check requests on this ALB (by its DNS name) to reach each service:
     * `{ api: healthCheck.path, ws: wsProbePath }`. Feed them to `WeightedDns.healthCheckPaths`.
     */
    public readonly probePaths: { readonly api: string; readonly ws: string };

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        validateLoadBalancerArgs(name, args).throwIfAny(`LoadBalancer "${name}"`);
        super("scaled-web:edge:LoadBalancer", name, {}, opts);

        const child = { parent: this };
        const tags = args.tags ?? {};
        const hosts = edgeHostnames(args.domain, args.apiHostname, args.wsHostname);
        const wsPaths = args.wsPaths ?? DEFAULT_WS_PATHS;
        const hc = { ...DEFAULT_TARGET_HEALTH_CHECK, ...(args.healthCheck ?? {}) };
        const dualstack = (args.ipAddressType ?? "ipv4") === "dualstack";
        const deletionProtection = args.deletionProtection ?? false;
        const window = args.rateLimitWindowSeconds ?? DEFAULT_RATE_LIMIT_WINDOW_SECONDS;
        this.rateLimit = wafRateLimit(args.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND, window);
        this.hostnames = hosts;
        this.wsProbePath = args.wsProbePath ?? DEFAULT_WS_PROBE_PATH;
        this.probePaths = { api: hc.path, ws: this.wsProbePath };

        const zoneId = args.hostedZoneId !== undefined
            ? pulumi.output(args.hostedZoneId)
            : aws.route53.getZoneOutput({ name: args.domain, privateZone: false }, child).zoneId;

        // --- Security groups -------------------------------------------------------------------
        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: `ALB ${name}: 80/443 from the internet, container ports to the pods`,
            revokeRulesOnDelete: true,
            tags: { ...tags, Name: `${name}-alb` },
        }, child);
        const sources: [string, { cidrIpv4?: string; cidrIpv6?: string }][] = [["ipv4", { cidrIpv4: "0.0.0.0/0" }]];
        if (dualstack) {
            sources.push(["ipv6", { cidrIpv6: "::/0" }]);
        }
        for (const port of [80, 443]) {
            for (const [family, cidr] of sources) {
                new aws.vpc.SecurityGroupIngressRule(`${name}-in-${port}-${family}`, {
                    securityGroupId: sg.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    ...cidr,
                    description: port === 80 ? "HTTP (redirected to HTTPS)" : "HTTPS",
                    tags,
                }, child);
            }
        }
        // ALB -> pods on the container ports only. Pod IPs come from the nodes' ENIs (VPC CNI without security
        // groups for pods), so the pods carry the node security group: one rule per distinct port there, sourced
        // from the ALB's group. Chosen over security groups for pods (ENABLE_POD_ENI, trunk ENIs, per-pod
        // SecurityGroupPolicy, instance-type limits) and over the controller's TargetGroupBinding `networking` rules
        // (which would need ec2:AuthorizeSecurityGroupIngress/Revoke on the node group for the controller): the
        // ports are static config, so Pulumi owns the rules, preview shows them and the policy pack checks them.
        for (const [key, port] of albTargetPorts(args.apiContainerPort, args.wsContainerPort)) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-out-${key}`, {
                securityGroupId: sg.id,
                referencedSecurityGroupId: args.nodeSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `${key} pods (container port ${port})`,
                tags,
            }, child);
            new aws.vpc.SecurityGroupIngressRule(`${name}-pods-in-${key}`, {
                securityGroupId: args.nodeSecurityGroupId,
                referencedSecurityGroupId: sg.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `${key} container port from ALB ${name}`,
                tags,
            }, child);
        }

        // --- Access logs -----------------------------------------------------------------------
        const logs = new aws.s3.Bucket(`${name}-logs`, {
            forceDestroy: !deletionProtection,
            tags,
        }, child);
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-logs`, {
            bucket: logs.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, child);
        const publicBlock = new aws.s3.BucketPublicAccessBlock(`${name}-logs`, {
            bucket: logs.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-logs`, {
            bucket: logs.id,
            // ELB access log delivery supports SSE-S3 only, not SSE-KMS.
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, child);
        new aws.s3.BucketLifecycleConfiguration(`${name}-logs`, {
            bucket: logs.id,
            rules: [{
                id: "expire-access-logs",
                status: "Enabled",
                filter: { prefix: `${ACCESS_LOG_PREFIX}/` },
                expiration: { days: args.accessLogRetentionDays ?? DEFAULT_ACCESS_LOG_RETENTION_DAYS },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            }],
        }, child);
        const account = aws.getCallerIdentityOutput({}, child).accountId;
        const logPolicy = new aws.s3.BucketPolicy(`${name}-logs`, {
            bucket: logs.id,
            policy: pulumi.all([logs.arn, account]).apply(([arn, accountId]) => accessLogBucketPolicy(arn, accountId)),
        }, {
            ...child,
            // order: S3 refuses concurrent configuration changes to one bucket (OperationAborted, "A
            // conflicting conditional operation is currently in progress"), and a policy written before the
            // public access block and ownership settings are in place can be rejected by them; the policy
            // references only the bucket.
            dependsOn: [publicBlock, ownership],
        });

        // --- Certificate -----------------------------------------------------------------------
        const cert = new aws.acm.Certificate(`${name}-cert`, {
            domainName: hosts.api,
            subjectAlternativeNames: [hosts.ws],
            validationMethod: "DNS",
            options: { certificateTransparencyLoggingPreference: "ENABLED" },
            tags,
        }, child);
        const validationRecords = (["api", "ws"] as const).map((svc) => {
            const option = cert.domainValidationOptions.apply((opts) => {
                const found = opts.find((o) => o.domainName === hosts[svc]);
                if (!found) {
                    throw new Error(`ACM returned no DNS validation option for ${hosts[svc]}`);
                }
                return found;
            });
            return new aws.route53.Record(`${name}-cert-${svc}`, {
                zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 300,
                allowOverwrite: true,
            }, { ...child, retainOnDelete: args.retainValidationRecords ?? true });
        });
        const validation = new aws.acm.CertificateValidation(`${name}-cert`, {
            certificateArn: cert.arn,
            validationRecordFqdns: validationRecords.map((r) => r.fqdn),
        }, child);

        // --- Load balancer ---------------------------------------------------------------------
        this.loadBalancer = new aws.lb.LoadBalancer(`${name}-alb`, {
            loadBalancerType: "application",
            internal: false,
            ipAddressType: dualstack ? "dualstack" : "ipv4",
            subnets: [...args.subnetIds],
            securityGroups: [sg.id],
            idleTimeout: args.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
            dropInvalidHeaderFields: true,
            enableDeletionProtection: deletionProtection,
            enableHttp2: true,
            accessLogs: { bucket: logs.bucket, prefix: ACCESS_LOG_PREFIX, enabled: true },
            tags: { ...tags, Name: `${name}-alb` },
        }, {
            ...child,
            // order: enabling access logs makes ELB check it may write to the bucket (the bucket policy);
            // without it the attributes fail with "InvalidConfigurationRequest: Access Denied for bucket: ...
            // Please check S3bucket permission" (kubernetes-sigs/aws-load-balancer-controller#1956). The ALB
            // references only the bucket's name, not its policy.
            dependsOn: [logPolicy],
        });

        const healthCheck = {
            enabled: true,
            path: hc.path,
            port: "traffic-port",
            protocol: "HTTP",
            matcher: "200",
            interval: hc.intervalSeconds,
            timeout: hc.timeoutSeconds,
            healthyThreshold: hc.healthyThreshold,
            unhealthyThreshold: hc.unhealthyThreshold,
        };
        const deregistrationDelay = args.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS;
        // IP targets: the controller registers pod IPs on the container port; the health check hits the pod's own
        // /health on that port ("traffic-port"). The ALB cookie on the ws group then pins a browser to one pod.
        const tgTags = pulumi.output(args.targetClusterName).apply((cluster) => ({ ...tags, [TARGET_CLUSTER_TAG]: cluster }));
        this.apiTargetGroup = new aws.lb.TargetGroup(`${name}-api`, {
            vpcId: args.vpcId,
            targetType: "ip",
            ipAddressType: "ipv4",
            protocol: "HTTP",
            port: args.apiContainerPort,
            loadBalancingAlgorithmType: "least_outstanding_requests",
            deregistrationDelay,
            healthCheck,
            tags: tgTags.apply((t) => ({ ...t, Name: `${name}-api` })),
        }, child);
        this.wsTargetGroup = new aws.lb.TargetGroup(`${name}-ws`, {
            vpcId: args.vpcId,
            targetType: "ip",
            ipAddressType: "ipv4",
            protocol: "HTTP",
            port: args.wsContainerPort,
            loadBalancingAlgorithmType: "round_robin",
            deregistrationDelay,
            healthCheck,
            stickiness: { enabled: true, type: "lb_cookie", cookieDuration: args.stickinessSeconds ?? DEFAULT_STICKINESS_SECONDS },
            tags: tgTags.apply((t) => ({ ...t, Name: `${name}-ws` })),
        }, child);

        // --- Listeners -------------------------------------------------------------------------
        new aws.lb.Listener(`${name}-http`, {
            loadBalancerArn: this.loadBalancer.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
            tags,
        }, child);
        const https = new aws.lb.Listener(`${name}-https`, {
            loadBalancerArn: this.loadBalancer.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: args.sslPolicy ?? DEFAULT_SSL_POLICY,
            certificateArn: validation.certificateArn,
            defaultActions: [{ type: "forward", targetGroupArn: this.apiTargetGroup.arn }],
            tags,
        }, child);
        const toWs = [{ type: "forward", targetGroupArn: this.wsTargetGroup.arn }];
        new aws.lb.ListenerRule(`${name}-ws-probe`, {
            listenerArn: https.arn,
            priority: WS_PROBE_RULE_PRIORITY,
            conditions: [{ pathPattern: { values: [this.wsProbePath] } }],
            actions: toWs,
            tags,
        }, child);
        new aws.lb.ListenerRule(`${name}-ws-host`, {
            listenerArn: https.arn,
            priority: 10,
            conditions: [{ hostHeader: { values: [hosts.ws] } }],
            actions: toWs,
            tags,
        }, child);
        wsPaths.forEach((path, i) => {
            new aws.lb.ListenerRule(`${name}-ws-path-${pathRuleKey(path)}`, {
                listenerArn: https.arn,
                priority: 100 + i,
                conditions: [{ pathPattern: { values: [path] } }],
                actions: toWs,
                tags,
            }, child);
        });

        // --- WAF -------------------------------------------------------------------------------
        const metric = (suffix: string) => `${name}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 128);
        const acl = new aws.wafv2.WebAcl(`${name}-waf`, {
            scope: "REGIONAL",
            description: `Rate limit per client IP and AWS common rules for ALB ${name}`,
            defaultAction: { allow: {} },
            rules: [
                {
                    name: "rate-limit-per-ip",
                    priority: 0,
                    action: { block: {} },
                    statement: {
                        rateBasedStatement: {
                            aggregateKeyType: "IP",
                            limit: this.rateLimit,
                            evaluationWindowSec: window,
                        },
                    },
                    visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metric("rate-limit") },
                },
                {
                    name: "aws-common-rule-set",
                    priority: 1,
                    overrideAction: { none: {} },
                    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } },
                    visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metric("common-rules") },
                },
            ],
            visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metric("waf") },
            tags,
        }, child);
        new aws.wafv2.WebAclAssociation(`${name}-waf`, {
            resourceArn: this.loadBalancer.arn,
            webAclArn: acl.arn,
        }, child);

        this.loadBalancerArn = this.loadBalancer.arn;
        this.arnSuffix = this.loadBalancer.arnSuffix;
        this.dnsName = this.loadBalancer.dnsName;
        this.zoneId = this.loadBalancer.zoneId;
        this.securityGroupId = sg.id;
        this.certificateArn = validation.certificateArn;
        this.targetGroupArnSuffixes = { api: this.apiTargetGroup.arnSuffix, ws: this.wsTargetGroup.arnSuffix };
        this.targetGroupArns = { api: this.apiTargetGroup.arn, ws: this.wsTargetGroup.arn };
        this.targetPorts = { api: args.apiContainerPort, ws: args.wsContainerPort };
        this.httpsListenerArn = https.arn;
        this.webAclArn = acl.arn;
        this.accessLogBucket = logs.bucket;

        this.registerOutputs({
            loadBalancerArn: this.loadBalancerArn,
            arnSuffix: this.arnSuffix,
            dnsName: this.dnsName,
            zoneId: this.zoneId,
            securityGroupId: this.securityGroupId,
            certificateArn: this.certificateArn,
            targetGroupArnSuffixes: this.targetGroupArnSuffixes,
            targetGroupArns: this.targetGroupArns,
            httpsListenerArn: this.httpsListenerArn,
            webAclArn: this.webAclArn,
            accessLogBucket: this.accessLogBucket,
        });
    }
}

/**
 * Bucket policy for ALB access logs: the regional ELB log delivery service may write under
 * `<prefix>/AWSLogs/<account>/` only, and every request must use TLS.
 */
export function accessLogBucketPolicy(bucketArn: string, accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ElbLogDelivery",
                Effect: "Allow",
                Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: `${bucketArn}/${ACCESS_LOG_PREFIX}/AWSLogs/${accountId}/*`,
            },
            denyInsecureTransport(bucketArn),
        ],
    });
}
