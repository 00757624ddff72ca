/**
 * Helpers shared by the policies: reading pod specs out of any workload kind, matching tolerations and
 * node selectors, classifying node pools (on-demand / spot) and linking resources to each other in a
 * stack policy. Pure functions over provider property bags, so they work on the inputs of a mocked run
 * as well as on the engine's view of a real preview.
 */
import { PolicyResource, ResourceValidation, ResourceValidationArgs, ReportViolation, validateResourceOfType } from "@pulumi/policy";
import { aws, k8s } from "./sdk";

// ---------------------------------------------------------------------------------------------
// Preview: values the engine does not know yet
// ---------------------------------------------------------------------------------------------

/**
 * The parts of `@pulumi/policy/proxy` the policies use. The module ships without type declarations
 * (its exports are `@internal`), so it is typed here. The policy server wraps every resource's props in
 * `unknownCheckingProxy` (resource and stack validations alike, `server.js` of @pulumi/policy 1.21):
 * *reading* a property whose value is one of the unknown sentinels throws `UnknownValueError`, which
 * the server turns into an advisory "can't run policy ... during preview" instead of a verdict, so a
 * mandatory policy that merely reads `props.kmsKeyId` while the key is being created never enforces.
 */
interface PolicyProxyModule {
    readonly getSpecialProxyTarget: string;
    readonly isSpecialProxy: string;
    readonly unknownBooleanValue: string;
    readonly unknownNumberValue: string;
    readonly unknownStringValue: string;
    readonly unknownArrayValue: string;
    readonly unknownAssetValue: string;
    readonly unknownArchiveValue: string;
    readonly unknownObjectValue: string;
    readonly UnknownValueError: new (sentinel: string, path: string[]) => Error;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy: PolicyProxyModule = require("@pulumi/policy/proxy");

/**
 * The engine's sentinels for "not known until the update runs". On the Analyzer wire every unknown is
 * `unknownStringValue` (`pulumi.runtime.unknownValue`); the typed variants are accepted too.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    policyProxy.unknownStringValue, policyProxy.unknownBooleanValue, policyProxy.unknownNumberValue, policyProxy.unknownArrayValue,
    policyProxy.unknownObjectValue, policyProxy.unknownAssetValue, policyProxy.unknownArchiveValue,
]);

/** The wire form of an unknown value (`pulumi.runtime.unknownValue`), for tests and mutations. */
export const UNKNOWN_VALUE: string = policyProxy.unknownStringValue;

/** Marker the helpers below return for a value derived from unknowns (a decoded user data, a pool's spot status). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type MaybeUnknown<T> = T | typeof UNKNOWN;

/** True for an unknown sentinel (or the `UNKNOWN` marker). Never throws, on proxies or plain values. */
export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN || (typeof v === "string" && UNKNOWN_SENTINELS.has(v));
}

/** True when `v`, or anything nested in it, is unknown. Reads the raw target, so never throws. */
export function containsUnknown(v: unknown): boolean {
    const r = raw(v);
    if (isUnknown(r)) {
        return true;
    }
    if (r && typeof r === "object") {
        return Object.values(r as Record<string, unknown>).some(containsUnknown);
    }
    return false;
}

/**
 * The plain value behind the server's unknown-checking proxy (itself when not proxied). Everything
 * nested in it is plain too, so a policy that starts from `raw(props)` reads unknown values as their
 * sentinel strings instead of throwing, and decides what an unknown means where it meets one.
 */
export function raw<T>(v: T): T {
    let out: any = v;
    // A host may wrap props that are already wrapped: unwrap down to the plain object.
    while (out !== null && (typeof out === "object" || typeof out === "function") && out[policyProxy.isSpecialProxy] === true) {
        out = out[policyProxy.getSpecialProxyTarget];
    }
    return out as T;
}

/**
 * A reference or value is "set": present, non-empty, or unknown. An unknown ARN/id/name/token is a
 * value the engine will fill in, so it counts as present (a missing one would be absent, not unknown).
 */
export function isSet(v: unknown): boolean {
    if (v === undefined || v === null || v === "") {
        return false;
    }
    return Array.isArray(v) ? v.length > 0 : true;
}

/** A string that is known (not a sentinel). */
export function isKnownString(v: unknown): v is string {
    return typeof v === "string" && !UNKNOWN_SENTINELS.has(v);
}

/** Known strings of a list (unknown elements and non-strings dropped); `UNKNOWN` when the list itself is unknown. */
export function knownStrings(v: unknown): MaybeUnknown<string[]> {
    if (isUnknown(v)) {
        return UNKNOWN;
    }
    return (Array.isArray(v) ? v : []).filter(isKnownString);
}

