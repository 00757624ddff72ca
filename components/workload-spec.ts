/**
 * Pod-spec building blocks shared by `RegionalDeployment` and `WorkerPool`: the restricted security
 * context, resource and image validation, environment wiring and the spot-pool scheduling keys.
 * Pure functions only; the components call them and tests call them directly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NODE_TYPE_LABEL } from "./node-pool";
import { DNS_LABEL, IMAGE_REFERENCE, Problems, cpuMillicores, memoryBytes, show } from "./validation";

/** CPU and memory as Kubernetes quantities, e.g. `{ cpu: "250m", memory: "128Mi" }`. */
export interface WorkloadResourceSpec {
    readonly cpu: string;
    readonly memory: string;
}

/** Requests and limits of one container. Limits must be >= requests. */
export interface WorkloadResources {
    readonly requests: WorkloadResourceSpec;
    readonly limits: WorkloadResourceSpec;
}

/** A key of a Kubernetes Secret exposed to a container as one environment variable. */
export interface SecretKeyRef {
    /** Name of the Secret, in the workload's namespace. */
    readonly secretName: pulumi.Input<string>;
    /** Key inside the Secret. */
    readonly key: string;
}

/**
 * Label the spot node pool carries (`node-type=spot`, seeds 000/001); the key and the spot taint
 * (`spot=true:NoSchedule`, `SPOT_TAINT`) come from `NodePool`, which puts them on the nodes.
 */
export const SPOT_NODE_LABEL = { key: NODE_TYPE_LABEL, value: "spot" } as const;

/** Where the writable scratch volume is mounted; the root filesystem is read-only. */
export const TMP_MOUNT_PATH = "/tmp";
/** Size cap of the `/tmp` emptyDir, so a runaway writer is evicted instead of filling the node disk. */
export const DEFAULT_TMP_SIZE_LIMIT = "256Mi";

/** Labels every object of the platform carries (Kubernetes recommended labels). */
export const PART_OF = "scaled-web";

/** A POSIX-style environment variable name (what Kubernetes accepts without warnings). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variable names that must never carry a plain-text value: use `secretEnv` or `envFrom` a Secret. */
const SECRET_LOOKING_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL)/i;
/** A URL with credentials in it (`scheme://user:pass@host`). */
export const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i;

/** Why `ref` is not a usable image reference, or undefined when it is one. */
export function imageReferenceProblem(ref: unknown): string | undefined {
    if (typeof ref !== "string" || ref.length === 0) {
        return `is required: a container image reference such as "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2", got ${show(ref)}`;
    }
    if (!IMAGE_REFERENCE.test(ref)) {
        return `must be a container image reference such as "registry/repository:tag" or "repository@sha256:<digest>" (lower-case repository, tag <= 128 characters), got ${show(ref)}`;
    }
    return undefined;
}

/**
 * Checks a container image reference. Plain strings are checked now; an Output (an image built or
 * resolved by another resource) is checked when it resolves, by `checkedImage`.
 */
export function validateImage(problems: Problems, path: string, image: pulumi.Input<string> | undefined): void {
    if (pulumi.Output.isInstance(image) || (image !== null && typeof image === "object")) {
        return; // an Output or a promise: checked by checkedImage when known
    }
    const problem = imageReferenceProblem(image);
    if (problem) {
        problems.add(path, problem);
    }
}

/** The image as an Output that fails the deployment with a clear message when it resolves to an invalid reference. */
export function checkedImage(image: pulumi.Input<string>, what: string): pulumi.Output<string> {
    return pulumi.output(image).apply((ref) => {
        const problem = imageReferenceProblem(ref);
        if (problem) {
            throw new Error(`${what}: image ${problem}`);
        }
        return ref;
    });
}

/**
 * Checks CPU/memory requests and limits: both present, valid Kubernetes quantities, > 0, and limits
 * not below requests (the scheduler places pods on requests; a lower limit would be rejected by the API).
 */
export function validateResources(problems: Problems, path: string, resources: WorkloadResources | undefined): void {
    if (!resources || !resources.requests || !resources.limits) {
        problems.add(path, `must give requests and limits for cpu and memory, e.g. { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } }, got ${show(resources)}`);
        return;
    }
    const parsed: Record<string, number | undefined> = {};
    for (const kind of ["requests", "limits"] as const) {
        const cpu = resources[kind].cpu;
        const memory = resources[kind].memory;
        const cpuValue = typeof cpu === "string" ? cpuMillicores(cpu) : undefined;
        const memoryValue = typeof memory === "string" ? memoryBytes(memory) : undefined;
        if (cpuValue === undefined || cpuValue <= 0) {
            problems.add(`${path}.${kind}.cpu`, `must be a Kubernetes CPU quantity > 0 such as "250m" or "2", got ${show(cpu)}`);
        }
        if (memoryValue === undefined || memoryValue <= 0) {
            problems.add(`${path}.${kind}.memory`, `must be a Kubernetes memory quantity > 0 such as "128Mi" or "2Gi", got ${show(memory)}`);
        }
        parsed[`${kind}.cpu`] = cpuValue;
        parsed[`${kind}.memory`] = memoryValue;
    }
    for (const res of ["cpu", "memory"] as const) {
        const request = parsed[`requests.${res}`];
        const limit = parsed[`limits.${res}`];
        if (request !== undefined && limit !== undefined && limit < request) {
            problems.add(`${path}.limits.${res}`, `must be >= the request (${resources.requests[res]}), got ${show(resources.limits[res])}; raise the limit or lower the request`);
        }
    }
}

/**
 * Checks plain environment variables: valid names, and nothing that looks like a secret in plain text
 * (a manifest is readable by anyone with `get deployment`; secrets belong in a Secret).
 */
