/**
 * Validates the Kubernetes objects a mocked run registered against the Kubernetes OpenAPI schema
 * (`kubernetes-models`, `@kubernetes-models/keda`), so a wrong type, a missing required field or a
 * misspelt field is a test failure rather than a failed `pulumi up`.
 *
 * Two checks per object:
 * 1. the model's own JSON-schema validation (types, enums, required fields, quantity formats);
 * 2. unknown fields: the Kubernetes schemas allow extra properties (the API server prunes or rejects
 *    them later), so the helper runs the same validator over a proxy of the object and reports every
 *    field of a schema-typed object that the validator never looked at. Free-form maps (labels,
 *    resource lists, KEDA trigger metadata) are enumerated by the validator and so never flagged.
 *
 * A `kubernetes:` type this file does not map fails loudly: add its model to `MODELS`.
 */
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { DaemonSet, Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1";
import { Job, CronJob } from "kubernetes-models/batch/v1";
import { ClusterTriggerAuthentication, ScaledJob, ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import type { RegisteredResource } from "./harness";
import targetGroupBindingCrd from "./fixtures/targetgroupbinding-v1beta1.crd.json";

/** A kubernetes-models class: its prototype's `validate()` runs the compiled schema on `this`. */
interface ModelClass {
    new (data?: any): { toJSON(): any; validate(): void };
    prototype: { validate(): void };
}

/** Pulumi type token -> schema model. */
export const MODELS: Readonly<Record<string, ModelClass>> = {
    "kubernetes:core/v1:Namespace": Namespace,
    "kubernetes:core/v1:Secret": Secret,
    "kubernetes:core/v1:ConfigMap": ConfigMap,
    "kubernetes:core/v1:Service": Service,
    "kubernetes:core/v1:ServiceAccount": ServiceAccount,
    "kubernetes:apps/v1:Deployment": Deployment,
    "kubernetes:apps/v1:DaemonSet": DaemonSet,
    "kubernetes:apps/v1:StatefulSet": StatefulSet,
    "kubernetes:batch/v1:Job": Job,
    "kubernetes:batch/v1:CronJob": CronJob,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "kubernetes:policy/v1:PodDisruptionBudget": PodDisruptionBudget,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ClusterRole,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ClusterRoleBinding,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": Role,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": RoleBinding,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": NetworkPolicy,
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": PriorityClass,
    "kubernetes:storage.k8s.io/v1:StorageClass": StorageClass,
    "kubernetes:keda.sh/v1alpha1:ScaledObject": ScaledObject,
    "kubernetes:keda.sh/v1alpha1:ScaledJob": ScaledJob,
    "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": TriggerAuthentication,
    "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication": ClusterTriggerAuthentication,
};

/**
 * Custom resources without a kubernetes-models class, validated against the `openAPIV3Schema` of their CRD as
 * the pinned chart ships it (each fixture names its source and tag). The schema is made closed
 * (`additionalProperties: false` on every object that lists properties) so a misspelt field fails here instead of
 * being pruned by the API server.
 */
export const CRD_SCHEMAS: Readonly<Record<string, { readonly source: string; readonly openAPIV3Schema: Record<string, unknown> }>> = {
    "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding": targetGroupBindingCrd,
};

/** A copy of an OpenAPI v3 CRD schema with unknown fields refused and the `x-kubernetes-*` extensions dropped. */
export function closedSchema(schema: unknown): unknown {
    if (Array.isArray(schema)) {
        return schema.map(closedSchema);
    }
    if (schema === null || typeof schema !== "object") {
        return schema;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
        if (k.startsWith("x-kubernetes-")) {
            continue;
        }
        out[k] = k === "properties"
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([name, sub]) => [name, closedSchema(sub)]))
            : closedSchema(v);
    }
    if (out.type === "object" && out.properties !== undefined && out.additionalProperties === undefined) {
        out.additionalProperties = false;
    }
    return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
// OpenAPI's integer formats: the `type: integer` check already applies; the width is the API server's concern.
ajv.addFormat("int32", true);
ajv.addFormat("int64", true);
const crdValidators = new Map<string, ReturnType<Ajv["compile"]>>();

/** Schema problems of a custom resource against its CRD (empty when valid). */
export function crdSchemaErrors(type: string, manifest: Record<string, unknown>): string[] {
    const crd = CRD_SCHEMAS[type];
    if (!crd) {
        throw new Error(`tests/k8s-schema.ts has no CRD schema for ${type}; add it to CRD_SCHEMAS`);
    }
    let validate = crdValidators.get(type);
    if (!validate) {
        validate = ajv.compile(closedSchema(crd.openAPIV3Schema) as object);
        crdValidators.set(type, validate);
    }
    if (validate(manifest)) {
        return [];
    }
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
}

/**
 * Pulumi resource types in the `kubernetes` package that are not Kubernetes API objects (Helm releases,
 * groups of manifests): they have no OpenAPI schema. Listed by name so nothing else is skipped.
 */
export const NOT_API_OBJECTS: ReadonlySet<string> = new Set([
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:kustomize/v2:Directory",
]);

/** Every registered Kubernetes resource (excluding the provider itself). */
export function kubernetesResources(resources: readonly RegisteredResource[]): RegisteredResource[] {
    return resources.filter((r) => r.type.startsWith("kubernetes:"));
}

interface Tracked {
    readonly path: string;
    readonly keys: readonly string[];
    readonly read: Set<string>;
    enumerated: boolean;
    touched: boolean;
}

/** Wraps `value` (recursively) in proxies that record which keys the validator reads or enumerates. */
function track(value: unknown, path: string, log: Tracked[]): unknown {
    if (value === null || typeof value !== "object") {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => track(v, `${path}[${i}]`, log));
    }
    const obj = value as Record<string, unknown>;
    const info: Tracked = { path, keys: Object.keys(obj), read: new Set(), enumerated: false, touched: false };
    log.push(info);
    const target = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, track(v, path ? `${path}.${k}` : k, log)]));
    const note = (p: string | symbol): void => {
        if (typeof p === "string") {
            info.touched = true;
            info.read.add(p);
        }
    };
    return new Proxy(target, {
        get(t, p, receiver) {
            note(p);
            return Reflect.get(t, p, receiver);
        },
        has(t, p) {
            note(p);
            return Reflect.has(t, p);
        },
        ownKeys(t) {
            info.touched = true;
            info.enumerated = true;
            return Reflect.ownKeys(t);
        },
    });
}

