/**
 * Edge guardrails: HTTPS-only load balancer listeners, nothing open to the internet except an ALB's
 * 80/443, and weighted DNS that only sends traffic to healthy regions.
 *
 * Load balancer types are matched on the current `aws:lb/...` tokens and their `aws:alb/...` aliases
 * (the deprecated awsguard pack matched `aws:elasticloadbalancingv2/...`, which @pulumi/aws v6+ never registers).
 */
import * as aws from "@pulumi/aws";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf, identitiesOf, label, matchesAny, refersTo } from "./common";

/** TLS 1.3 (with 1.2 fallback) and forward-secret policies only. */
export const DEFAULT_ALLOWED_SSL_POLICIES: readonly string[] = ["ELBSecurityPolicy-TLS13-*", "ELBSecurityPolicy-FS-1-2-*"];
export const DEFAULT_PUBLIC_PORTS: readonly number[] = [80, 443];
/** Listener protocols of network/gateway load balancers, which this HTTP policy does not judge. */
const NON_HTTP_PROTOCOLS = new Set(["TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"]);

interface ListenerConfig {
    allowedSslPolicies: string[];
}

function checkListener(listener: any, name: string, cfg: ListenerConfig, report: (m: string) => void): void {
    const protocol = String(listener.protocol ?? "HTTP").toUpperCase();
    if (NON_HTTP_PROTOCOLS.has(protocol)) {
        return;
    }
    const what = `Load balancer listener "${name}" (${protocol}:${listener.port ?? "?"})`;
    if (protocol === "HTTPS") {
        if (!listener.certificateArn) {
            report(`${what} must name its TLS certificate (certificateArn).`);
        }
        const ssl = listener.sslPolicy;
        if (typeof ssl !== "string" || !matchesAny(ssl, cfg.allowedSslPolicies)) {
            report(`${what} must use an SSL policy matching ${cfg.allowedSslPolicies.join(" or ")}, got ${ssl === undefined ? "unset (the 2016 default allows TLS 1.0)" : JSON.stringify(ssl)}.`);
        }
        return;
    }
    const actions: any[] = listener.defaultActions ?? [];
    const redirectsOnly = actions.length > 0 && actions.every((a) => a?.type === "redirect" && String(a?.redirect?.protocol ?? "").toUpperCase() === "HTTPS");
    if (!redirectsOnly) {
        const types = actions.map((a) => a?.type === "redirect" ? `redirect to ${a?.redirect?.protocol ?? "#{protocol}"}` : a?.type).join(", ") || "none";
        report(`${what} must be HTTPS, or HTTP whose only default action redirects to HTTPS; got default actions: ${types}.`);
    }
}

export const albListenerHttps: ResourceValidationPolicy = {
    name: "alb-listener-https",
    description: "Application load balancer listeners (aws:lb/listener and aws:alb/listener) must be HTTPS with a certificate " +
        "and a modern SSL policy (`allowedSslPolicies`, default TLS 1.3 / forward-secret), or plain HTTP that only " +
        "redirects to HTTPS: credentials and session cookies never cross the internet in clear text.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedSslPolicies: { type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_SSL_POLICIES], description: "ELB SSL policy name patterns." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.lb.Listener, (l, args, report) =>
            checkListener(l, args.name, configOf<ListenerConfig>(args, { allowedSslPolicies: [...DEFAULT_ALLOWED_SSL_POLICIES] }), report)),
        validateResourceOfType(aws.alb.Listener, (l, args, report) =>
            checkListener(l, args.name, configOf<ListenerConfig>(args, { allowedSslPolicies: [...DEFAULT_ALLOWED_SSL_POLICIES] }), report)),
    ],
};