export function validateEnv(problems: Problems, path: string, env: Readonly<Record<string, string>> | undefined, secretEnv: Readonly<Record<string, SecretKeyRef>> | undefined): void {
    for (const [name, value] of Object.entries(env ?? {})) {
        if (!ENV_NAME.test(name)) {
            problems.add(`${path}.${name}`, `must be an environment variable name (letters, digits, '_', not starting with a digit), got ${show(name)}`);
        }
        if (SECRET_LOOKING_NAME.test(name)) {
            problems.add(`${path}.${name}`, "looks like a secret; pass it in secretEnv (a Secret key) instead of plain env, which is visible in the manifest");
        }
        if (typeof value === "string" && URL_WITH_CREDENTIALS.test(value)) {
            problems.add(`${path}.${name}`, "is a URL with credentials in it; put it in a Secret and pass it in secretEnv");
        }
    }
    for (const [name, ref] of Object.entries(secretEnv ?? {})) {
        if (!ENV_NAME.test(name)) {
            problems.add(`secretEnv.${name}`, `must be an environment variable name, got ${show(name)}`);
        }
        if (Object.prototype.hasOwnProperty.call(env ?? {}, name)) {
            problems.add(`secretEnv.${name}`, "is also set in env; give each variable once");
        }
        if (!ref || typeof ref.key !== "string" || !/^[-._a-zA-Z0-9]+$/.test(ref.key)) {
            problems.add(`secretEnv.${name}.key`, `must be a Secret key (letters, digits, '-', '_', '.'), got ${show(ref?.key)}`);
        }
    }
}

/** Checks a Kubernetes object name (RFC 1123 label). */
export function validateName(problems: Problems, path: string, value: string | undefined, example: string): void {
    if (typeof value !== "string" || !DNS_LABEL.test(value)) {
        problems.add(path, `must be a DNS label (lower-case letters, digits, '-', at most 63 characters) such as "${example}", got ${show(value)}`);
    }
}

/** Checks a whole number within [min, max]. */
export function validateInt(problems: Problems, path: string, value: unknown, min: number, max: number, why = ""): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        problems.add(path, `must be a whole number from ${min} to ${max}${why ? ` (${why})` : ""}, got ${show(value)}`);
    }
}

/**
 * Numeric user the containers run as. A numeric id lets the kubelet enforce `runAsNonRoot` even for
 * images whose `USER` is a name (which it cannot verify) or root.
 */
export const DEFAULT_RUN_AS_USER = 10001;

/** Pod-level security context: non-root, RuntimeDefault seccomp, files group-owned by the pod's fsGroup. */
export function podSecurityContext(uid: number = DEFAULT_RUN_AS_USER): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container security context that passes the Pod Security Standard "restricted". */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The `/tmp` scratch volume (memory-backed emptyDir is avoided: it would count against the memory limit). */
export function tmpVolume(sizeLimit: string = DEFAULT_TMP_SIZE_LIMIT): k8s.types.input.core.v1.Volume {
    return { name: "tmp", emptyDir: { sizeLimit } };
}

export function tmpVolumeMount(): k8s.types.input.core.v1.VolumeMount {
    return { name: "tmp", mountPath: TMP_MOUNT_PATH };
}

/** Container env: plain values first (sorted, so diffs stay stable), then Secret references. */
export function containerEnv(env: Readonly<Record<string, pulumi.Input<string>>> = {}, secretEnv: Readonly<Record<string, SecretKeyRef>> = {}): k8s.types.input.core.v1.EnvVar[] {
    const plain = Object.keys(env).sort().map((name) => ({ name, value: env[name] }));
    const secret = Object.keys(secretEnv).sort().map((name) => ({
        name,
        valueFrom: { secretKeyRef: { name: secretEnv[name].secretName, key: secretEnv[name].key } },
    }));
    return [...plain, ...secret];
}

/** `envFrom` entries: every key of the given Secrets and ConfigMaps becomes an environment variable. */
/** A container's `resources` from the validated sizing: exactly cpu and memory requests and limits. */
export function containerResources(r: WorkloadResources): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: { cpu: r.requests.cpu, memory: r.requests.memory },
        limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    };
}

export function containerEnvFrom(secretNames: readonly pulumi.Input<string>[] = [], configMapNames: readonly pulumi.Input<string>[] = []): k8s.types.input.core.v1.EnvFromSource[] {
    return [
        ...configMapNames.map((name) => ({ configMapRef: { name } })),
        ...secretNames.map((name) => ({ secretRef: { name } })),
    ];
}

/** Pod Security Standards a namespace of this package may enforce ("privileged" is not offered). */
export type PodSecurityLevel = "restricted" | "baseline";

/**
 * Pod Security Admission labels: the API server rejects pods below `level`, and warns about and audits
 * anything below "restricted" (which every workload of this package meets).
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    };
}

/** Labels of a namespace a component creates for itself: restricted Pod Security plus the platform labels. */
export function restrictedNamespaceLabels(): Record<string, string> {
    return {
        ...podSecurityLabels("restricted"),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Topology key of the zone spread constraints. */
export const ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone";

/**
 * The namespace a workload component deploys into: `given` when the caller passes one, otherwise a new
 * Namespace `<name>-ns` called `app`, labelled for the "restricted" Pod Security Standard.
 */
export function workloadNamespace(name: string, app: string, given: pulumi.Input<string> | undefined, parent: pulumi.Resource): pulumi.Output<string> {
    if (given !== undefined) {
        return pulumi.output(given);
    }
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
        metadata: { name: app, labels: restrictedNamespaceLabels() },
    }, { parent });
    return ns.metadata.name;
}
