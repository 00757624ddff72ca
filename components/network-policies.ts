import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "./network";
import { DNS_LABEL, Problems, show } from "./validation";
import { PART_OF } from "./workload-spec";

/** Name of the namespace-wide default-deny policy (the policy pack looks for a policy of this shape). */
export const DEFAULT_DENY_POLICY = "default-deny";
/** Label Kubernetes sets on every namespace (since 1.21): its name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Cluster DNS: EKS's CoreDNS pods in kube-system carry `k8s-app: kube-dns` (as the kube-dns Service selects them). */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 } as const;
/**
 * The EKS Pod Identity agent: a hostNetwork DaemonSet listening on the link-local 169.254.170.23, port 80 (EKS User
 * Guide "Set up the Amazon EKS Pod Identity Agent"). The VPC CNI's network policy agent enforces egress on the pod's
 * veth, so link-local destinations are filtered like any other (aws/aws-network-policy-agent#120 shows DENY verdicts
 * for 169.254.169.254 from a pod); only the node's own IP is allowed implicitly (aws/aws-network-policy-agent#65, for
 * kubelet probes). So the agent needs an explicit allow.
 */
export const POD_IDENTITY_AGENT = { cidr: "169.254.170.23/32", port: 80 } as const;
/** Private address space the 443 egress rule excludes: in-VPC services are reached only through named rules. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;
/** HTTPS: AWS service endpoints (through the NAT gateways). */
export const AWS_API_PORT = 443;

/** One data store the application's pods may reach: where it lives and its port. */
export interface DataStoreDestination {
    /** CIDRs of the subnets the store's endpoints live in (e.g. the private subnets, or a peered region's). */
    readonly cidrs: readonly string[];
    readonly port: number;
}

/** Pods in another namespace of the same cluster the application's pods may reach (e.g. the trace collector). */
export interface ClusterServiceDestination {
    /** The destination namespace's name (matched on its `kubernetes.io/metadata.name` label). */
    readonly namespace: string;
    /** Labels selecting the destination pods in that namespace. */
    readonly podLabels: Readonly<Record<string, string>>;
    /** TCP ports allowed to them. */
    readonly ports: readonly number[];
}

export interface NetworkPoliciesArgs {
    /** The application namespace the policies apply to. */
    readonly namespace: pulumi.Input<string>;
    /**
     * Pods the load balancer sends traffic to, keyed by their `app.kubernetes.io/name`, with the container port it
     * targets, e.g. `{ api: 3000, ws: 3001 }`.
     */
    readonly loadBalancerTargets: Readonly<Record<string, number>>;
    /**
     * Where the load balancer's traffic comes from: with IP targets the ALB connects from its own addresses in the
     * public subnets, so their CIDRs.
     */
    readonly loadBalancerCidrs: readonly string[];
    /** Data stores keyed by a name (`cache`, `database`), each with its subnets' CIDRs and port. */
    readonly dataStores: Readonly<Record<string, DataStoreDestination>>;
    /**
     * Allow HTTPS to AWS endpoints outside private address space (public service endpoints through NAT).
     * @default true
     */
    readonly awsApis?: boolean;
    /**
     * Allow the EKS Pod Identity agent (169.254.170.23:80).
     * @default true
     */
    readonly podIdentityAgent?: boolean;
    /**
     * issue 19: ingress to every application pod on its Prometheus metrics port from where the scraper connects (the AMP
     * managed scraper's network interfaces sit in the private subnets, so their CIDRs). @default none
     */
    readonly metricsIngress?: { readonly port: number; readonly cidrs: readonly string[] };
    /**
     * In-cluster destinations keyed by a name (e.g. `trace-collector`: the OpenTelemetry collector's OTLP ports in
     * the `observability` namespace). @default {}
     */
    readonly clusterServices?: Readonly<Record<string, ClusterServiceDestination>>;
    /** Extra labels on every policy. @default {} */
    readonly labels?: Readonly<Record<string, string>>;
}

