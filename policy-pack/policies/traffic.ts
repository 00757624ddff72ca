/**
 * Traffic and workload identity: the ALB reaches api/ws pods by IP (no NodePort or LoadBalancer Service for
 * them), and every workload that calls AWS runs under a ServiceAccount that has an AWS identity (an EKS Pod
 * Identity association, or an IRSA role annotation).
 *
 * Preview-aware (see common.ts): plain props, decisive field first; a name, namespace or service account that
 * is unknown during preview leaves the check undecided instead of passing or failing.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { Undecided, configOf, isKnownString, isUnknown, k8sDisplayName, label, onRaw, propsOf, providerKey } from "./common";
import { aws, k8s } from "./sdk";

export const DEFAULT_WEB_SERVICES: readonly string[] = ["api", "ws"];
export const DEFAULT_WEB_SERVICE_LABELS: readonly string[] = ["app.kubernetes.io/name"];
/** Service types that expose a port on every node (LoadBalancer allocates node ports too, unless disabled). */
const NODE_EXPOSING_TYPES = new Set(["NodePort", "LoadBalancer"]);

interface WebServiceConfig {
    services: string[];
    identityLabels: string[];
}

export const webServicesClusterIp: ResourceValidationPolicy = {
    name: "web-services-cluster-ip",
    description: "Services named or labelled as one of `services` (default api, ws) must be ClusterIP: the ALB sends " +
        "traffic straight to the pods (IP target groups filled by the AWS Load Balancer Controller's TargetGroupBinding). " +
        "A NodePort or LoadBalancer Service opens a port on every node and adds a second, unbalanced path to the pods.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            services: { type: "array", items: { type: "string" }, default: [...DEFAULT_WEB_SERVICES], description: "Service names (metadata.name or label value) that must be ClusterIP." },
            identityLabels: { type: "array", items: { type: "string" }, default: [...DEFAULT_WEB_SERVICE_LABELS], description: "Labels whose value names a service." },
        },
    },
    validateResource: validateResourceOfType(k8s.core.v1.Service, onRaw((svc: any, args, report) => {
        const cfg = configOf<WebServiceConfig>(args, { services: [...DEFAULT_WEB_SERVICES], identityLabels: [...DEFAULT_WEB_SERVICE_LABELS] });
        const spec = svc?.spec;
        const type = isUnknown(spec) ? spec : spec?.type;
        if (type === undefined || type === null || type === "ClusterIP" || type === "ExternalName") {
            return; // decisive field first: unset means ClusterIP
        }
        const meta = svc?.metadata ?? {};
        const labels = meta.labels && typeof meta.labels === "object" && !isUnknown(meta.labels) ? meta.labels : {};
        const names = [meta.name, ...cfg.identityLabels.map((l) => labels[l])];
        const named = cfg.services.find((s) => names.some((n) => n === s));
        const undecided = new Undecided();
        if (isUnknown(type)) {
            if (named !== undefined || names.some(isUnknown) || isUnknown(meta.labels)) {
                undecided.add("spec.type", "the Service type is unknown during preview");
            }
        } else if (NODE_EXPOSING_TYPES.has(String(type))) {
            if (named !== undefined) {
                report(`${k8sDisplayName(args.type, svc, args.name)} serves "${named}" and must be ClusterIP, got ${type}: the ALB reaches its pods by IP ` +
                    "(TargetGroupBinding), so no node port is needed.");
            } else if (names.some(isUnknown) || isUnknown(meta.labels)) {
                undecided.add("metadata", `whether this ${type} Service serves ${cfg.services.join("/")} is unknown during preview`);
            }
        }
        undecided.settle();
    })),
};

/** The IRSA annotation on a ServiceAccount. */
export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * Helm charts of AWS-calling add-ons, by chart name (or the last path segment of an `oci://` reference), with the
 * service account the chart creates when its values name none. Values keys read: `serviceAccount.name` /
 * `.annotations` (aws-load-balancer-controller, aws-node-termination-handler) and `rbac.serviceAccount.name` /
 * `.annotations` (cluster-autoscaler).
 */