/**
 * Fields of a CRD newer than its installed model (`@kubernetes-models/keda` 0.4.2 predates KEDA 2.12's
 * `scalingModifiers`), with their schema as the CRD at the pinned chart's tag defines it
 * (kedacore/keda@v2.18.3 config/crd/bases/keda.sh_scaledobjects.yaml: four string properties, `metricType`
 * one of AverageValue/Value). Each is checked here and removed before the model validates the rest.
 */
interface ExtraField {
    readonly path: readonly string[];
    readonly properties: Readonly<Record<string, { readonly enum?: readonly string[] }>>;
}
export const CRD_FIELDS_NEWER_THAN_MODEL: Readonly<Record<string, readonly ExtraField[]>> = {
    "kubernetes:keda.sh/v1alpha1:ScaledObject": [{
        path: ["spec", "advanced", "scalingModifiers"],
        properties: { activationTarget: {}, formula: {}, metricType: { enum: ["AverageValue", "Value"] }, target: {} },
    }],
};

/** Checks and strips the `CRD_FIELDS_NEWER_THAN_MODEL` of `type` from a copy of `manifest`. */
function stripNewerFields(type: string, manifest: Record<string, unknown>): { manifest: Record<string, unknown>; errors: string[] } {
    const copy = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
    const errors: string[] = [];
    for (const field of CRD_FIELDS_NEWER_THAN_MODEL[type] ?? []) {
        let parent: Record<string, unknown> | undefined = copy;
        for (const key of field.path.slice(0, -1)) {
            const next: unknown = parent?.[key];
            parent = next !== null && typeof next === "object" ? next as Record<string, unknown> : undefined;
        }
        const last = field.path[field.path.length - 1];
        const value = parent?.[last];
        if (parent === undefined || value === undefined) {
            continue;
        }
        const at = field.path.join(".");
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            errors.push(`${at}: must be an object`);
        } else {
            for (const [k, v] of Object.entries(value)) {
                const spec = field.properties[k];
                if (!spec) {
                    errors.push(`${at}.${k}: unknown field (not in the ${type} CRD)`);
                } else if (typeof v !== "string") {
                    errors.push(`${at}.${k}: must be a string, got ${JSON.stringify(v)}`);
                } else if (spec.enum && !spec.enum.includes(v)) {
                    errors.push(`${at}.${k}: must be one of ${spec.enum.join(", ")}, got ${v}`);
                }
            }
        }
        delete parent[last];
    }
    return { manifest: copy, errors };
}

