import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_NAME, Problems, show } from "./validation";

export const DEFAULT_DNS_HOSTNAMES: readonly string[] = ["api", "ws"];
export const DEFAULT_DNS_HEALTH_CHECK_PATH = "/health";
/** Route53 "fast" interval: a failed region is noticed in ~30 s (3 x 10 s) instead of ~90 s. */
export const DEFAULT_DNS_HEALTH_CHECK_INTERVAL_SECONDS: HealthCheckIntervalSeconds = 10;
/** Seeds 001/002: three consecutive failures take a target out. */
export const DEFAULT_DNS_FAILURE_THRESHOLD = 3;
/** Route53 weights are integers 0-255. */
export const ROUTE53_MAX_WEIGHT = 255;

/** The only two request intervals Route53 health checks support. */
export type HealthCheckIntervalSeconds = 10 | 30;

/** One region's entry: where its traffic goes and what share of it. */
export interface WeightedDnsRegion {
    /**
     * Relative weight, an integer 0-255 (Route53). 0 drains the region: Route53 answers with it only when
     * every region with a non-zero weight is unhealthy, which makes it a warm standby.
     */
    readonly weight: number;
    /** DNS name of the region's load balancer (alias target, and what the health checks probe). */
    readonly dnsName: pulumi.Input<string>;
    /** Route53 zone id of that DNS name (the ALB's canonical hosted zone). */
    readonly zoneId: pulumi.Input<string>;
}

export interface WeightedDnsArgs {
    /** Apex DNS name, e.g. `example.com`; records are `<hostname>.<domain>`. */
    readonly domain: string;
    /**
     * Public hosted zone of `domain`.
     * @default looked up by name (`aws.route53.getZone({ name: domain })`)
     */
    readonly hostedZoneId?: pulumi.Input<string>;
    /** Labels under `domain` that get one weighted record per region. @default ["api", "ws"] */
    readonly hostnames?: readonly string[];
    /** Regions keyed by name (the key is the records' `setIdentifier`). */
    readonly regions: Readonly<Record<string, WeightedDnsRegion>>;
    /** HTTPS path the health checks request, for every hostname not in `healthCheckPaths`. @default "/health" */
    readonly healthCheckPath?: string;
    /**
     * HTTPS path per hostname label, e.g. `{ api: "/health", ws: "/ws/health" }`. Every hostname gets its
     * own health check per region, and its records use it, so a region whose ws service is down leaves
     * `ws.<domain>` while it stays in `api.<domain>`. The path must reach that hostname's own service on the
     * region's load balancer when requested by the load balancer's DNS name (the Host header a Route53
     * check sends): `LoadBalancer.probePaths` gives them. @default `healthCheckPath` for each hostname
     */
    readonly healthCheckPaths?: Readonly<Record<string, string>>;
    /** Seconds between checks from each Route53 checker: 10 or 30. @default 10 */
    readonly healthCheckIntervalSeconds?: HealthCheckIntervalSeconds;
    /** Consecutive failures (1-10) before a region counts as unhealthy. @default 3 */
    readonly failureThreshold?: number;
    /** Also publish AAAA alias records (when the load balancers are dual-stack). @default false */
    readonly ipv6?: boolean;
    /** Tags for the health checks. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

/** Checks plain WeightedDns args; returns the problems found (empty when valid). */
export function validateWeightedDnsArgs(args: WeightedDnsArgs): Problems {
    const p = new Problems();
    p.check(typeof args.domain === "string" && DNS_NAME.test(args.domain), "domain", `must be a lower-case DNS name such as "example.com", got ${show(args.domain)}`);
    const hostnames = args.hostnames ?? DEFAULT_DNS_HOSTNAMES;
    p.check(hostnames.length >= 1, "hostnames", "must list at least one label, e.g. [\"api\"]");
    hostnames.forEach((h, i) => p.check(DNS_LABEL.test(h), `hostnames[${i}]`, `must be a DNS label such as "api", got ${show(h)}`));
    p.check(new Set(hostnames).size === hostnames.length, "hostnames", `must not repeat a label, got ${show(hostnames)}`);

    const names = Object.keys(args.regions ?? {});
    p.check(names.length >= 1, "regions", "must name at least one region, e.g. { \"us-east-1\": { weight: 100, dnsName, zoneId } }");
    for (const name of names) {
        p.check(/^[A-Za-z0-9-]{1,64}$/.test(name), `regions.${name}`, `key must be a region name (letters, digits, '-'; it is the records' setIdentifier), got ${show(name)}`);
        const w = args.regions[name].weight;
        p.check(isInt(w) && w >= 0 && w <= ROUTE53_MAX_WEIGHT, `regions.${name}.weight`, `must be a whole number 0-${ROUTE53_MAX_WEIGHT} (Route53 weight; 0 drains the region), got ${show(w)}`);
    }
    if (names.length > 0 && names.every((n) => args.regions[n].weight === 0)) {
        p.add("regions", `at least one region needs a weight above 0; all are 0 (${names.join(", ")}), and Route53 would then spread traffic evenly, ignoring the drain`);
    }

    const validPath = (v: unknown): boolean => typeof v === "string" && v.startsWith("/") && v.length <= 255;
    const path = args.healthCheckPath ?? DEFAULT_DNS_HEALTH_CHECK_PATH;
    p.check(validPath(path), "healthCheckPath", `must be a path starting with "/" (at most 255 characters), got ${show(path)}`);
    for (const [host, hostPath] of Object.entries(args.healthCheckPaths ?? {})) {
        p.check(hostnames.includes(host), `healthCheckPaths.${host}`, `names no published hostname (${hostnames.join(", ")}); key the paths by hostname label`);
        p.check(validPath(hostPath), `healthCheckPaths.${host}`, `must be a path starting with "/" (at most 255 characters), got ${show(hostPath)}`);
    }
    const interval = args.healthCheckIntervalSeconds ?? DEFAULT_DNS_HEALTH_CHECK_INTERVAL_SECONDS;
    p.check(interval === 10 || interval === 30, "healthCheckIntervalSeconds", `must be 10 or 30 (the only Route53 request intervals), got ${show(interval)}`);
    const threshold = args.failureThreshold ?? DEFAULT_DNS_FAILURE_THRESHOLD;
    p.check(isInt(threshold) && threshold >= 1 && threshold <= 10, "failureThreshold", `must be 1-10, got ${show(threshold)}`);
    return p;
}

/** Each region's share of traffic in percent (for reports), e.g. `{ "us-east-1": 70, "us-west-2": 30 }`. */
export function trafficShares(regions: Readonly<Record<string, { weight: number }>>): Record<string, number> {
    const total = Object.values(regions).reduce((s, r) => s + r.weight, 0);
    return Object.fromEntries(Object.entries(regions).map(([n, r]) => [n, total === 0 ? 0 : Math.round((r.weight / total) * 10000) / 100]));
}

/** Key of a hostname's health check in one region: `api-us-east-1`. */
export function healthCheckKey(hostname: string, region: string): string {
    return `${hostname}-${region}`;
}

/**
 * Weighted multi-region DNS: for every hostname (`api.<domain>`, `ws.<domain>`) one alias record per
 * region with `weightedRoutingPolicy = weight`, `setIdentifier = region`, and that hostname's own health
 * check in that region attached, so a region whose service fails drops out of that hostname's answers
 * only (`evaluateTargetHealth` also drops a region whose ALB has no healthy targets at all).
 *
 * Each hostname gets one HTTPS health check per region on the region's load balancer's own DNS name (not
 * `ws.<domain>`, which would resolve through these very records and probe whichever region DNS picked).
 * Without an IP address, Route53 resolves that name and sends it as the Host header and SNI name (Route53
 * API reference, HealthCheckConfig.FullyQualifiedDomainName), so host-based listener rules never match a
 * check: its path (`healthCheckPaths`) is what must steer it to the hostname's own service. Route53
 * health checkers do not validate the certificate, so the ALB's name works although the certificate is
 * for `api.<domain>`/`ws.<domain>`.
 *
 * Route53 is a global service: records and health checks may be created through any region's provider.
 * Pass the primary region's `aws.Provider` in `opts.provider` so they live with the rest of the primary
 * region's resources and do not move when a secondary region is added or removed.
 */
export class WeightedDns extends pulumi.ComponentResource {
    /** Health check id per hostname and region, keyed `<hostname>-<region>` (`api-us-east-1`, `ws-us-east-1`). */
    public readonly healthCheckIds: Record<string, pulumi.Output<string>>;
    /** Fully qualified names published, e.g. `["api.example.com", "ws.example.com"]`. */
    public readonly fqdns: readonly string[];
    /** Records keyed `<hostname>-<region>` (and `<hostname>-<region>-aaaa` with ipv6). */
    public readonly records: Readonly<Record<string, aws.route53.Record>>;
    public readonly zoneId: pulumi.Output<string>;