/** A boolean property (the AWS provider also types some booleans as "true"/"false" strings): `undefined` when unset. */
export function boolOf(v: unknown): MaybeUnknown<boolean | undefined> {
    if (isUnknown(v)) {
        return UNKNOWN;
    }
    if (v === true || v === "true") {
        return true;
    }
    if (v === false || v === "false") {
        return false;
    }
    return undefined;
}

/** A number property (numbers or numeric strings): `undefined` when unset or not a number. */
export function numOf(v: unknown): MaybeUnknown<number | undefined> {
    if (isUnknown(v)) {
        return UNKNOWN;
    }
    if (typeof v === "number") {
        return v;
    }
    if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) {
        return Number(v);
    }
    return undefined;
}

/** A value for a message: unknowns as `(unknown until the update)`, strings quoted only when asked. */
export function show(v: unknown, fallback = "unset"): string {
    if (isUnknown(v)) {
        return "(unknown until the update)";
    }
    return v === undefined || v === null ? fallback : String(v);
}

/**
 * Thrown by a policy that cannot reach a verdict because a value it needs is unknown during preview.
 * It is an `UnknownValueError`, so the policy server reports it exactly as it reports a policy that
 * touched an unknown ("can't run policy ... during preview"), and the offline runner records it as
 * `undecidable`; the message names the field and why the known values do not settle it. Policies throw
 * it after reporting every violation the known values already prove.
 */
export class UndecidableError extends policyProxy.UnknownValueError {
    constructor(readonly path: string, readonly reason: string) {
        super(policyProxy.unknownStringValue, path.split("."));
        this.message = `${this.message}, and ${reason}`;
        this.name = "UndecidableError";
    }
}

/** Collects the checks a validation could not settle; `settle()` throws one `UndecidableError` for them. */
export class Undecided {
    private readonly items: { path: string; reason: string }[] = [];

    add(path: string, reason: string): void {
        this.items.push({ path, reason });
    }

    get size(): number {
        return this.items.length;
    }

    /** Throws when anything was left undecided; call it last, after every proven violation is reported. */
    settle(): void {
        if (this.items.length > 0) {
            const [first, ...rest] = this.items;
            const more = rest.length > 0 ? ` (also: ${rest.map((i) => `${i.path}: ${i.reason}`).join("; ")})` : "";
            throw new UndecidableError(first.path, `${first.reason}${more}`);
        }
    }
}

/**
 * Wraps a resource validation so that it always sees plain props (`raw(props)`): the callback reads
 * unknowns as sentinel strings and must decide with the helpers above (`isUnknown`, `isSet`, ...).
 */
export function onRaw<T>(check: (props: T, args: ResourceValidationArgs, report: ReportViolation) => void): (props: T, args: ResourceValidationArgs, report: ReportViolation) => void {
    return (props, args, report) => check(raw(props), args, report);
}

/** The plain props of a stack resource (see `raw`). */
export function propsOf(r: PolicyResource | undefined): any {
    return raw(r?.props) ?? {};
}

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

/** Plain object or `{}`: an unknown or missing object reads as empty (callers test the fields they decide on). */
function obj(v: unknown): any {
    return v && typeof v === "object" ? v : {};
}

/**
 * Pod template metadata and spec of a workload object (Pod, Deployment, ..., CronJob), from plain props;
 * `UNKNOWN` when the template itself is unknown during preview.
 */
export function podTemplateOf(type: string, props: any): MaybeUnknown<{ metadata: ObjectMeta; spec: PodSpec } | undefined> {
    const p = raw(props);
    if (!p || typeof p !== "object") {
        return undefined;
    }
    if (type === typeToken(k8s.core.v1.Pod)) {
        return isUnknown(p.spec) ? UNKNOWN : { metadata: obj(p.metadata), spec: obj(p.spec) };
    }
    const spec = p.spec;
    const jobTemplate = type === typeToken(k8s.batch.v1.CronJob) ? obj(spec).jobTemplate : undefined;
    const chain = type === typeToken(k8s.batch.v1.CronJob) ? [spec, jobTemplate, obj(jobTemplate).spec] : [spec];
    if (chain.some(isUnknown)) {
        return UNKNOWN;
    }
    const template = type === typeToken(k8s.batch.v1.CronJob) ? obj(obj(jobTemplate).spec).template : obj(spec).template;
    if (isUnknown(template) || isUnknown(obj(template).spec)) {
        return UNKNOWN;
    }
    return template ? { metadata: obj(template.metadata), spec: obj(template.spec) } : undefined;
}

