import {
    AWS_API_PORT, CLUSTER_DNS, DEFAULT_DENY_POLICY, NetworkPolicies, NetworkPoliciesArgs, POD_IDENTITY_AGENT, PRIVATE_RANGES, validateNetworkPoliciesArgs,
} from "../components/network-policies";
import { parseCidr } from "../components/network";
import { RegisteredResource, runComponent, runStack } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const ARGS: NetworkPoliciesArgs = {
    namespace: "scaled-web",
    loadBalancerTargets: { api: 3000, ws: 3001 },
    loadBalancerCidrs: ["10.10.224.0/22", "10.10.228.0/22"],
    dataStores: { cache: { cidrs: ["10.10.0.0/19", "10.10.32.0/19"], port: 6379 }, database: { cidrs: ["10.10.0.0/19"], port: 5432 } },
};

/** A minimal NetworkPolicy evaluator (ipBlock/port/protocol/podSelector matchLabels), enough to ask "is this flow allowed?". */
type Spec = { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: any[]; egress?: any[] };
const selects = (spec: Spec, labels: Record<string, string>): boolean =>
    Object.entries(spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
function inCidr(ip: string, cidr: string): boolean {
    const c = parseCidr(cidr)!;
    const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    return Math.floor(n / 2 ** (32 - c.prefix)) === Math.floor(c.base / 2 ** (32 - c.prefix));
}
const peerHasIp = (peer: any, ip: string): boolean =>
    peer.ipBlock !== undefined && inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(ip, e));
const portOk = (rule: any, port: number, protocol: string): boolean =>
    (rule.ports ?? []).some((p: any) => p.port === port && (p.protocol ?? "TCP") === protocol);

function allowed(policies: Spec[], direction: "Ingress" | "Egress", pod: Record<string, string>, peer: { ip?: string; namespace?: string; labels?: Record<string, string> }, port: number, protocol = "TCP"): boolean {
    const applicable = policies.filter((p) => p.policyTypes.includes(direction) && selects(p, pod));
    if (applicable.length === 0) {
        return true;
    }
    return applicable.some((p) => ((direction === "Ingress" ? p.ingress : p.egress) ?? []).some((rule: any) => portOk(rule, port, protocol) &&
        ((direction === "Ingress" ? rule.from : rule.to) ?? []).some((x: any) => (peer.ip !== undefined && peerHasIp(x, peer.ip))
            || (x.namespaceSelector !== undefined && peer.namespace !== undefined && x.namespaceSelector.matchLabels["kubernetes.io/metadata.name"] === peer.namespace
                && Object.entries(x.podSelector?.matchLabels ?? {}).every(([k, v]) => peer.labels?.[k] === v)))));
}