    constructor(name: string, args: WeightedDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        validateWeightedDnsArgs(args).throwIfAny(`WeightedDns "${name}"`);
        super("scaled-web:edge:WeightedDns", name, {}, opts);

        const child = { parent: this };
        const hostnames = args.hostnames ?? DEFAULT_DNS_HOSTNAMES;
        const tags = args.tags ?? {};
        this.zoneId = args.hostedZoneId !== undefined
            ? pulumi.output(args.hostedZoneId)
            : aws.route53.getZoneOutput({ name: args.domain, privateZone: false }, child).zoneId;

        this.healthCheckIds = {};
        for (const host of hostnames) {
            const resourcePath = args.healthCheckPaths?.[host] ?? args.healthCheckPath ?? DEFAULT_DNS_HEALTH_CHECK_PATH;
            for (const [region, target] of Object.entries(args.regions)) {
                const key = healthCheckKey(host, region);
                const check = new aws.route53.HealthCheck(`${name}-${key}`, {
                    type: "HTTPS",
                    fqdn: target.dnsName,
                    port: 443,
                    resourcePath,
                    requestInterval: args.healthCheckIntervalSeconds ?? DEFAULT_DNS_HEALTH_CHECK_INTERVAL_SECONDS,
                    failureThreshold: args.failureThreshold ?? DEFAULT_DNS_FAILURE_THRESHOLD,
                    enableSni: true,
                    tags: { ...tags, Name: `${name}-${key}`, region, hostname: host },
                }, child);
                this.healthCheckIds[key] = check.id;
            }
        }

        const records: Record<string, aws.route53.Record> = {};
        const types: ("A" | "AAAA")[] = args.ipv6 ? ["A", "AAAA"] : ["A"];
        for (const host of hostnames) {
            for (const [region, target] of Object.entries(args.regions)) {
                for (const type of types) {
                    const key = `${host}-${region}${type === "AAAA" ? "-aaaa" : ""}`;
                    records[key] = new aws.route53.Record(`${name}-${key}`, {
                        zoneId: this.zoneId,
                        name: `${host}.${args.domain}`,
                        type,
                        setIdentifier: region,
                        weightedRoutingPolicies: [{ weight: target.weight }],
                        healthCheckId: this.healthCheckIds[healthCheckKey(host, region)],
                        aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }],
                    }, child);
                }
            }
        }
        this.records = records;
        this.fqdns = hostnames.map((h) => `${h}.${args.domain}`);

        this.registerOutputs({ healthCheckIds: this.healthCheckIds, fqdns: this.fqdns, zoneId: this.zoneId });
    }
}