/** Checks plain NetworkPolicies args; returns the problems found (empty when valid). */
export function validateNetworkPoliciesArgs(args: NetworkPoliciesArgs): Problems {
    const problems = new Problems();
    const port = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
    const cidr = (c: string): boolean => parseCidr(c) !== undefined;
    for (const [app, p] of Object.entries(args.loadBalancerTargets)) {
        problems.check(DNS_LABEL.test(app), `loadBalancerTargets.${app}`, `key must be the pods' app.kubernetes.io/name (a DNS label), got ${show(app)}`);
        problems.check(port(p), `loadBalancerTargets.${app}`, `must be the container port (1-65535) the load balancer targets, got ${show(p)}`);
    }
    if (Object.keys(args.loadBalancerTargets).length > 0) {
        problems.check(args.loadBalancerCidrs.length > 0, "loadBalancerCidrs", "must list the CIDRs the load balancer connects from (its subnets) when loadBalancerTargets is set, got []");
    }
    args.loadBalancerCidrs.forEach((c, i) => problems.check(cidr(c) && c !== "0.0.0.0/0", `loadBalancerCidrs[${i}]`,
        `must be an aligned IPv4 CIDR narrower than 0.0.0.0/0 such as "10.10.224.0/22", got ${show(c)}`));
    for (const [key, store] of Object.entries(args.dataStores)) {
        problems.check(DNS_LABEL.test(key), `dataStores.${key}`, `key must be a DNS label (it names the rule), got ${show(key)}`);
        problems.check(port(store.port), `dataStores.${key}.port`, `must be a port 1-65535, got ${show(store.port)}`);
        problems.check(store.cidrs.length > 0, `dataStores.${key}.cidrs`, "must list the CIDRs the store's endpoints live in, got []");
        store.cidrs.forEach((c, i) => problems.check(cidr(c) && c !== "0.0.0.0/0", `dataStores.${key}.cidrs[${i}]`,
            `must be an aligned IPv4 CIDR narrower than 0.0.0.0/0, got ${show(c)}`));
    }
    if (args.metricsIngress) {
        problems.check(port(args.metricsIngress.port), "metricsIngress.port", `must be the metrics container port (1-65535), got ${show(args.metricsIngress.port)}`);
        problems.check(args.metricsIngress.cidrs.length > 0, "metricsIngress.cidrs", "must list the CIDRs the scraper connects from (the private subnets), got []");
        args.metricsIngress.cidrs.forEach((c, i) => problems.check(cidr(c) && c !== "0.0.0.0/0", `metricsIngress.cidrs[${i}]`,
            `must be an aligned IPv4 CIDR narrower than 0.0.0.0/0, got ${show(c)}`));
    }
    for (const [key, svc] of Object.entries(args.clusterServices ?? {})) {
        problems.check(DNS_LABEL.test(key), `clusterServices.${key}`, `key must be a DNS label (it names the rule), got ${show(key)}`);
        problems.check(DNS_LABEL.test(svc.namespace), `clusterServices.${key}.namespace`, `must be a namespace name (a DNS label), got ${show(svc.namespace)}`);
        problems.check(Object.keys(svc.podLabels ?? {}).length > 0, `clusterServices.${key}.podLabels`, "must select the destination pods with at least one label, got {}");
        problems.check(svc.ports.length > 0 && svc.ports.every(port), `clusterServices.${key}.ports`, `must list ports 1-65535, got ${show(svc.ports)}`);
    }
    return problems;
}

type Policy = k8s.types.input.networking.v1.NetworkPolicySpec;

/** The namespace-wide default deny: every pod, both directions, no rule. */
export function defaultDenySpec(): Policy {
    return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
}

/** Ingress to one load-balanced app's pods from the load balancer's subnets on its container port only. */
export function loadBalancerIngressSpec(app: string, port: number, cidrs: readonly string[]): Policy {
    return {
        podSelector: { matchLabels: { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF } },
        policyTypes: ["Ingress"],
        ingress: [{ from: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port }] }],
    };
}

/** issue 19: ingress to every platform pod of the namespace on the metrics port from the scraper's subnets only. */
export function metricsIngressSpec(port: number, cidrs: readonly string[]): Policy {
    return {
        podSelector: { matchLabels: { "app.kubernetes.io/part-of": PART_OF } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [...new Set(cidrs)].map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port }] }],
    };
}

