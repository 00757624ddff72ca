/**
 * Edge guardrails: HTTPS-only load balancer listeners, nothing open to the internet except an ALB's
 * 80/443, and weighted DNS that only sends traffic to healthy regions.
 *
 * Load balancer types are matched on the current `aws:lb/...` tokens and their `aws:alb/...` aliases
 * (the deprecated awsguard pack matched `aws:elasticloadbalancingv2/...`, which @pulumi/aws v6+ never registers).
 *
 * Preview-aware (see common.ts): plain props, the decisive field first (the TLS policy before the
 * certificate, the CIDR and ports before the group); unknown ARNs and ids are present; groups are joined
 * to rules and load balancers by dependency when their ids are unknown.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import {
    MaybeUnknown, UNKNOWN, UndecidableError, Undecided, configOf, identitiesOf, isKnownString, isSet, isUnknown, label, linkedResources, matchesAny,
    numOf, onRaw, propsOf, refersTo, validateResourceOfTypes,
} from "./common";
import { aws } from "./sdk";

/** TLS 1.3 (with 1.2 fallback) and forward-secret policies only. */
export const DEFAULT_ALLOWED_SSL_POLICIES: readonly string[] = ["ELBSecurityPolicy-TLS13-*", "ELBSecurityPolicy-FS-1-2-*"];
export const DEFAULT_PUBLIC_PORTS: readonly number[] = [80, 443];
/** Listener protocols of network/gateway load balancers, which this HTTP policy does not judge. */
const NON_HTTP_PROTOCOLS = new Set(["TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"]);

interface ListenerConfig {
    allowedSslPolicies: string[];
}

function checkListener(listener: any, name: string, cfg: ListenerConfig, report: (m: string) => void): void {
    if (isUnknown(listener.protocol)) {
        throw new UndecidableError("protocol", "the listener's protocol is unknown during preview");
    }
    const protocol = String(listener.protocol ?? "HTTP").toUpperCase();
    if (NON_HTTP_PROTOCOLS.has(protocol)) {
        return;
    }
    const what = `Load balancer listener "${name}" (${protocol}:${isUnknown(listener.port) ? "?" : (listener.port ?? "?")})`;
    const undecided = new Undecided();
    if (protocol === "HTTPS") {
        // Decisive field first: the TLS policy. The certificate is usually created (or validated) in the same
        // update, so its ARN is unknown during preview: unknown counts as present.
        const ssl = listener.sslPolicy;
        if (isUnknown(ssl)) {
            undecided.add("sslPolicy", "the SSL policy is unknown during preview");
        } else if (typeof ssl !== "string" || !matchesAny(ssl, cfg.allowedSslPolicies)) {
            report(`${what} must use an SSL policy matching ${cfg.allowedSslPolicies.join(" or ")}, got ${ssl === undefined ? "unset (the 2016 default allows TLS 1.0)" : JSON.stringify(ssl)}.`);
        }
        if (!isSet(listener.certificateArn)) {
            report(`${what} must name its TLS certificate (certificateArn).`);
        }
        undecided.settle();
        return;
    }
    if (isUnknown(listener.defaultActions)) {
        throw new UndecidableError("defaultActions", "the default actions of a plain-HTTP listener are unknown during preview");
    }
    const actions: any[] = (Array.isArray(listener.defaultActions) ? listener.defaultActions : []).map((a: any) => (isUnknown(a) ? { type: a } : a ?? {}));
    const redirectTo = (a: any): unknown => (isUnknown(a.redirect) ? a.redirect : a.redirect?.protocol);
    if (actions.length > 0 && actions.every((a) => a.type === "redirect" && String(redirectTo(a) ?? "").toUpperCase() === "HTTPS")) {
        return;
    }
    // Proven only when some known action is not a redirect to HTTPS.
    const proven = actions.length === 0 || actions.some((a) => isKnownString(a.type) && (a.type !== "redirect" || (!isUnknown(redirectTo(a)) && String(redirectTo(a) ?? "").toUpperCase() !== "HTTPS")));
    if (!proven) {
        throw new UndecidableError("defaultActions", "whether the plain-HTTP listener only redirects to HTTPS is unknown during preview");
    }
    const types = actions.map((a) => a.type === "redirect" ? `redirect to ${isUnknown(redirectTo(a)) ? "(unknown)" : (redirectTo(a) ?? "#{protocol}")}` : isUnknown(a.type) ? "(unknown)" : a.type).join(", ") || "none";
    report(`${what} must be HTTPS, or HTTP whose only default action redirects to HTTPS; got default actions: ${types}.`);
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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.lb.Listener, onRaw((l, args, report) =>
            checkListener(l, args.name, configOf<ListenerConfig>(args, { allowedSslPolicies: [...DEFAULT_ALLOWED_SSL_POLICIES] }), report))),
        validateResourceOfType(aws.alb.Listener, onRaw((l, args, report) =>
            checkListener(l, args.name, configOf<ListenerConfig>(args, { allowedSslPolicies: [...DEFAULT_ALLOWED_SSL_POLICIES] }), report))),
    ]),
};