export const DEFAULT_AWS_CALLING_CHARTS: Readonly<Record<string, string>> = {
    "aws-load-balancer-controller": "aws-load-balancer-controller",
    "cluster-autoscaler": "cluster-autoscaler",
    "aws-node-termination-handler": "aws-node-termination-handler",
};
/** Label selectors of the application's workloads, which all call AWS under their own role. */
export const DEFAULT_APP_WORKLOAD_LABELS: readonly string[] = ["app.kubernetes.io/part-of=scaled-web"];

interface IdentityConfig {
    awsCallingCharts: Record<string, string>;
    appWorkloadLabels: string[];
}

/** A workload that needs an AWS identity: where it runs and under which service account. */
interface IdentityNeed {
    readonly resource: PolicyResource;
    readonly what: string;
    readonly cluster: string;
    readonly namespace: unknown;
    readonly serviceAccount: unknown;
    /** An IRSA role annotation is set on its service account. */
    readonly irsa: boolean | "unknown";
}

function chartKey(chart: unknown): string | undefined {
    return isKnownString(chart) ? chart.split("/").pop() : undefined;
}

function hasRoleAnnotation(annotations: unknown): boolean | "unknown" {
    if (isUnknown(annotations)) {
        return "unknown";
    }
    const v = annotations && typeof annotations === "object" ? (annotations as Record<string, unknown>)[IRSA_ANNOTATION] : undefined;
    return isUnknown(v) ? "unknown" : typeof v === "string" && v !== "";
}

function labelSelected(props: any, selectors: readonly string[]): boolean | "unknown" {
    const labels = [props?.metadata?.labels, props?.spec?.template?.metadata?.labels];
    if (labels.some(isUnknown)) {
        return "unknown";
    }
    return selectors.some((sel) => {
        const [k, v] = sel.split("=");
        return labels.some((l) => l && typeof l === "object" && l[k] === v);
    });
}

/** The add-on releases and app Deployments that need an AWS identity. */
function identityNeeds(resources: readonly PolicyResource[], cfg: IdentityConfig, undecided: Undecided): IdentityNeed[] {
    const needs: IdentityNeed[] = [];
    const serviceAccounts = resources.filter((r) => r.type === "kubernetes:core/v1:ServiceAccount");
    for (const r of resources) {
        const p = propsOf(r);
        if (r.type === "kubernetes:helm.sh/v3:Release" || r.type === "kubernetes:helm.sh/v4:Chart" || r.type === "kubernetes:helm.sh/v3:Chart") {
            const key = chartKey(p.chart);
            if (key === undefined) {
                if (isUnknown(p.chart)) {
                    undecided.add(r.name, "the chart of a Helm release is unknown during preview");
                }
                continue;
            }
            const defaultAccount = cfg.awsCallingCharts[key];
            if (defaultAccount === undefined) {
                continue;
            }
            const values = p.values ?? {};
            const sa = isUnknown(values) ? values : (values.serviceAccount ?? values.rbac?.serviceAccount ?? {});
            needs.push({
                resource: r,
                what: `Helm release ${label(r)} (${key})`,
                cluster: providerKey(r),
                namespace: p.namespace ?? "default",
                serviceAccount: isUnknown(sa) ? sa : (sa.name ?? defaultAccount),
                irsa: isUnknown(sa) ? "unknown" : hasRoleAnnotation(sa.annotations),
            });
        } else if (r.type === "kubernetes:apps/v1:Deployment") {
            const selected = labelSelected(p, cfg.appWorkloadLabels);
            if (selected === false) {
                continue;
            }
            if (selected === "unknown") {
                undecided.add(r.name, "the labels that say whether this is an application workload are unknown during preview");
                continue;
            }
            const namespace = p.metadata?.namespace ?? "default";
            const podSpec = p.spec?.template?.spec;
            const account = isUnknown(podSpec) ? podSpec : (podSpec?.serviceAccountName ?? podSpec?.serviceAccount);
            const object = serviceAccounts.find((s) => providerKey(s) === providerKey(r) && propsOf(s).metadata?.name === account &&
                (propsOf(s).metadata?.namespace ?? "default") === namespace);
            needs.push({
                resource: r,
                what: k8sDisplayName(r.type, p, r.name),
                cluster: providerKey(r),
                namespace,
                serviceAccount: account,
                irsa: object ? hasRoleAnnotation(propsOf(object).metadata?.annotations) : false,
            });
        }
    }
    return needs;
}