/**
 * Human-readable identity of a Kubernetes object: `Deployment prod/api`, plus the Pulumi resource name
 * when it differs (the same object name exists once per cluster): `Deployment prod/api (prod-use1-api)`.
 */
export function k8sDisplayName(type: string, props: any, resourceName: string): string {
    const kind = type.split(":").pop() ?? type;
    const meta = obj(raw(props)?.metadata);
    const ns = isUnknown(meta.namespace) ? "(namespace unknown)" : (meta.namespace ?? "default");
    const name = isKnownString(meta.name) ? meta.name : undefined;
    return name && name !== resourceName ? `${kind} ${ns}/${name} (${resourceName})` : `${kind} ${ns}/${name ?? resourceName}`;
}

/** Config property: label selectors (`key=value`) of workloads a policy deliberately exempts. */
export const EXEMPT_LABELS_SCHEMA = {
    type: "array" as const,
    items: { type: "string" as const, pattern: "^[^=]+=.*$" },
    default: [] as string[],
    description: "Workloads carrying any of these labels (key=value, on the object or its pod template) are exempt; name the reason in the config file's review.",
};

/**
 * The first `key=value` of `selectors` that the object's or its pod template's labels carry;
 * `UNKNOWN` when none matches but a label that could match is unknown during preview.
 */
export function exemptingLabel(props: any, podLabels: Record<string, string> | undefined, selectors: readonly string[]): MaybeUnknown<string | undefined> {
    const objectLabels = raw(props)?.metadata?.labels;
    const lists = [objectLabels, raw(podLabels)];
    if (selectors.length > 0 && lists.some(isUnknown)) {
        return UNKNOWN;
    }
    const labels: Record<string, unknown> = { ...obj(lists[0]), ...obj(lists[1]) };
    let unknown = false;
    const found = selectors.find((s) => {
        const i = s.indexOf("=");
        const v = i > 0 ? labels[s.slice(0, i)] : undefined;
        unknown ||= isUnknown(v);
        return i > 0 && v === s.slice(i + 1);
    });
    return found ?? (unknown ? UNKNOWN : undefined);
}

/** Every container of a pod spec, init containers included (their requests count for scheduling too); `UNKNOWN` for an unknown list. */
export function containersOf(spec: PodSpec, includeInit = true): MaybeUnknown<{ container: Container; path: string }[]> {
    const lists = [spec.containers, includeInit ? spec.initContainers : undefined];
    if (lists.some(isUnknown) || lists.some((l) => Array.isArray(l) && l.some(isUnknown))) {
        return UNKNOWN;
    }
    const out: { container: Container; path: string }[] = [];
    const nameOf = (c: Container, i: number): string => (isKnownString(c.name) ? c.name : String(i));
    (spec.containers ?? []).forEach((c, i) => out.push({ container: obj(c), path: `containers[${nameOf(c, i)}]` }));
    if (includeInit) {
        (spec.initContainers ?? []).forEach((c, i) => out.push({ container: obj(c), path: `initContainers[${nameOf(c, i)}]` }));
    }
    return out;
}

/**
 * True when `tolerations` let a pod schedule onto a node with `taint` (Kubernetes matching rules);
 * `UNKNOWN` when none does but one with unknown fields might.
 */
export function toleratesTaint(tolerations: readonly Toleration[] | undefined, taint: { key: string; value: string; effect: string }): MaybeUnknown<boolean> {
    if (isUnknown(tolerations)) {
        return UNKNOWN;
    }
    let unknown = false;
    const matched = (tolerations ?? []).some((tol) => {
        const t = obj(tol) as Toleration;
        if ([t.key, t.operator, t.value, t.effect].some(isUnknown)) {
            unknown = true;
            return false;
        }
        if (t.effect && t.effect !== taint.effect) {
            return false;
        }
        const operator = t.operator ?? "Equal";
        if (operator === "Exists") {
            return !t.key || t.key === taint.key;
        }
        return t.key === taint.key && (t.value ?? "") === taint.value;
    });
    return matched ? true : unknown ? UNKNOWN : false;
}

/**
 * True when the pod spec pins or attracts the pod to nodes labelled `key=value`: a nodeSelector, a
 * required node-affinity term, or a preferred one (which lands pods there whenever it can);
 * `UNKNOWN` when nothing known does but an unknown selector or affinity might.
 */