/** One ingress permission, from whichever of the three resources that express it. */
interface IngressRule {
    readonly source: PolicyResource;
    /** The security group it opens, when known. */
    readonly group?: PolicyResource;
    /** Raw protocol and ports (an unknown stays its sentinel). */
    readonly protocol: unknown;
    readonly fromPort: unknown;
    readonly toPort: unknown;
    readonly worldCidrs: string[];
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/**
 * The world CIDRs among `cidrs`. An unknown CIDR is never the world: 0.0.0.0/0 and ::/0 are literals,
 * while a computed CIDR comes from a resource's address range (a VPC, a subnet, a peer).
 */
function world(cidrs: unknown): string[] {
    return (Array.isArray(cidrs) ? cidrs : [cidrs]).filter((c): c is string => isKnownString(c) && WORLD.has(c));
}

/** Every ingress rule of the stack that admits the whole internet. */
export function worldIngressRules(resources: readonly PolicyResource[], undecided?: Undecided): IngressRule[] {
    const groups = resources.filter((r) => r.isType(aws.ec2.SecurityGroup));
    // A CIDR rule names exactly one group, the one it opens: found by a known id, otherwise through the
    // rule's dependency on it (its securityGroupId is unknown until the group exists).
    const groupOf = (rule: PolicyResource, id: unknown): PolicyResource | undefined => {
        const linked = linkedResources(rule, groups, [id], ["securityGroupId"]);
        return linked.find((g) => isKnownString(id) && identitiesOf(g).has(id)) ?? (linked.length === 1 ? linked[0] : undefined);
    };
    const out: IngressRule[] = [];
    for (const r of resources) {
        const p = propsOf(r);
        if (r.isType(aws.ec2.SecurityGroup)) {
            // A literal 0.0.0.0/0 inside rules computed as a whole (an `apply` returning the list) is invisible.
            if (isUnknown(p.ingress) || (Array.isArray(p.ingress) && p.ingress.some(isUnknown))) {
                undecided?.add(r.name, "its inline ingress rules are computed from values unknown during preview");
            }
            for (const rule of Array.isArray(p.ingress) ? p.ingress : []) {
                const cidrs = [...world(rule?.cidrBlocks ?? []), ...world(rule?.ipv6CidrBlocks ?? [])];
                if (cidrs.length) {
                    out.push({ source: r, group: r, protocol: rule.protocol ?? "-1", fromPort: rule.fromPort, toPort: rule.toPort, worldCidrs: cidrs });
                }
            }
        } else if (r.isType(aws.ec2.SecurityGroupRule) && p.type === "ingress") {
            const cidrs = [...world(p.cidrBlocks ?? []), ...world(p.ipv6CidrBlocks ?? [])];
            if (cidrs.length) {
                out.push({ source: r, group: groupOf(r, p.securityGroupId), protocol: p.protocol ?? "-1", fromPort: p.fromPort, toPort: p.toPort, worldCidrs: cidrs });
            }
        } else if (r.isType(aws.vpc.SecurityGroupIngressRule)) {
            const cidrs = [...world(p.cidrIpv4), ...world(p.cidrIpv6)];
            if (cidrs.length) {
                out.push({ source: r, group: groupOf(r, p.securityGroupId), protocol: p.ipProtocol ?? "-1", fromPort: p.fromPort, toPort: p.toPort, worldCidrs: cidrs });
            }
        }
    }
    return out;
}

/**
 * Security groups attached to an application load balancer (aws:lb or aws:alb, type application): named
 * by a known id, or (ids unknown during preview) the groups the load balancer depends on for `securityGroups`.
 */
export function albSecurityGroups(resources: readonly PolicyResource[]): PolicyResource[] {
    const albs = resources.filter((r) => (r.isType(aws.lb.LoadBalancer) || r.isType(aws.alb.LoadBalancer)) &&
        String(propsOf(r).loadBalancerType ?? "application") === "application");
    const groups = resources.filter((g) => g.isType(aws.ec2.SecurityGroup));
    return groups.filter((g) => albs.some((lb) => {
        const attached = propsOf(lb).securityGroups;
        const refs = isUnknown(attached) ? [attached] : Array.isArray(attached) ? attached : [];
        return refs.length > 0 && refersTo(lb, g, refs, ["securityGroups"]);
    }));
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
        const undecided = new Undecided();
        for (const rule of worldIngressRules(args.resources, undecided)) {
            const what = `${label(rule.source)}${rule.group && rule.group !== rule.source ? ` (security group ${rule.group.name})` : ""}`;
            const cidrs = rule.worldCidrs.join(", ");
            // Decisive fields first: protocol and ports (literals in practice), then which group it opens.
            if ([rule.protocol, rule.fromPort, rule.toPort].some(isUnknown)) {
                undecided.add(rule.source.name, `it opens ${cidrs} on a protocol or port unknown during preview`);
                continue;
            }
            const protocol = String(rule.protocol).toLowerCase();
            const from = numOf(rule.fromPort) as number | undefined;
            const to = numOf(rule.toPort) as number | undefined;
            const portText = protocol === "-1" || protocol === "all" ? "all traffic" : `${protocol} ${from}-${to}`;
            const singleAllowedPort = (protocol === "tcp" || protocol === "6") && from === to && cfg.allowedPorts.includes(from ?? -1);
            if (!singleAllowedPort) {
                report(`${what} must not open ${portText} to ${cidrs}; only ${cfg.allowedPorts.join("/")} (tcp) of an ALB may be public.`, rule.source.urn);
            } else if (!rule.group && isUnknown(propsOf(rule.source).securityGroupId)) {
                undecided.add(rule.source.name, `it opens tcp ${from} to ${cidrs} on a security group whose id is unknown during preview and that no dependency names`);
            } else if (!rule.group || !albGroups.has(rule.group.urn)) {
                report(`${what} opens tcp ${from} to ${cidrs} but its security group is not attached to an application load balancer.`, rule.source.urn);
            }
        }
        undecided.settle();
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
    validateResource: validateResourceOfType(aws.route53.Record, onRaw((rec, args, report) => {
        const cfg = configOf<HealthCheckConfig>(args, { routingPolicies: ["weighted"], exemptRecordNames: [] });
        // Decisive field first: a health check created in the same update has an unknown id, which is present.
        if (isSet(rec.healthCheckId)) {
            return;
        }
        const undecided = new Undecided();
        const routed = cfg.routingPolicies.filter((policy) => isSet((rec as any)[ROUTING_FIELDS[policy]]));
        if (routed.length === 0) {
            return;
        }
        const name = rec.name;
        const exempt: MaybeUnknown<boolean> = isUnknown(name) ? (cfg.exemptRecordNames.length > 0 ? UNKNOWN : false)
            : typeof name === "string" && matchesAny(name.replace(/\.$/, ""), cfg.exemptRecordNames);
        if (exempt === true) {
            return;
        }
        if (exempt === UNKNOWN) {
            undecided.add("name", "the record name, which may be exempt, is unknown during preview");
        } else {
            const show = (v: unknown, d: string): string => (isUnknown(v) ? "(unknown)" : String(v ?? d));
            for (const policy of routed) {
                report(`Route53 ${policy} record "${args.name}" (${show(rec.name, "?")} ${show(rec.type, "")}, set ${show(rec.setIdentifier, "?")}) must set healthCheckId.`);
            }
        }
        undecided.settle();
    })),
};

export const edgePolicies = [
    albListenerHttps,
    securityGroupPublicIngress,
    route53WeightedHealthCheck,
];