const specs = (resources: readonly RegisteredResource[]): Spec[] => resources.filter((r) => r.type === POLICY).map((r) => r.inputs.spec);
const api = { "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "scaled-web" };
const ws = { "app.kubernetes.io/name": "ws", "app.kubernetes.io/part-of": "scaled-web" };
const worker = { "app.kubernetes.io/name": "worker-notifications", "app.kubernetes.io/part-of": "scaled-web" };

describe("NetworkPolicies", () => {
    test("every policy validates against the Kubernetes schema and sits in the namespace", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", ARGS));
        const report = assertKubernetesSchemas(run.resources);
        expect(report.validated).toHaveLength(4);
        for (const r of run.ofType(POLICY)) {
            expect(r.inputs.metadata.namespace).toBe("scaled-web");
        }
        expect(run.ofType(POLICY).map((r) => r.inputs.metadata.name).sort()).toEqual(["allow-egress", "allow-load-balancer-api", "allow-load-balancer-ws", DEFAULT_DENY_POLICY]);
    });

    test("default deny selects every pod in both directions with no rule", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", ARGS));
        expect(run.get(POLICY, "np-default-deny").inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    test("the load balancer reaches api and ws on their container ports only, from its subnets only", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", ARGS));
        const p = specs(run.resources);
        const alb = { ip: "10.10.225.17" };
        expect(allowed(p, "Ingress", api, alb, 3000)).toBe(true);
        expect(allowed(p, "Ingress", ws, alb, 3001)).toBe(true);
        expect(allowed(p, "Ingress", api, alb, 3001)).toBe(false);
        expect(allowed(p, "Ingress", ws, alb, 3000)).toBe(false);
        expect(allowed(p, "Ingress", worker, alb, 3000)).toBe(false);
        // Another pod (private subnets) cannot reach api; nor can the internet directly.
        expect(allowed(p, "Ingress", api, { ip: "10.10.3.4" }, 3000)).toBe(false);
        expect(allowed(p, "Ingress", api, { ip: "203.0.113.9" }, 3000)).toBe(false);
        const lbApi = run.get(POLICY, "np-lb-api").inputs.spec;
        expect(lbApi.podSelector.matchLabels).toEqual(api);
    });

    test("every pod reaches DNS (UDP and TCP 53 to kube-dns), the data stores, AWS on 443 and the Pod Identity agent; nothing else", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", ARGS));
        const p = specs(run.resources);
        const dns = { namespace: CLUSTER_DNS.namespace, labels: { "k8s-app": "kube-dns" } };
        for (const pod of [api, ws, worker, {}]) {
            expect(allowed(p, "Egress", pod, dns, 53, "UDP")).toBe(true);
            expect(allowed(p, "Egress", pod, dns, 53, "TCP")).toBe(true);
            expect(allowed(p, "Egress", pod, { ip: "10.10.40.5" }, 6379)).toBe(true);
            expect(allowed(p, "Egress", pod, { ip: "10.10.7.5" }, 5432)).toBe(true);
            expect(allowed(p, "Egress", pod, { ip: "52.94.133.131" }, AWS_API_PORT)).toBe(true);
            expect(allowed(p, "Egress", pod, { ip: "169.254.170.23" }, POD_IDENTITY_AGENT.port)).toBe(true);
        }
        // Not: DNS from other namespaces' pods, the database in a subnet it does not live in, 443 inside the VPC,
        // the instance metadata service, any other port.
        expect(allowed(p, "Egress", api, { namespace: "default", labels: { "k8s-app": "kube-dns" } }, 53, "UDP")).toBe(false);
        expect(allowed(p, "Egress", api, { ip: "10.10.40.5" }, 5432)).toBe(false);
        expect(allowed(p, "Egress", api, { ip: "10.10.7.5" }, AWS_API_PORT)).toBe(false);
        expect(allowed(p, "Egress", api, { ip: "169.254.169.254" }, 80)).toBe(false);
        expect(allowed(p, "Egress", api, { ip: "52.94.133.131" }, 80)).toBe(false);
        const egress = run.get(POLICY, "np-egress").inputs.spec;
        expect(egress.egress.find((r: any) => r.ports[0].port === AWS_API_PORT).to[0].ipBlock).toEqual({ cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] });
    });

    test("AWS APIs and the Pod Identity agent can be left out", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", { ...ARGS, awsApis: false, podIdentityAgent: false }));
        const p = specs(run.resources);
        expect(allowed(p, "Egress", api, { ip: "52.94.133.131" }, AWS_API_PORT)).toBe(false);
        expect(allowed(p, "Egress", api, { ip: "169.254.170.23" }, 80)).toBe(false);
    });

    test("issue 19: the scraper reaches every platform pod on the metrics port only, from the private subnets only", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", { ...ARGS, metricsIngress: { port: 9464, cidrs: ["10.10.0.0/19", "10.10.32.0/19"] } }));
        assertKubernetesSchemas(run.resources);
        expect(run.get(POLICY, "np-metrics").inputs.metadata.name).toBe("allow-metrics-scrape");
        const p = specs(run.resources);
        for (const pod of [api, ws, worker]) {
            expect(allowed(p, "Ingress", pod, { ip: "10.10.33.7" }, 9464)).toBe(true);
            // Not the app's own ports from the scraper's subnets, and not the metrics port from anywhere else.
            expect(allowed(p, "Ingress", pod, { ip: "10.10.33.7" }, 8080)).toBe(false);
            expect(allowed(p, "Ingress", pod, { ip: "10.10.224.9" }, 9464)).toBe(false);
        }
        expect(allowed(p, "Ingress", api, { ip: "10.10.33.7" }, 3000)).toBe(false);
    });

    test("without metricsIngress no metrics policy exists", async () => {
        const run = await runComponent(() => new NetworkPolicies("np", ARGS));
        expect(run.ofType(POLICY).some((r) => r.inputs.metadata.name === "allow-metrics-scrape")).toBe(false);
    });

    test.each<[string, Partial<NetworkPoliciesArgs>, RegExp]>([
        ["metrics ingress from everywhere", { metricsIngress: { port: 9464, cidrs: ["0.0.0.0/0"] } }, /metricsIngress.cidrs\[0\]: must be an aligned IPv4 CIDR narrower than 0.0.0.0\/0/],
        ["metrics ingress without CIDRs", { metricsIngress: { port: 9464, cidrs: [] } }, /metricsIngress.cidrs: must list the CIDRs the scraper connects from/],
        ["metrics ingress on port 0", { metricsIngress: { port: 0, cidrs: ["10.10.0.0/19"] } }, /metricsIngress.port: must be the metrics container port/],
        ["a target that is not a DNS label", { loadBalancerTargets: { API: 3000 } }, /loadBalancerTargets.API: key must be the pods' app.kubernetes.io\/name/],
        ["a target port out of range", { loadBalancerTargets: { api: 70000 } }, /loadBalancerTargets.api: must be the container port \(1-65535\)/],
        ["targets without load balancer CIDRs", { loadBalancerCidrs: [] }, /loadBalancerCidrs: must list the CIDRs the load balancer connects from/],
        ["the whole internet as the load balancer", { loadBalancerCidrs: ["0.0.0.0/0"] }, /loadBalancerCidrs\[0\]: must be an aligned IPv4 CIDR narrower than 0.0.0.0\/0/],
        ["a data store without CIDRs", { dataStores: { cache: { cidrs: [], port: 6379 } } }, /dataStores.cache.cidrs: must list the CIDRs/],
        ["a data store with a bad port", { dataStores: { cache: { cidrs: ["10.10.0.0/19"], port: 0 } } }, /dataStores.cache.port: must be a port 1-65535, got 0/],
        ["a cluster service without ports", { clusterServices: { collector: { namespace: "observability", podLabels: { a: "b" }, ports: [] } } }, /clusterServices.collector.ports: must list ports 1-65535/],
        ["a cluster service in a bad namespace", { clusterServices: { collector: { namespace: "Obs", podLabels: { a: "b" }, ports: [4318] } } }, /clusterServices.collector.namespace: must be a namespace name/],
        ["a misaligned data store CIDR", { dataStores: { cache: { cidrs: ["10.10.0.1/19"], port: 6379 } } }, /dataStores.cache.cidrs\[0\]: must be an aligned IPv4 CIDR/],
    ])("rejects %s", (_label, patch, expected) => {
        expect(() => validateNetworkPoliciesArgs({ ...ARGS, ...patch }).throwIfAny("NetworkPolicies \"np\"")).toThrow(expected);
        expect(() => new NetworkPolicies("np", { ...ARGS, ...patch })).toThrow(expected);
    });
});