/** Schema problems of one object, as `path: message` lines (empty when valid). */
export function schemaErrors(type: string, input: Record<string, unknown>): string[] {
    if (CRD_SCHEMAS[type] && !MODELS[type]) {
        return crdSchemaErrors(type, input);
    }
    const Model = MODELS[type];
    if (!Model) {
        throw new Error(`tests/k8s-schema.ts has no schema model for ${type}; add it to MODELS (do not skip it)`);
    }
    const { manifest, errors: newer } = stripNewerFields(type, input);
    if (newer.length > 0) {
        return newer;
    }
    const normalized = new Model(manifest).toJSON();
    try {
        new Model(normalized).validate();
    } catch (e) {
        return [(e as Error).message];
    }
    const log: Tracked[] = [];
    const proxy = track(normalized, "", log);
    Model.prototype.validate.call(proxy);
    const unknown: string[] = [];
    for (const t of log) {
        if (!t.touched || t.enumerated) {
            continue; // free-form object (never inspected) or a map (validated key by key)
        }
        for (const k of t.keys) {
            if (!t.read.has(k)) {
                unknown.push(`${t.path ? `${t.path}.` : ""}${k}: unknown field (not in the ${type} schema)`);
            }
        }
    }
    return unknown;
}

export interface SchemaReport {
    /** `type name` of every object validated. */
    readonly validated: readonly string[];
    /** `type name` of Helm releases and manifest groups, which have no schema. */
    readonly notApiObjects: readonly string[];
}

/**
 * Validates every Kubernetes object in `resources`. Throws one error listing every invalid object and
 * every object of an unmapped type; throws as well when there is no Kubernetes object at all.
 */
export function assertKubernetesSchemas(resources: readonly RegisteredResource[]): SchemaReport {
    const objects = kubernetesResources(resources);
    const failures: string[] = [];
    const validated: string[] = [];
    const notApiObjects: string[] = [];
    for (const r of objects) {
        const id = `${r.type} ${r.name}`;
        if (NOT_API_OBJECTS.has(r.type)) {
            notApiObjects.push(id);
            continue;
        }
        if (!MODELS[r.type] && !CRD_SCHEMAS[r.type]) {
            failures.push(`${id}: no schema model for this type; add it to MODELS (or its CRD to CRD_SCHEMAS) in tests/k8s-schema.ts`);
            continue;
        }
        const errors = schemaErrors(r.type, r.inputs);
        if (errors.length > 0) {
            failures.push(`${id}:\n    ${errors.join("\n    ")}`);
        }
        validated.push(id);
    }
    if (validated.length === 0 && failures.length === 0) {
        throw new Error("no Kubernetes object was registered; nothing to validate");
    }
    if (failures.length > 0) {
        throw new Error(`${failures.length} Kubernetes object(s) fail schema validation:\n  ${failures.join("\n  ")}`);
    }
    return { validated, notApiObjects };
}