/** One ingress permission, from whichever of the three resources that express it. */
interface IngressRule {
    readonly source: PolicyResource;
    /** The security group it opens, when known. */
    readonly group?: PolicyResource;
    readonly protocol: string;
    readonly fromPort?: number;
    readonly toPort?: number;
    readonly worldCidrs: string[];
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

function world(cidrs: unknown): string[] {
    return (Array.isArray(cidrs) ? cidrs : [cidrs]).filter((c): c is string => typeof c === "string" && WORLD.has(c));
}

/** Every ingress rule of the stack that admits the whole internet. */
export function worldIngressRules(resources: readonly PolicyResource[]): IngressRule[] {
    const groups = resources.filter((r) => r.isType(aws.ec2.SecurityGroup));
    // A CIDR rule names exactly one group, the one it opens: found by id when the props carry ids,
    // otherwise through the rule's dependency on it.
    const groupOf = (rule: PolicyResource, id: unknown): PolicyResource | undefined => {
        const linked = groups.filter((g) => refersTo(rule, g, [id]));
        return linked.find((g) => typeof id === "string" && identitiesOf(g).has(id)) ?? linked[0];
    };
    const out: IngressRule[] = [];
    for (const r of resources) {
        const p = r.props ?? {};
        if (r.isType(aws.ec2.SecurityGroup)) {
            for (const rule of p.ingress ?? []) {
                const cidrs = [...world(rule?.cidrBlocks ?? []), ...world(rule?.ipv6CidrBlocks ?? [])];
                if (cidrs.length) {
                    out.push({ source: r, group: r, protocol: String(rule.protocol ?? "-1"), fromPort: rule.fromPort, toPort: rule.toPort, worldCidrs: cidrs });
                }
            }
        } else if (r.isType(aws.ec2.SecurityGroupRule) && p.type === "ingress") {
            const cidrs = [...world(p.cidrBlocks ?? []), ...world(p.ipv6CidrBlocks ?? [])];
            if (cidrs.length) {
                out.push({ source: r, group: groupOf(r, p.securityGroupId), protocol: String(p.protocol ?? "-1"), fromPort: p.fromPort, toPort: p.toPort, worldCidrs: cidrs });
            }
        } else if (r.isType(aws.vpc.SecurityGroupIngressRule)) {
            const cidrs = [...world(p.cidrIpv4), ...world(p.cidrIpv6)];
            if (cidrs.length) {
                out.push({ source: r, group: groupOf(r, p.securityGroupId), protocol: String(p.ipProtocol ?? "-1"), fromPort: p.fromPort, toPort: p.toPort, worldCidrs: cidrs });
            }
        }
    }
    return out;
}

/** Security groups attached to an application load balancer (aws:lb or aws:alb, type application). */
export function albSecurityGroups(resources: readonly PolicyResource[]): PolicyResource[] {
    const albs = resources.filter((r) => (r.isType(aws.lb.LoadBalancer) || r.isType(aws.alb.LoadBalancer)) &&
        String(r.props?.loadBalancerType ?? "application") === "application");
    return resources.filter((g) => g.isType(aws.ec2.SecurityGroup) &&
        albs.some((lb) => (lb.props?.securityGroups ?? []).length > 0 && refersTo(lb, g, lb.props.securityGroups)));
}

interface IngressConfig {
    allowedPorts: number[];
}

export const securityGroupPublicIngress: StackValidationPolicy = {
    name: "security-group-public-ingress",
    description: "Security groups may admit 0.0.0.0/0 or ::/0 only on `allowedPorts` (default 80 and 443, TCP) and only when " +
        "the group belongs to an application load balancer: nodes, databases and caches are reached through the ALB " +
        "or from inside the VPC, never straight from the internet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedPorts: { type: "array", items: { type: "integer", minimum: 0, maximum: 65535 }, default: [...DEFAULT_PUBLIC_PORTS], description: "Ports an ALB may open to the world." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<IngressConfig>(args, { allowedPorts: [...DEFAULT_PUBLIC_PORTS] });
        const albGroups = new Set(albSecurityGroups(args.resources).map((g) => g.urn));
        for (const rule of worldIngressRules(args.resources)) {
            const what = `${label(rule.source)}${rule.group && rule.group !== rule.source ? ` (security group ${rule.group.name})` : ""}`;
            const cidrs = rule.worldCidrs.join(", ");
            const protocol = rule.protocol.toLowerCase();
            const portText = protocol === "-1" || protocol === "all" ? "all traffic" : `${protocol} ${rule.fromPort}-${rule.toPort}`;
            const singleAllowedPort = (protocol === "tcp" || protocol === "6") && rule.fromPort === rule.toPort && cfg.allowedPorts.includes(rule.fromPort ?? -1);
            if (!singleAllowedPort) {
                report(`${what} must not open ${portText} to ${cidrs}; only ${cfg.allowedPorts.join("/")} (tcp) of an ALB may be public.`, rule.source.urn);
            } else if (!rule.group || !albGroups.has(rule.group.urn)) {
                report(`${what} opens tcp ${rule.fromPort} to ${cidrs} but its security group is not attached to an application load balancer.`, rule.source.urn);
            }
        }
    },
};

interface HealthCheckConfig {
    routingPolicies: string[];
    exemptRecordNames: string[];
}

const ROUTING_FIELDS: Readonly<Record<string, string>> = {
    weighted: "weightedRoutingPolicies",
    failover: "failoverRoutingPolicies",
    latency: "latencyRoutingPolicies",
    geolocation: "geolocationRoutingPolicies",
};

export const route53WeightedHealthCheck: ResourceValidationPolicy = {
    name: "route53-weighted-health-check",
    description: "Route53 records with a weighted routing policy (and any other policy listed in `routingPolicies`) must " +
        "reference a health check: without one, Route53 keeps sending a region its share of the traffic after it fails.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            routingPolicies: {
                type: "array", items: { type: "string", enum: Object.keys(ROUTING_FIELDS) }, default: ["weighted"],
                description: "Routing policies whose records need healthCheckId.",
            },
            exemptRecordNames: {
                type: "array", items: { type: "string" }, default: [],
                description: "Record names (shell patterns such as \"*.internal\") deliberately served without health checks.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.route53.Record, (rec, args, report) => {
        const cfg = configOf<HealthCheckConfig>(args, { routingPolicies: ["weighted"], exemptRecordNames: [] });
        if (typeof rec.name === "string" && matchesAny(rec.name.replace(/\.$/, ""), cfg.exemptRecordNames)) {
            return;
        }
        for (const policy of cfg.routingPolicies) {
            const value = (rec as any)[ROUTING_FIELDS[policy]];
            const present = Array.isArray(value) ? value.length > 0 : Boolean(value);
            if (present && !rec.healthCheckId) {
                report(`Route53 ${policy} record "${args.name}" (${rec.name ?? "?"} ${rec.type ?? ""}, set ${rec.setIdentifier ?? "?"}) must set healthCheckId.`);
            }
        }
    }),
};

export const edgePolicies = [
    albListenerHttps,
    securityGroupPublicIngress,
    route53WeightedHealthCheck,
];
