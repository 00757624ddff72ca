/**
 * Helpers shared by the policies: reading pod specs out of any workload kind, matching tolerations and
 * node selectors, classifying node pools (on-demand / spot) and linking resources to each other in a
 * stack policy. Pure functions over provider property bags, so they work on the inputs of a mocked run
 * as well as on the engine's view of a real preview.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, ResourceValidation, ResourceValidationArgs, ReportViolation, validateResourceOfType } from "@pulumi/policy";

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

/**
 * The policy's config: what the engine passes (schema defaults already applied) over the same defaults,
 * so a policy also behaves when run by a host that does not apply schema defaults.
 */
export function configOf<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
    const given = args.getConfig<Partial<T>>() ?? {};
    const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [k, v] of Object.entries(given)) {
        if (v !== undefined) {
            out[k] = v;
        }
    }
    return out as T;
}

/** The type token (`aws:rds/instance:Instance`) of a resource class, as `validateResourceOfType` matches it. */
export function typeToken(cls: unknown): string {
    const t = (cls as { __pulumiType?: unknown })?.__pulumiType;
    if (typeof t !== "string") {
        throw new Error("not a Pulumi resource class with a type token");
    }
    return t;
}

/** Shell-style pattern (`m7i.*`, `db.r?g.large`) to a RegExp; plain names match exactly. */
export function globToRegExp(pattern: string): RegExp {
    const body = pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
    return new RegExp(`^${body}$`);
}

export function matchesAny(value: string, patterns: readonly string[]): boolean {
    return patterns.some((p) => globToRegExp(p).test(value));
}

// ---------------------------------------------------------------------------------------------
// Kubernetes workloads
// ---------------------------------------------------------------------------------------------

export interface Toleration {
    readonly key?: string;
    readonly operator?: string;
    readonly value?: string;
    readonly effect?: string;
}

export interface Container {
    readonly name?: string;
    readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
}

export interface PodSpec {
    readonly containers?: readonly Container[];
    readonly initContainers?: readonly Container[];
    readonly nodeSelector?: Record<string, string>;
    readonly tolerations?: readonly Toleration[];
    readonly affinity?: any;
}