describe("network isolation in the prod stack", () => {
    let prod: Awaited<ReturnType<typeof runStack>>;
    beforeAll(async () => {
        prod = await runStack("prod");
    }, 240_000);

    test("each region's application namespace has a default deny and the allow rules, all schema-valid", () => {
        // The trace collector's namespace (components/trace-collector.ts) has its own three per region.
        const all = prod.ofType(POLICY);
        expect(all.filter((r) => r.inputs.metadata.namespace === "observability").map((r) => r.inputs.metadata.name).sort())
            .toEqual(["allow-egress", "allow-egress", "allow-otlp-ingress", "allow-otlp-ingress", DEFAULT_DENY_POLICY, DEFAULT_DENY_POLICY]);
        const policies = all.filter((r) => r.inputs.metadata.namespace !== "observability");
        expect(policies.filter((r) => r.inputs.metadata.name === DEFAULT_DENY_POLICY).map((r) => r.name).sort())
            .toEqual(["prod-use1-netpol-default-deny", "prod-usw2-netpol-default-deny"]);
        // default deny, lb-api, lb-ws, egress and (issue 19) the metrics scrape ingress, per region.
        expect(policies).toHaveLength(10);
        assertKubernetesSchemas(all);
        for (const r of policies) {
            expect(r.inputs.metadata.namespace).toBe("scaled-web");
        }
    });

    test("app pods reach the trace collector's OTLP ports, not its other ports nor other observability pods; the collector admits only the app namespace", () => {
        const appPolicies = specs(prod.ofType(POLICY).filter((r) => r.name.startsWith("prod-use1-netpol")));
        const collector = { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel-collector" };
        const to = { namespace: "observability", labels: collector };
        expect(allowed(appPolicies, "Egress", api, to, 4318)).toBe(true);
        expect(allowed(appPolicies, "Egress", worker, to, 4317)).toBe(true);
        expect(allowed(appPolicies, "Egress", api, to, 13133)).toBe(false);
        expect(allowed(appPolicies, "Egress", api, { namespace: "observability", labels: { "app.kubernetes.io/name": "other" } }, 4318)).toBe(false);
        const collectorPolicies = specs(prod.ofType(POLICY).filter((r) => r.name.startsWith("prod-use1-traces")));
        expect(allowed(collectorPolicies, "Ingress", collector, { namespace: "scaled-web", labels: api }, 4318)).toBe(true);
        expect(allowed(collectorPolicies, "Ingress", collector, { namespace: "kube-system", labels: {} }, 4318)).toBe(false);
        expect(allowed(collectorPolicies, "Ingress", collector, { namespace: "scaled-web", labels: api }, 8888)).toBe(false);
        expect(allowed(collectorPolicies, "Egress", collector, { ip: "52.94.0.10" }, 443)).toBe(true);
        expect(allowed(collectorPolicies, "Egress", collector, { ip: "10.10.0.5" }, 443)).toBe(false);
    });

    test("the ALB subnets are the region's public subnets; the secondary region also reaches the primary's database subnets", () => {
        const east = prod.get(POLICY, "prod-use1-netpol-egress").inputs.spec;
        const west = prod.get(POLICY, "prod-usw2-netpol-egress").inputs.spec;
        const eastLb = prod.get(POLICY, "prod-use1-netpol-lb-api").inputs.spec;
        expect(eastLb.ingress[0].from.map((f: any) => f.ipBlock.cidr)).toEqual(["10.10.224.0/22", "10.10.228.0/22", "10.10.232.0/22"]);
        expect(eastLb.ingress[0].ports).toEqual([{ protocol: "TCP", port: 3000 }]);
        const pg = (spec: any): string[] => spec.egress.find((r: any) => r.ports[0].port === 5432).to.map((t: any) => t.ipBlock.cidr);
        expect(pg(east)).toEqual(["10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19"]);
        expect(pg(west)).toEqual(["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19", "10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19"]);
        const cache = (spec: any): string[] => spec.egress.find((r: any) => r.ports[0].port === 6379).to.map((t: any) => t.ipBlock.cidr);
        expect(cache(west)).toEqual(["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]);
    });

    test("issue 19: the metrics port is open to the region's private subnets (the scraper's interfaces) only", () => {
        const east = prod.get(POLICY, "prod-use1-netpol-metrics").inputs.spec;
        expect(east.ingress).toEqual([{ from: ["10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19"].map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 9464 }] }]);
    });

    test("data stores admit only the node security group (pods share it) and, at the RDS Proxy, the peered region's private subnets", () => {
        const rules = prod.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => /-(db|cache)-/.test(r.name));
        expect(rules.length).toBeGreaterThan(0);
        for (const r of rules) {
            if (r.inputs.cidrIpv4 !== undefined) {
                expect(r.name).toMatch(/proxy-sg-cidr-/);
                expect(r.inputs.cidrIpv4).toMatch(/^10\.20\./);
            } else {
                expect(r.inputs.referencedSecurityGroupId).toBeDefined();
            }
            expect(r.inputs.fromPort).toBe(r.inputs.toPort);
        }
    });
});