/** Egress of every pod of the namespace: cluster DNS, the data stores, AWS endpoints and the Pod Identity agent. */
export function egressSpec(args: Pick<NetworkPoliciesArgs, "dataStores" | "awsApis" | "podIdentityAgent" | "clusterServices">): Policy {
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [{
        to: [{
            namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: CLUSTER_DNS.namespace } },
            podSelector: { matchLabels: { ...CLUSTER_DNS.podLabels } },
        }],
        ports: [{ protocol: "UDP", port: CLUSTER_DNS.port }, { protocol: "TCP", port: CLUSTER_DNS.port }],
    }];
    for (const key of Object.keys(args.dataStores).sort()) {
        const store = args.dataStores[key];
        egress.push({ to: [...new Set(store.cidrs)].map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: store.port }] });
    }
    for (const key of Object.keys(args.clusterServices ?? {}).sort()) {
        const svc = args.clusterServices![key];
        egress.push({
            to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: svc.namespace } }, podSelector: { matchLabels: { ...svc.podLabels } } }],
            ports: svc.ports.map((port) => ({ protocol: "TCP", port })),
        });
    }
    if (args.awsApis ?? true) {
        egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: [{ protocol: "TCP", port: AWS_API_PORT }] });
    }
    if (args.podIdentityAgent ?? true) {
        egress.push({ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: "TCP", port: POD_IDENTITY_AGENT.port }] });
    }
    return { podSelector: {}, policyTypes: ["Egress"], egress };
}

/**
 * Network isolation of the application namespace, enforced by the VPC CNI's network policy agent (`Cluster`
 * `networkPolicy`): a default deny of all ingress and egress, then allow rules for exactly the flows the platform
 * needs: the load balancer to the api/ws container ports, the metrics scraper to the metrics port (when set), and every pod to cluster DNS (UDP and TCP 53), the data
 * stores (their subnets and ports), AWS endpoints on 443 and the EKS Pod Identity agent. Pass the cluster's
 * `k8s.Provider` in `opts.provider`.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    public readonly defaultDeny: k8s.networking.v1.NetworkPolicy;
    /** Ingress policies keyed by load-balanced app. */
    public readonly loadBalancerIngress: Readonly<Record<string, k8s.networking.v1.NetworkPolicy>>;
    public readonly egress: k8s.networking.v1.NetworkPolicy;
    /** issue 19: the scraper's ingress on the metrics port, when `metricsIngress` is set. */
    public readonly metricsIngress?: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        validateNetworkPoliciesArgs(args).throwIfAny(`NetworkPolicies "${name}"`);
        super("scaled-web:workloads:NetworkPolicies", name, {}, opts);
        const child = { parent: this };
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };
        const metadata = (policyName: string): k8s.types.input.meta.v1.ObjectMeta => ({ name: policyName, namespace: args.namespace, labels });

        this.defaultDeny = new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, { metadata: metadata(DEFAULT_DENY_POLICY), spec: defaultDenySpec() }, child);
        const ingress: Record<string, k8s.networking.v1.NetworkPolicy> = {};
        for (const [app, port] of Object.entries(args.loadBalancerTargets)) {
            ingress[app] = new k8s.networking.v1.NetworkPolicy(`${name}-lb-${app}`, {
                metadata: metadata(`allow-load-balancer-${app}`),
                spec: loadBalancerIngressSpec(app, port, args.loadBalancerCidrs),
            }, child);
        }
        this.loadBalancerIngress = ingress;
        this.egress = new k8s.networking.v1.NetworkPolicy(`${name}-egress`, { metadata: metadata("allow-egress"), spec: egressSpec(args) }, child);
        if (args.metricsIngress) {
            this.metricsIngress = new k8s.networking.v1.NetworkPolicy(`${name}-metrics`, {
                metadata: metadata("allow-metrics-scrape"),
                spec: metricsIngressSpec(args.metricsIngress.port, args.metricsIngress.cidrs),
            }, child);
        }
        this.registerOutputs({});
    }
}