export interface ObjectMeta {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

/** Kubernetes kinds that run pods, with the path from the object to its pod spec. */
export const WORKLOAD_CLASSES = [
    k8s.apps.v1.Deployment,
    k8s.apps.v1.StatefulSet,
    k8s.apps.v1.DaemonSet,
    k8s.batch.v1.Job,
    k8s.batch.v1.CronJob,
    k8s.core.v1.Pod,
] as const;

/** Pod template metadata and spec of a workload object (Pod, Deployment, ..., CronJob). */
export function podTemplateOf(type: string, props: any): { metadata: ObjectMeta; spec: PodSpec } | undefined {
    if (!props || typeof props !== "object") {
        return undefined;
    }
    if (type === typeToken(k8s.core.v1.Pod)) {
        return { metadata: props.metadata ?? {}, spec: props.spec ?? {} };
    }
    const template = type === typeToken(k8s.batch.v1.CronJob) ? props.spec?.jobTemplate?.spec?.template : props.spec?.template;
    return template ? { metadata: template.metadata ?? {}, spec: template.spec ?? {} } : undefined;
}

/**
 * Human-readable identity of a Kubernetes object: `Deployment prod/api`, plus the Pulumi resource name
 * when it differs (the same object name exists once per cluster): `Deployment prod/api (prod-use1-api)`.
 */
export function k8sDisplayName(type: string, props: any, resourceName: string): string {
    const kind = type.split(":").pop() ?? type;
    const ns = props?.metadata?.namespace ?? "default";
    const name = props?.metadata?.name;
    return name && name !== resourceName ? `${kind} ${ns}/${name} (${resourceName})` : `${kind} ${ns}/${name ?? resourceName}`;
}

/** Config property: label selectors (`key=value`) of workloads a policy deliberately exempts. */
export const EXEMPT_LABELS_SCHEMA = {
    type: "array" as const,
    items: { type: "string" as const, pattern: "^[^=]+=.*$" },
    default: [] as string[],
    description: "Workloads carrying any of these labels (key=value, on the object or its pod template) are exempt; name the reason in the config file's review.",
};

/** The first `key=value` of `selectors` that the object's or its pod template's labels carry. */
export function exemptingLabel(props: any, podLabels: Record<string, string> | undefined, selectors: readonly string[]): string | undefined {
    const labels: Record<string, string> = { ...(props?.metadata?.labels ?? {}), ...(podLabels ?? {}) };
    return selectors.find((s) => {
        const i = s.indexOf("=");
        return i > 0 && labels[s.slice(0, i)] === s.slice(i + 1);
    });
}

/** Every container of a pod spec, init containers included (their requests count for scheduling too). */
export function containersOf(spec: PodSpec, includeInit = true): { container: Container; path: string }[] {
    const out: { container: Container; path: string }[] = [];
    (spec.containers ?? []).forEach((c, i) => out.push({ container: c, path: `containers[${c.name ?? i}]` }));
    if (includeInit) {
        (spec.initContainers ?? []).forEach((c, i) => out.push({ container: c, path: `initContainers[${c.name ?? i}]` }));
    }
    return out;
}

/** True when `tolerations` let a pod schedule onto a node with `taint` (Kubernetes matching rules). */
export function toleratesTaint(tolerations: readonly Toleration[] | undefined, taint: { key: string; value: string; effect: string }): boolean {
    return (tolerations ?? []).some((t) => {
        if (t.effect && t.effect !== taint.effect) {
            return false;
        }
        const operator = t.operator ?? "Equal";
        if (operator === "Exists") {
            return !t.key || t.key === taint.key;
        }
        return t.key === taint.key && (t.value ?? "") === taint.value;
    });
}

/**
 * True when the pod spec pins or attracts the pod to nodes labelled `key=value`: a nodeSelector, a
 * required node-affinity term, or a preferred one (which lands pods there whenever it can).
 */
export function selectsNodeLabel(spec: PodSpec, key: string, value: string): boolean {
    if (spec.nodeSelector?.[key] === value) {
        return true;
    }
    const nodeAffinity = spec.affinity?.nodeAffinity;
    const terms: any[] = [
        ...(nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []),
        ...(nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => p?.preference),
    ];
    return terms.some((term) => (term?.matchExpressions ?? []).some((e: any) =>
        e?.key === key && e?.operator === "In" && Array.isArray(e.values) && e.values.includes(value)));
}

/**
 * One `validateResourceOfType` per workload kind, all running `check` on the pod template: the typed
 * form CrossGuard filters on, with a single callback for every kind.
 */
export function validateWorkloads(
    check: (pod: { metadata: ObjectMeta; spec: PodSpec }, props: any, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation[] {
    return WORKLOAD_CLASSES.map((cls) => validateResourceOfType(cls as any, (props: any, args, report) => {
        const pod = podTemplateOf(args.type, props);
        if (pod) {
            check(pod, props, args, report);
        }
    }));
}

/** Namespaces of cluster add-ons installed from upstream charts, which size themselves. */
export const DEFAULT_EXCLUDED_NAMESPACES: readonly string[] = ["kube-system"];

/** Config property shared by the workload policies. */
export const EXCLUDE_NAMESPACES_SCHEMA = {
    type: "array" as const,
    items: { type: "string" as const },
    default: [...DEFAULT_EXCLUDED_NAMESPACES],
    description: "Namespaces whose workloads this policy skips (cluster add-ons from upstream charts).",
};

/** Namespaces a workload policy skips (cluster add-ons installed from upstream charts). */
export function inExcludedNamespace(props: any, excluded: readonly string[]): boolean {
    return excluded.includes(props?.metadata?.namespace ?? "default");
}

/** True when every `matchLabels` pair and `In`/`NotIn`/`Exists`/`DoesNotExist` expression holds on `labels`. */
export function selectorMatches(selector: any, labels: Record<string, string> | undefined): boolean {
    if (!selector || typeof selector !== "object") {
        return false;
    }
    const l = labels ?? {};
    const matchLabels: Record<string, string> = selector.matchLabels ?? {};
    const exprs: any[] = selector.matchExpressions ?? [];
    if (Object.keys(matchLabels).length === 0 && exprs.length === 0) {
        return true; // an empty selector selects every pod of the namespace
    }
    const okLabels = Object.entries(matchLabels).every(([k, v]) => l[k] === v);
    const okExprs = exprs.every((e) => {
        const has = Object.prototype.hasOwnProperty.call(l, e.key);
        switch (e.operator) {
            case "In": return has && (e.values ?? []).includes(l[e.key]);
            case "NotIn": return !has || !(e.values ?? []).includes(l[e.key]);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            default: return false;
        }
    });
    return okLabels && okExprs;
}

// ---------------------------------------------------------------------------------------------
// Stack-policy linking
// ---------------------------------------------------------------------------------------------

/** Strings a resource may be referred to by from another resource's properties. */
export function identitiesOf(r: PolicyResource): Set<string> {
    const out = new Set<string>();
    for (const key of ["id", "arn", "name", "identifier", "bucket", "nodeGroupName", "replicationGroupId"]) {
        const v = r.props?.[key];
        if (typeof v === "string" && v.length > 0) {
            out.add(v);
        }
    }
    return out;
}

/**
 * True when `from` refers to `to`: `to` is among `from`'s dependencies (the engine records one for
 * every Output passed as an input), or one of `values` names `to` by id/arn/name.
 */
export function refersTo(from: PolicyResource, to: PolicyResource, values: readonly unknown[] = []): boolean {
    const deps = Object.values(from.propertyDependencies ?? {}).flat();
    if (from.dependencies.some((d) => d.urn === to.urn) || deps.some((d) => d.urn === to.urn)) {
        return true;
    }
    const ids = identitiesOf(to);
    return values.some((v) => typeof v === "string" && ids.has(v));
}

/** The provider URN a resource is registered through ("" for the default provider). */
export function providerKey(r: PolicyResource): string {
    return r.provider?.urn ?? "";
}

/** A short label for messages: `aws:rds/instance:Instance "prod-use1-db"`. */
export function label(r: { type: string; name: string }): string {
    return `${r.type.split(":").pop()} "${r.name}"`;
}

// ---------------------------------------------------------------------------------------------
// Node pools (EC2 Auto Scaling groups and EKS managed node groups)
// ---------------------------------------------------------------------------------------------

export interface Taint {
    readonly key: string;
    readonly value: string;
    readonly effect: string;
}

export interface NodePool {
    readonly resource: PolicyResource;
    readonly kind: "asg" | "node-group";
    readonly spot: boolean;
    /** Why the pool counts as spot, for messages. */
    readonly spotReason?: string;
    /** Distinct instance types; `"flexible"` for attribute-based selection (instanceRequirements). */
    readonly instanceTypes: readonly string[] | "flexible";
    readonly minSize?: number;
    readonly maxSize?: number;
    /** Taints nodes register with (node group `taints`, or kubelet flags / nodeadm config in user data). */
    readonly taints: readonly Taint[];
    /** Node labels from the same places. */
    readonly labels: Readonly<Record<string, string>>;
    readonly launchTemplate?: PolicyResource;
}

const EKS_TAINT_EFFECTS: Readonly<Record<string, string>> = {
    NO_SCHEDULE: "NoSchedule",
    NO_EXECUTE: "NoExecute",
    PREFER_NO_SCHEDULE: "PreferNoSchedule",
};

/** Launch template user data as text: base64 is decoded, plain text is returned as is. */
export function decodeUserData(userData: unknown): string {
    if (typeof userData !== "string" || userData.length === 0) {
        return "";
    }
    const compact = userData.replace(/\s+/g, "");
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) {
        const text = Buffer.from(compact, "base64").toString("utf8");
        // Accept the decoding only when it is text (a plain script may also look like base64).
        if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) {
            return text;
        }
    }
    return userData;
}

/**
 * Taints and labels a node registers with, read from user data: kubelet flags
 * (`--register-with-taints=spot=true:NoSchedule`, `--node-labels=node-type=spot`, bootstrap.sh or
 * nodeadm `kubelet.flags`) and nodeadm's `registerWithTaints` list (YAML or JSON).
 */
export function nodeRegistrationFromUserData(text: string): { taints: Taint[]; labels: Record<string, string> } {
    const taints: Taint[] = [];
    const labels: Record<string, string> = {};
    for (const m of text.matchAll(/--register-with-taints[= ]+["']?([^\s"']+)/g)) {
        for (const item of m[1].split(",")) {
            const t = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(item.trim());
            if (t) {
                taints.push({ key: t[1], value: t[2] ?? "", effect: t[3] });
            }
        }
    }
    for (const m of text.matchAll(/--node-labels[= ]+["']?([^\s"']+)/g)) {
        for (const item of m[1].split(",")) {
            const [k, v] = item.split("=");
            if (k) {
                labels[k.trim()] = (v ?? "").trim();
            }
        }
    }
    // nodeadm NodeConfig: registerWithTaints entries, each a key/value/effect mapping in any order.
    const idx = text.indexOf("registerWithTaints");
    if (idx >= 0) {
        const tail = text.slice(idx);
        const entry = /\{[^{}]*\}|-\s+(?:[A-Za-z]+:\s*[^\n]*\n\s+){0,2}[A-Za-z]+:\s*[^\n]*/g;
        for (const m of tail.matchAll(entry)) {
            const field = (name: string): string | undefined => {
                const f = new RegExp(`["']?${name}["']?\\s*:\\s*["']?([^"',}\\n]*)`).exec(m[0]);
                return f ? f[1].trim() : undefined;
            };
            const key = field("key");
            const effect = field("effect");
            if (key && effect) {
                taints.push({ key, value: field("value") ?? "", effect });
            }
        }
    }
    return { taints, labels };
}

function num(v: unknown): number | undefined {
    if (typeof v === "number") {
        return v;
    }
    if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) {
        return Number(v);
    }
    return undefined;
}

/** The launch template an ASG launches from, found by dependency or by id/name. */
function launchTemplateOf(asg: PolicyResource, templates: readonly PolicyResource[]): PolicyResource | undefined {
    const lt = asg.props?.launchTemplate;
    const spec = asg.props?.mixedInstancesPolicy?.launchTemplate?.launchTemplateSpecification;
    const refs = [lt?.id, lt?.name, spec?.launchTemplateId, spec?.launchTemplateName].filter((v) => typeof v === "string");
    return templates.find((t) => refersTo(asg, t, refs));
}

/** ASG tags as a map (`tags: [{ key, value, propagateAtLaunch }]`). */
function asgTags(asg: PolicyResource): Record<string, string> {
    const out: Record<string, string> = {};
    for (const t of asg.props?.tags ?? []) {
        if (t && typeof t.key === "string") {
            out[t.key] = String(t.value ?? "");
        }
    }
    return out;
}

/**
 * Every node pool of the stack, classified on-demand or spot:
 * - EKS managed node group: `capacityType: "SPOT"`;
 * - Auto Scaling group: a mixed-instances policy with `onDemandPercentageAboveBaseCapacity: 0`, a launch
 *   template requesting spot (`instanceMarketOptions.marketType: "spot"`), or nodes that register with the
 *   spot taint or label (user data, or cluster-autoscaler node-template tags).
 */
export function nodePoolsOf(resources: readonly PolicyResource[], spot: { taint: Taint; label: { key: string; value: string } }): NodePool[] {
    const templates = resources.filter((r) => r.isType(aws.ec2.LaunchTemplate));
    const pools: NodePool[] = [];
    for (const r of resources) {
        if (r.isType(aws.eks.NodeGroup)) {
            const p = r.props ?? {};
            const lt = templates.find((t) => refersTo(r, t, [p.launchTemplate?.id, p.launchTemplate?.name]));
            const fromUserData = nodeRegistrationFromUserData(decodeUserData(lt?.props?.userData));
            const taints: Taint[] = [
                ...(p.taints ?? []).map((t: any) => ({ key: t.key, value: t.value ?? "", effect: EKS_TAINT_EFFECTS[t.effect] ?? t.effect })),
                ...fromUserData.taints,
            ];
            const isSpot = String(p.capacityType ?? "ON_DEMAND").toUpperCase() === "SPOT";
            pools.push({
                resource: r,
                kind: "node-group",
                spot: isSpot,
                spotReason: isSpot ? "capacityType SPOT" : undefined,
                instanceTypes: [...new Set<string>(p.instanceTypes ?? (lt?.props?.instanceType ? [lt.props.instanceType] : []))],
                minSize: num(p.scalingConfig?.minSize),
                maxSize: num(p.scalingConfig?.maxSize),
                taints,
                labels: { ...(p.labels ?? {}), ...fromUserData.labels },
                launchTemplate: lt,
            });
        } else if (r.isType(aws.autoscaling.Group)) {
            const p = r.props ?? {};
            const lt = launchTemplateOf(r, templates);
            const fromUserData = nodeRegistrationFromUserData(decodeUserData(lt?.props?.userData));
            const tags = asgTags(r);
            const taints: Taint[] = [...fromUserData.taints];
            const labels: Record<string, string> = { ...fromUserData.labels };
            const mixed = p.mixedInstancesPolicy;
            const onDemandPct = num(mixed?.instancesDistribution?.onDemandPercentageAboveBaseCapacity);
            const overrides: any[] = mixed?.launchTemplate?.overrides ?? [];
            const flexible = overrides.some((o) => o?.instanceRequirements) || Boolean(lt?.props?.instanceRequirements);
            const types = [...new Set<string>([
                ...overrides.map((o) => o?.instanceType).filter((t): t is string => typeof t === "string"),
                ...(overrides.length === 0 && typeof lt?.props?.instanceType === "string" ? [lt.props.instanceType] : []),
            ])];
            const tagLabel = tags[`k8s.io/cluster-autoscaler/node-template/label/${spot.label.key}`];
            const tagTaint = tags[`k8s.io/cluster-autoscaler/node-template/taint/${spot.taint.key}`];
            let spotReason: string | undefined;
            if (mixed && onDemandPct === 0) {
                spotReason = "mixedInstancesPolicy with onDemandPercentageAboveBaseCapacity 0";
            } else if (String(lt?.props?.instanceMarketOptions?.marketType ?? "").toLowerCase() === "spot") {
                spotReason = "launch template requests spot instances";
            } else if (taints.some((t) => t.key === spot.taint.key) || labels[spot.label.key] === spot.label.value) {
                spotReason = "nodes register with the spot taint or label";
            } else if (tagLabel === spot.label.value || tagTaint !== undefined) {
                spotReason = "cluster-autoscaler node-template tags mark it spot";
            }
            pools.push({
                resource: r,
                kind: "asg",
                spot: spotReason !== undefined,
                spotReason,
                instanceTypes: flexible ? "flexible" : types,
                minSize: num(p.minSize),
                maxSize: num(p.maxSize),
                taints,
                labels,
                launchTemplate: lt,
            });
        }
    }
    return pools;
}

// ---------------------------------------------------------------------------------------------
// Spot scheduling keys
// ---------------------------------------------------------------------------------------------

/** Seeds 000/001: spot nodes carry `node-type=spot` and the taint `spot=true:NoSchedule`. */
export const SPOT_DEFAULTS = { taint: "spot=true:NoSchedule", label: "node-type=spot" } as const;

/** JSON-schema patterns of the two config strings, so a bad value fails at config time. */
export const TAINT_PATTERN = "^[^=:]+(=[^:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$";
export const LABEL_PATTERN = "^[^=]+=.*$";

/** Parses `key=value:Effect` (or `key:Effect`). */
export function parseTaint(text: string): Taint {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text.trim());
    if (!m) {
        throw new Error(`"${text}" is not a taint; write key=value:Effect, e.g. "${SPOT_DEFAULTS.taint}"`);
    }
    return { key: m[1], value: m[2] ?? "", effect: m[3] };
}

/** Parses `key=value`. */
export function parseLabel(text: string): { key: string; value: string } {
    const m = /^([^=]+)=(.*)$/.exec(text.trim());
    if (!m) {
        throw new Error(`"${text}" is not a label; write key=value, e.g. "${SPOT_DEFAULTS.label}"`);
    }
    return { key: m[1], value: m[2] };
}