export const awsWorkloadIdentity: StackValidationPolicy = {
    name: "aws-workload-identity",
    description: "Every AWS-calling workload (the Helm releases of `awsCallingCharts`: load balancer controller, " +
        "cluster-autoscaler, termination handler; and the Deployments selected by `appWorkloadLabels`) runs under an " +
        "explicit ServiceAccount that has an AWS identity: an EKS Pod Identity association for its namespace and " +
        "service account in each cluster that runs it, or an IRSA role annotation. Without one the pod falls back to " +
        "nothing (IMDS is out of reach at hop limit 1) or, worse, to the node's role.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            awsCallingCharts: {
                type: "object", additionalProperties: { type: "string" }, default: { ...DEFAULT_AWS_CALLING_CHARTS },
                description: "Chart name -> the service account it creates by default.",
            },
            appWorkloadLabels: {
                type: "array", items: { type: "string", pattern: "^[^=]+=.*$" }, default: [...DEFAULT_APP_WORKLOAD_LABELS],
                description: "Deployments carrying any of these labels (key=value, object or pod template) are the application's.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<IdentityConfig>(args, { awsCallingCharts: { ...DEFAULT_AWS_CALLING_CHARTS }, appWorkloadLabels: [...DEFAULT_APP_WORKLOAD_LABELS] });
        const undecided = new Undecided();
        const needs = identityNeeds(args.resources, cfg, undecided);
        const associations = args.resources.filter((r) => r.isType(aws.eks.PodIdentityAssociation)).map((r) => propsOf(r));
        // An association's role ARN may well be unknown (the role is new); only its namespace and account matter here.
        const unknownAssociations = associations.filter((a) => isUnknown(a.namespace) || isUnknown(a.serviceAccount)).length;
        // Every (namespace, service account) that needs an identity in N clusters needs N associations (one per
        // cluster: an association names one cluster); workloads are told apart by their Kubernetes provider.
        const clustersOf = new Map<string, Set<string>>();
        for (const n of needs) {
            if (isKnownString(n.namespace) && isKnownString(n.serviceAccount) && n.irsa === false) {
                const key = `${n.namespace}/${n.serviceAccount}`;
                clustersOf.set(key, (clustersOf.get(key) ?? new Set()).add(n.cluster));
            }
        }
        const associated = (ns: string, sa: string): number => associations.filter((a) => a.namespace === ns && a.serviceAccount === sa).length;
        for (const n of needs) {
            if (n.irsa === true) {
                continue;
            }
            if (isUnknown(n.namespace) || isUnknown(n.serviceAccount) || n.irsa === "unknown") {
                undecided.add(n.resource.name, "its namespace, service account or role annotation is unknown during preview");
                continue;
            }
            if (!isKnownString(n.serviceAccount) || n.serviceAccount === "default") {
                report(`${n.what} must run as an explicit ServiceAccount (spec.template.spec.serviceAccountName), got ` +
                    `${n.serviceAccount === undefined ? "none (the namespace's default account)" : JSON.stringify(n.serviceAccount)}; give it its own and bind a role to it.`, n.resource.urn);
                continue;
            }
            const ns = String(n.namespace);
            const have = associated(ns, n.serviceAccount);
            const need = clustersOf.get(`${ns}/${n.serviceAccount}`)?.size ?? 1;
            if (have >= need) {
                continue;
            }
            if (unknownAssociations > 0) {
                undecided.add(n.resource.name, `${unknownAssociations} Pod Identity association(s) name a namespace or service account unknown during preview`);
                continue;
            }
            report(`${n.what} runs as ${ns}/${n.serviceAccount} in ${need} cluster(s), but ${have === 0 ? "no" : `only ${have}`} EKS Pod Identity association ` +
                `(aws.eks.PodIdentityAssociation) binds a role to that service account and it has no IRSA annotation (${IRSA_ANNOTATION}); ` +
                "associate its role in every cluster that runs it.", n.resource.urn);
        }
        undecided.settle();
    },
};

export const trafficPolicies = [
    webServicesClusterIp,
    awsWorkloadIdentity,
];