export function selectsNodeLabel(spec: PodSpec, key: string, value: string): MaybeUnknown<boolean> {
    const selector = spec.nodeSelector;
    if (obj(selector)[key] === value) {
        return true;
    }
    let unknown = isUnknown(selector) || isUnknown(obj(selector)[key]) || isUnknown(spec.affinity);
    const nodeAffinity = obj(obj(spec.affinity).nodeAffinity);
    const required = obj(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms;
    const preferred = nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    unknown ||= isUnknown(spec.affinity) || isUnknown(obj(spec.affinity).nodeAffinity) || isUnknown(required) || isUnknown(preferred);
    const terms: any[] = [
        ...(Array.isArray(required) ? required : []),
        ...(Array.isArray(preferred) ? preferred : []).map((p: any) => obj(p).preference),
    ];
    const found = terms.some((term) => {
        const exprs = obj(term).matchExpressions;
        unknown ||= isUnknown(term) || isUnknown(exprs);
        return (Array.isArray(exprs) ? exprs : []).some((e: any) => {
            const x = obj(e);
            unknown ||= [x.key, x.operator, x.values].some(isUnknown) || (Array.isArray(x.values) && x.values.some(isUnknown));
            return x.key === key && x.operator === "In" && Array.isArray(x.values) && x.values.includes(value);
        });
    });
    return found ? true : unknown ? UNKNOWN : false;
}

/** The resource types a validation from `validateResourceOfTypes` applies to (the in-process runner reads it). */
export const RESOURCE_TYPES = "__pulumiTypes";

/**
 * One resource validation made of several `validateResourceOfType` validations (distinct resource classes),
 * picking the one for the resource's type; any other type is not applicable, with one reason.
 *
 * Why not a `validateResource` array: @pulumi/policy 1.21's server (server.js `makeAnalyzeRpcFun`) skips a
 * policy early only when `validateResource` is a single function carrying one Pulumi type; for an array it
 * deserializes the resource's properties again and calls every element, each non-matching one throwing a
 * `NotApplicableError` (and reporting the policy not applicable once per element, beside the element that
 * applied). With the six workload kinds that was most of the pack's work per resource. Here it is one
 * deserialization, one call and at most one "not applicable" per policy and resource.
 */
export function validateResourceOfTypes(validations: readonly (ResourceValidation | readonly [type: string, validation: ResourceValidation])[]): ResourceValidation {
    const byType = new Map<string, ResourceValidation>();
    for (const entry of validations) {
        // A `[type token, validation]` pair for a type without an SDK class (a custom resource such as KEDA's).
        const [type, v] = Array.isArray(entry) ? entry : [(entry as { __pulumiType?: unknown }).__pulumiType, entry as ResourceValidation];
        if (typeof type !== "string" || type === "" || byType.has(type)) {
            throw new Error(`validateResourceOfTypes: each validation needs its own resource type (validateResourceOfType, or a [type, validation] pair); got ${String(type)}`);
        }
        byType.set(type, v);
    }
    const types = [...byType.keys()];
    const validation: ResourceValidation = (args, report) => {
        const v = byType.get(args.type);
        if (!v) {
            args.notApplicable(`Policy only applies to resources of types ${types.join(", ")}`);
        }
        return v!(args, report);
    };
    Object.defineProperty(validation, RESOURCE_TYPES, { value: Object.freeze(types) });
    return validation;
}

/**
 * A validation for every workload kind, running `check` on the pod template (plain props, unknowns as
 * sentinels), with a single callback for every kind. An unknown pod template cannot be judged: the validation
 * says so (`UndecidableError`).
 */
export function validateWorkloads(
    check: (pod: { metadata: ObjectMeta; spec: PodSpec }, props: any, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    return validateResourceOfTypes(WORKLOAD_CLASSES.map((cls) => validateResourceOfType(cls as any, (props: any, args, report) => {
        const plain = raw(props);
        const pod = podTemplateOf(args.type, plain);
        if (pod === UNKNOWN) {
            throw new UndecidableError("spec.template", "the pod template is unknown during preview");
        }
        if (pod) {
            check(pod, plain, args, report);
        }
    })));
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

/** Namespaces a workload policy skips (cluster add-ons installed from upstream charts); `UNKNOWN` for an unknown namespace. */
export function inExcludedNamespace(props: any, excluded: readonly string[]): MaybeUnknown<boolean> {
    const ns = obj(raw(props)?.metadata).namespace;
    if (isUnknown(ns)) {
        return excluded.length > 0 ? UNKNOWN : false;
    }
    return excluded.includes(ns ?? "default");
}

/**
 * True when every `matchLabels` pair and `In`/`NotIn`/`Exists`/`DoesNotExist` expression holds on `labels`;
 * `UNKNOWN` when the answer hangs on an unknown selector or label.
 */
export function selectorMatches(selector: any, labels: Record<string, string> | undefined): MaybeUnknown<boolean> {
    const sel = raw(selector);
    if (isUnknown(sel) || isUnknown(labels)) {
        return UNKNOWN;
    }
    if (!sel || typeof sel !== "object") {
        return false;
    }
    const l: Record<string, unknown> = obj(labels);
    const matchLabels = sel.matchLabels;
    const exprs = sel.matchExpressions;
    if (isUnknown(matchLabels) || isUnknown(exprs)) {
        return UNKNOWN;
    }
    const pairs = Object.entries(obj(matchLabels));
    const list: any[] = Array.isArray(exprs) ? exprs.map(obj) : [];
    if (pairs.length === 0 && list.length === 0) {
        return true; // an empty selector selects every pod of the namespace
    }
    const involved = [...pairs.flat(), ...pairs.map(([k]) => l[k]), ...list.flatMap((e) => [e.key, e.operator, e.values, l[e.key], ...(Array.isArray(e.values) ? e.values : [])])];
    if (involved.some(isUnknown)) {
        return UNKNOWN;
    }
    const okLabels = pairs.every(([k, v]) => l[k] === v);
    const okExprs = list.every((e) => {
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

/** Known strings a resource may be referred to by from another resource's properties (never an unknown: all unknowns look alike). */
export function identitiesOf(r: PolicyResource): Set<string> {
    const out = new Set<string>();
    const p = propsOf(r);
    for (const key of ["id", "arn", "name", "identifier", "bucket", "nodeGroupName", "replicationGroupId"]) {
        const v = p[key];
        if (isKnownString(v) && v.length > 0) {
            out.add(v);
        }
    }
    return out;
}

/** URNs `from` depends on: all of them, or those behind the given top-level properties when the engine says which. */
function dependencyUrns(from: PolicyResource, properties?: readonly string[]): Set<string> {
    const byProperty = from.propertyDependencies ?? {};
    if (properties && properties.some((k) => (byProperty[k] ?? []).length > 0)) {
        return new Set(properties.flatMap((k) => (byProperty[k] ?? []).map((d) => d.urn)));
    }
    return new Set([...from.dependencies.map((d) => d.urn), ...Object.values(byProperty).flat().map((d) => d.urn)]);
}

/**
 * True when `from` refers to `to`: `to` is among `from`'s dependencies (the engine records one for every
 * Output passed as an input, known or not; narrowed to `properties` when the engine sends property
 * dependencies), or one of `values` names `to` by a known id/arn/name. Unknown values never match by
 * value: during preview every unknown id is the same sentinel.
 */
export function refersTo(from: PolicyResource, to: PolicyResource, values: readonly unknown[] = [], properties?: readonly string[]): boolean {
    if (dependencyUrns(from, properties).has(to.urn)) {
        return true;
    }
    const ids = identitiesOf(to);
    return values.some((v) => isKnownString(v) && ids.has(v));
}

/**
 * The resources among `candidates` that `from` refers to (see `refersTo`). When none is linked and a
 * reference is unknown (no dependency information, an id not created yet), the candidates that share
 * `from`'s parent component (or are its parent) are taken instead, when exactly one does: a component
 * creates a resource and its companion (a bucket and its public-access block) side by side.
 */
export function linkedResources(from: PolicyResource, candidates: readonly PolicyResource[], values: readonly unknown[] = [], properties?: readonly string[]): PolicyResource[] {
    const linked = candidates.filter((c) => c !== from && refersTo(from, c, values, properties));
    if (linked.length > 0 || !values.some(isUnknown)) {
        return linked;
    }
    const parentUrn = from.parent?.urn ?? from.opts?.parent;
    const siblings = candidates.filter((c) => c !== from && parentUrn !== undefined && (c.urn === parentUrn || (c.parent?.urn ?? c.opts?.parent) === parentUrn));
    return siblings.length === 1 ? siblings : [];
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

/** Taints and labels nodes register with, and where they were read. */
export interface NodeRegistration {
    readonly taints: readonly Taint[];
    readonly labels: Readonly<Record<string, string>>;
    /** "taints/labels", "user data", or "cluster-autoscaler node-template tags" (a preview stand-in for unknown user data). */
    readonly source: string;
}

export interface NodePool {
    readonly resource: PolicyResource;
    readonly kind: "asg" | "node-group";
    /** Whether the pool buys or registers as spot capacity; `UNKNOWN` when only unknown values could tell. */
    readonly spot: MaybeUnknown<boolean>;
    /** Why the pool counts as spot, for messages. */
    readonly spotReason?: string;
    /** Distinct instance types; `"flexible"` for attribute-based selection (instanceRequirements); `UNKNOWN` during preview. */
    readonly instanceTypes: MaybeUnknown<readonly string[] | "flexible">;
    /** Raw minSize (number, `undefined` when unset, or an unknown sentinel). */
    readonly minSize: MaybeUnknown<number | undefined>;
    readonly maxSize: MaybeUnknown<number | undefined>;
    /** Taints and labels nodes register with (node group `taints`/`labels`, or kubelet flags / nodeadm config in user data). */
    readonly registration: MaybeUnknown<NodeRegistration>;
    /** ASG tags as a map (`UNKNOWN` when the tag list is unknown); empty for node groups. */
    readonly tags: MaybeUnknown<Readonly<Record<string, MaybeUnknown<string>>>>;
    readonly launchTemplate?: PolicyResource;
}

const EKS_TAINT_EFFECTS: Readonly<Record<string, string>> = {
    NO_SCHEDULE: "NoSchedule",
    NO_EXECUTE: "NoExecute",
    PREFER_NO_SCHEDULE: "PreferNoSchedule",
};

/** Launch template user data as text: base64 is decoded, plain text is returned as is; `UNKNOWN` during preview. */
export function decodeUserData(userData: unknown): string;
export function decodeUserData(userData: unknown, allowUnknown: true): MaybeUnknown<string>;
export function decodeUserData(userData: unknown, allowUnknown = false): MaybeUnknown<string> {
    if (isUnknown(userData)) {
        return allowUnknown ? UNKNOWN : "";
    }
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

/** Tri-state OR: the first `true` wins; otherwise `UNKNOWN` if any is unknown; otherwise false. */
function anyOf(evidence: readonly { value: MaybeUnknown<boolean>; reason: string }[]): { value: MaybeUnknown<boolean>; reason?: string } {
    const yes = evidence.find((e) => e.value === true);
    if (yes) {
        return { value: true, reason: yes.reason };
    }
    return { value: evidence.some((e) => e.value === UNKNOWN) ? UNKNOWN : false };
}

/** ASG tags as a map (`tags: [{ key, value, propagateAtLaunch }]`); `UNKNOWN` when the list (or a key) is unknown. */
function asgTags(p: any): MaybeUnknown<Record<string, MaybeUnknown<string>>> {
    if (isUnknown(p.tags)) {
        return UNKNOWN;
    }
    const out: Record<string, MaybeUnknown<string>> = {};
    for (const t of Array.isArray(p.tags) ? p.tags : []) {
        if (isUnknown(t) || isUnknown(obj(t).key)) {
            return UNKNOWN;
        }
        if (typeof t?.key === "string") {
            out[t.key] = isUnknown(t.value) ? UNKNOWN : String(t.value ?? "");
        }
    }
    return out;
}

const NODE_TEMPLATE_LABEL = "k8s.io/cluster-autoscaler/node-template/label/";
const NODE_TEMPLATE_TAINT = "k8s.io/cluster-autoscaler/node-template/taint/";

/**
 * The registration an ASG's cluster-autoscaler node-template tags declare (`.../label/<key>` = value,
 * `.../taint/<key>` = value:effect): what the autoscaler itself assumes new nodes of the group register
 * with. Stands in for user data that is unknown during preview.
 */
function registrationFromTags(tags: MaybeUnknown<Record<string, MaybeUnknown<string>>>): MaybeUnknown<NodeRegistration> {
    if (tags === UNKNOWN) {
        return UNKNOWN;
    }
    const taints: Taint[] = [];
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(tags)) {
        if (!key.startsWith(NODE_TEMPLATE_LABEL) && !key.startsWith(NODE_TEMPLATE_TAINT)) {
            continue;
        }
        if (value === UNKNOWN) {
            return UNKNOWN;
        }
        if (key.startsWith(NODE_TEMPLATE_LABEL)) {
            labels[key.slice(NODE_TEMPLATE_LABEL.length)] = value;
        } else {
            const i = value.lastIndexOf(":");
            taints.push({ key: key.slice(NODE_TEMPLATE_TAINT.length), value: i >= 0 ? value.slice(0, i) : value, effect: i >= 0 ? value.slice(i + 1) : "" });
        }
    }
    return { taints, labels, source: "cluster-autoscaler node-template tags" };
}

/**
 * The launch template `r` launches from: linked by dependency (narrowed to `properties` when the engine
 * sends property dependencies) or a known id/name, else the lone template beside it when the reference
 * is unknown. `refs` holds the raw reference values, unknowns included.
 */
function launchTemplateOf(r: PolicyResource, refs: readonly unknown[], properties: readonly string[], templates: readonly PolicyResource[]): PolicyResource | undefined {
    const linked = linkedResources(r, templates, refs, properties);
    return linked.find((t) => refs.some((v) => isKnownString(v) && identitiesOf(t).has(v))) ?? linked[0];
}

function spotByRegistration(reg: MaybeUnknown<NodeRegistration>, spot: { taint: Taint; label: { key: string; value: string } }): MaybeUnknown<boolean> {
    if (reg === UNKNOWN) {
        return UNKNOWN;
    }
    return reg.taints.some((t) => t.key === spot.taint.key) || reg.labels[spot.label.key] === spot.label.value;
}

/**
 * Every node pool of the stack, classified on-demand or spot:
 * - EKS managed node group: `capacityType: "SPOT"`;
 * - Auto Scaling group: a mixed-instances policy with `onDemandPercentageAboveBaseCapacity: 0`, a launch
 *   template requesting spot (`instanceMarketOptions.marketType: "spot"`), or nodes that register with the
 *   spot taint or label (user data, or cluster-autoscaler node-template tags).
 *
 * Preview-aware: every field is read from the plain props; launch templates are joined by dependency when
 * their ids are unknown; unknown user data (it embeds the cluster endpoint, known only once the cluster
 * exists) is replaced by the node-template tags; what stays unknown is `UNKNOWN`, for the policy to weigh.
 */
export function nodePoolsOf(resources: readonly PolicyResource[], spot: { taint: Taint; label: { key: string; value: string } }): NodePool[] {
    const templates = resources.filter((r) => r.isType(aws.ec2.LaunchTemplate));
    const pools: NodePool[] = [];
    for (const r of resources) {
        const p = propsOf(r);
        if (r.isType(aws.eks.NodeGroup)) {
            const ltRef = p.launchTemplate;
            const refs = [ltRef, obj(ltRef).id, obj(ltRef).name].filter((v) => isUnknown(v) || isKnownString(v));
            const lt = isSet(ltRef) ? launchTemplateOf(r, refs, ["launchTemplate"], templates) : undefined;
            const userData = lt ? decodeUserData(propsOf(lt).userData, true) : isSet(ltRef) ? UNKNOWN : "";
            const fromUserData = userData === UNKNOWN ? undefined : nodeRegistrationFromUserData(userData);
            let registration: MaybeUnknown<NodeRegistration>;
            if (isUnknown(p.taints) || isUnknown(p.labels) || (Array.isArray(p.taints) && p.taints.some((t: any) => [t, obj(t).key, obj(t).value, obj(t).effect].some(isUnknown)))) {
                registration = UNKNOWN;
            } else {
                registration = {
                    taints: [
                        ...(Array.isArray(p.taints) ? p.taints : []).map((t: any) => ({ key: t.key, value: t.value ?? "", effect: EKS_TAINT_EFFECTS[t.effect] ?? t.effect })),
                        ...(fromUserData?.taints ?? []),
                    ],
                    labels: { ...Object.fromEntries(Object.entries(obj(p.labels)).filter(([, v]) => isKnownString(v))) as Record<string, string>, ...(fromUserData?.labels ?? {}) },
                    source: fromUserData ? "taints/labels" : "taints/labels (launch template user data unknown)",
                };
            }
            const capacity = isUnknown(p.capacityType) ? UNKNOWN : String(p.capacityType ?? "ON_DEMAND").toUpperCase() === "SPOT";
            const ltType = lt ? propsOf(lt).instanceType : undefined;
            const types: MaybeUnknown<string[]> = isUnknown(p.instanceTypes) ? UNKNOWN
                : Array.isArray(p.instanceTypes) ? (p.instanceTypes.some(isUnknown) ? UNKNOWN : [...new Set<string>(p.instanceTypes)])
                    : isUnknown(ltType) ? UNKNOWN : isKnownString(ltType) ? [ltType] : [];
            const scaling = p.scalingConfig;
            pools.push({
                resource: r,
                kind: "node-group",
                spot: capacity,
                spotReason: capacity === true ? "capacityType SPOT" : undefined,
                instanceTypes: types,
                minSize: isUnknown(scaling) ? UNKNOWN : numOf(obj(scaling).minSize),
                maxSize: isUnknown(scaling) ? UNKNOWN : numOf(obj(scaling).maxSize),
                registration,
                tags: {},
                launchTemplate: lt,
            });
        } else if (r.isType(aws.autoscaling.Group)) {
            const mixed = p.mixedInstancesPolicy;
            const mixedLt = obj(obj(mixed).launchTemplate);
            const spec = mixedLt.launchTemplateSpecification;
            const refs = [p.launchTemplate, obj(p.launchTemplate).id, obj(p.launchTemplate).name, mixed, mixedLt, spec, obj(spec).launchTemplateId, obj(spec).launchTemplateName]
                .filter((v) => isUnknown(v) || isKnownString(v));
            const referencesTemplate = isSet(p.launchTemplate) || isSet(mixed);
            const lt = referencesTemplate ? launchTemplateOf(r, refs, ["launchTemplate", "mixedInstancesPolicy"], templates) : undefined;
            const ltProps = lt ? propsOf(lt) : {};
            const tags = asgTags(p);
            const userData: MaybeUnknown<string> = lt ? decodeUserData(ltProps.userData, true) : referencesTemplate && refs.some(isUnknown) ? UNKNOWN : "";
            const registration: MaybeUnknown<NodeRegistration> = userData === UNKNOWN
                ? registrationFromTags(tags)
                : { ...nodeRegistrationFromUserData(userData), source: "user data" };

            // How the group buys capacity.
            let mixedSpot: MaybeUnknown<boolean> = false;
            if (isUnknown(mixed) || isUnknown(obj(mixed).instancesDistribution)) {
                mixedSpot = UNKNOWN;
            } else if (mixed) {
                const pct = numOf(obj(mixed.instancesDistribution).onDemandPercentageAboveBaseCapacity);
                mixedSpot = pct === UNKNOWN ? UNKNOWN : pct === 0;
            }
            const market = obj(ltProps.instanceMarketOptions);
            const ltSpot: MaybeUnknown<boolean> = lt
                ? (isUnknown(ltProps.instanceMarketOptions) || isUnknown(market.marketType) ? UNKNOWN : String(market.marketType ?? "").toLowerCase() === "spot")
                : (userData === UNKNOWN ? UNKNOWN : false);
            const tagSpot: MaybeUnknown<boolean> = tags === UNKNOWN ? UNKNOWN
                : tags[`${NODE_TEMPLATE_LABEL}${spot.label.key}`] === UNKNOWN || tags[`${NODE_TEMPLATE_TAINT}${spot.taint.key}`] === UNKNOWN ? UNKNOWN
                    : tags[`${NODE_TEMPLATE_LABEL}${spot.label.key}`] === spot.label.value || tags[`${NODE_TEMPLATE_TAINT}${spot.taint.key}`] !== undefined;
            const verdict = anyOf([
                { value: mixedSpot, reason: "mixedInstancesPolicy with onDemandPercentageAboveBaseCapacity 0" },
                { value: ltSpot, reason: "launch template requests spot instances" },
                { value: spotByRegistration(registration, spot), reason: "nodes register with the spot taint or label" },
                { value: tagSpot, reason: "cluster-autoscaler node-template tags mark it spot" },
            ]);

            // Which instance types it may launch.
            const overrides = mixedLt.overrides;
            let instanceTypes: MaybeUnknown<readonly string[] | "flexible">;
            if (isUnknown(mixed) || isUnknown(obj(mixed).launchTemplate) || isUnknown(overrides)) {
                instanceTypes = UNKNOWN;
            } else {
                const list: any[] = Array.isArray(overrides) ? overrides : [];
                if (list.some((o) => isSet(obj(o).instanceRequirements)) || isSet(ltProps.instanceRequirements)) {
                    instanceTypes = "flexible";
                } else if (list.some((o) => isUnknown(o) || isUnknown(obj(o).instanceType)) || (list.length === 0 && (isUnknown(ltProps.instanceType) || (!lt && referencesTemplate && refs.some(isUnknown))))) {
                    instanceTypes = UNKNOWN;
                } else {
                    instanceTypes = [...new Set<string>([
                        ...list.map((o) => o?.instanceType).filter(isKnownString),
                        ...(list.length === 0 && isKnownString(ltProps.instanceType) ? [ltProps.instanceType] : []),
                    ])];
                }
            }
            pools.push({
                resource: r,
                kind: "asg",
                spot: verdict.value,
                spotReason: verdict.reason,
                instanceTypes,
                minSize: numOf(p.minSize),
                maxSize: numOf(p.maxSize),
                registration,
                tags,
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
