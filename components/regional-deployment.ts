import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Problems, show } from "./validation";
import {
    PART_OF,
    SPOT_NODE_LABEL,
    SecretKeyRef,
    WorkloadResources,
    checkedImage,
    containerEnv,
    containerEnvFrom,
    containerSecurityContext,
    podSecurityContext,
    ZONE_TOPOLOGY_KEY,
    workloadNamespace,
    tmpVolume,
    tmpVolumeMount,
    validateEnv,
    validateImage,
    validateInt,
    validateName,
    validateResources,
} from "./workload-spec";

/** Seed 000/003: add pods when average CPU use passes 70 % of the request. */
export const DEFAULT_TARGET_CPU_UTILIZATION = 70;
/** Seed 000: add pods when average memory use passes 80 % of the request. */
export const DEFAULT_TARGET_MEMORY_UTILIZATION = 80;
export const DEFAULT_HEALTH_PATH = "/health";
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** Seconds a stopping pod keeps serving after it is removed from the Service, while kube-proxy and the ALB catch up. */
export const DEFAULT_PRE_STOP_SLEEP_SECONDS = 5;
/** PodDisruptionBudget: drains and upgrades take at most one pod of a service at a time. */
export const DEFAULT_MAX_UNAVAILABLE = 1;
/** kube-proxy's default ClientIP affinity timeout (3 h), stated explicitly. */
export const DEFAULT_SESSION_AFFINITY_TIMEOUT_SECONDS = 10800;

export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";
/** Label EKS managed node groups put on spot nodes; excluded as well in case a pool lacks `node-type`. */
export const EKS_CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType";

/**
 * HPA `autoscaling/v2` behaviour derived from seed 003's rules, which are written for a VM autoscaler:
 *
 * | seed 003                                   | HPA v2                                                              |
 * |--------------------------------------------|---------------------------------------------------------------------|
 * | scale up at 70 % CPU sustained for 2 m     | `scaleUp.stabilizationWindowSeconds: 120` (the HPA acts on the lowest recommendation of the last 2 m, so only load that lasts 2 m scales up) |
 * | scale-up cooldown 3 m                      | policies with `periodSeconds: 180`: at most +100 % or +2 pods (whichever is more) per 3 m window |
 * | scale down at 30 % CPU sustained for 10 m  | `scaleDown.stabilizationWindowSeconds: 600` (the highest recommendation of the last 10 m wins) |
 * | scale-down cooldown 5 m, one at a time (seed 002 `scale_decrement: 1`, `cooldown_period: 300`) | policy `Pods 1 / periodSeconds: 300` |
 *
 * The HPA has one target per metric (70 % CPU, 80 % memory) rather than separate up/down thresholds:
 * it removes pods once the recomputed replica count (current × usage ÷ target) falls, which the 10-minute
 * window and the one-pod-per-5-minutes policy turn into the seed's slow, sustained-low-load scale-down.
 */
export const HPA_BEHAVIOR = {
    scaleUp: {
        stabilizationWindowSeconds: 120,
        selectPolicy: "Max",
        policies: [
            { type: "Percent", value: 100, periodSeconds: 180 },
            { type: "Pods", value: 2, periodSeconds: 180 },
        ],
    },
    scaleDown: {
        stabilizationWindowSeconds: 600,
        selectPolicy: "Min",
        policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
    },
} as const;

export type SessionAffinity = "None" | "ClientIP";
export type SpreadPolicy = "DoNotSchedule" | "ScheduleAnyway";

export interface RegionalDeploymentArgs {
    /**
     * Kubernetes name of the Deployment, Service, HPA and PDB, and the `app.kubernetes.io/name` label,
     * e.g. `"api"`. A DNS label.
     */
    readonly app: string;
    /**
     * Namespace to deploy into (an existing one, or another resource's output).
     * @default a new Namespace named `app` that enforces the "restricted" Pod Security Standard
     */
    readonly namespace?: pulumi.Input<string>;
    /** Container image reference, e.g. an ECR image pinned by digest. */
    readonly image: pulumi.Input<string>;
    /** Port the process listens on (>= 1024: the container runs as non-root without capabilities). Also passed as `PORT`. */
    readonly containerPort: number;
    /** Fixed NodePort (30000-32767) the region's load balancer target group sends traffic to. */
    readonly nodePort: number;
    /** Replica floor in this region: the Deployment's initial replicas and the HPA's `minReplicas`. */
    readonly minReplicas: number;
    /** HPA ceiling. */
    readonly maxReplicas: number;
    /** CPU/memory requests and limits (the tier's sizing). */
    readonly resources: WorkloadResources;
    /** HPA CPU target, % of the request. @default 70 */
    readonly targetCpuUtilization?: number;
    /** HPA memory target, % of the request. @default 80 */
    readonly targetMemoryUtilization?: number;
    /** HTTP path of the readiness, liveness and startup probes. @default "/health" */
    readonly healthPath?: string;
    /** Plain (non-secret) environment variables. Names that look like secrets are rejected. @default {} */
    readonly env?: Readonly<Record<string, string>>;
    /** Environment variables read from Secret keys. @default {} */
    readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
    /** Secrets whose every key becomes an environment variable. @default [] */
    readonly envFromSecrets?: readonly pulumi.Input<string>[];
    /** ConfigMaps whose every key becomes an environment variable. @default [] */
    readonly envFromConfigMaps?: readonly pulumi.Input<string>[];
    /**
     * ServiceAccount the pods run as (e.g. one bound to an IAM role through EKS Pod Identity). The caller creates it.
     * @default the namespace's "default" ServiceAccount
     */
    readonly serviceAccountName?: pulumi.Input<string>;
    /**
     * Service session affinity. `"ClientIP"` keeps a source address on one pod (Socket.IO long-polling);
     * see the class comment for how it combines with the load balancer's cookie stickiness.
     * @default "None"
     */
    readonly sessionAffinity?: SessionAffinity;
    /** @default 10800 */
    readonly sessionAffinityTimeoutSeconds?: number;
    /** @default 30 */
    readonly terminationGracePeriodSeconds?: number;
    /** PodDisruptionBudget `maxUnavailable`. @default 1 */
    readonly maxUnavailable?: number;
    /**
     * What the scheduler does when spreading evenly over zones is impossible: `DoNotSchedule` keeps the
     * zone skew at 1 (pods wait for the cluster autoscaler), `ScheduleAnyway` only prefers it.
     * @default "DoNotSchedule"
     */
    readonly zoneSpread?: SpreadPolicy;
    /** `app.kubernetes.io/component` label. @default app */
    readonly component?: string;
    /** Extra labels on every object and pod (not part of the selector). @default {} */
    readonly labels?: Readonly<Record<string, string>>;
}

/** Checks plain RegionalDeployment args; returns the problems found (empty when valid). */
export function validateRegionalDeploymentArgs(args: RegionalDeploymentArgs): Problems {
    const problems = new Problems();
    validateName(problems, "app", args.app, "api");
    validateImage(problems, "image", args.image);
    validateInt(problems, "containerPort", args.containerPort, 1024, 65535, "the container runs as non-root with every capability dropped, so it cannot bind ports below 1024");
    validateInt(problems, "nodePort", args.nodePort, 30000, 32767, "the Kubernetes NodePort range");
    validateInt(problems, "minReplicas", args.minReplicas, 1, 1000);
    validateInt(problems, "maxReplicas", args.maxReplicas, 1, 1000);
    if (Number.isInteger(args.minReplicas) && Number.isInteger(args.maxReplicas) && args.minReplicas > args.maxReplicas) {
        problems.add("minReplicas", `must be <= maxReplicas (${args.maxReplicas}), got ${args.minReplicas}; raise maxReplicas or lower minReplicas`);
    }
    validateResources(problems, "resources", args.resources);
    if (args.targetCpuUtilization !== undefined) {
        validateInt(problems, "targetCpuUtilization", args.targetCpuUtilization, 1, 100, "percent of the CPU request");
    }
    if (args.targetMemoryUtilization !== undefined) {
        validateInt(problems, "targetMemoryUtilization", args.targetMemoryUtilization, 1, 100, "percent of the memory request");
    }
    if (args.healthPath !== undefined && !/^\/[\w\-./~%]*$/.test(args.healthPath)) {
        problems.add("healthPath", `must be an absolute HTTP path such as "/health", got ${show(args.healthPath)}`);
    }
    validateEnv(problems, "env", args.env, args.secretEnv);
    if (args.sessionAffinity !== undefined && args.sessionAffinity !== "None" && args.sessionAffinity !== "ClientIP") {
        problems.add("sessionAffinity", `must be "None" or "ClientIP", got ${show(args.sessionAffinity)}`);
    }
    if (args.sessionAffinityTimeoutSeconds !== undefined) {
        validateInt(problems, "sessionAffinityTimeoutSeconds", args.sessionAffinityTimeoutSeconds, 1, 86400);
    }
    if (args.terminationGracePeriodSeconds !== undefined) {
        validateInt(problems, "terminationGracePeriodSeconds", args.terminationGracePeriodSeconds, DEFAULT_PRE_STOP_SLEEP_SECONDS + 1, 3600, `must outlast the ${DEFAULT_PRE_STOP_SLEEP_SECONDS} s preStop pause`);
    }
    if (args.maxUnavailable !== undefined) {
        validateInt(problems, "maxUnavailable", args.maxUnavailable, 1, 1000, "0 would block every node drain");
    }
    if (args.zoneSpread !== undefined && args.zoneSpread !== "DoNotSchedule" && args.zoneSpread !== "ScheduleAnyway") {
        problems.add("zoneSpread", `must be "DoNotSchedule" or "ScheduleAnyway", got ${show(args.zoneSpread)}`);
    }
    if (args.component !== undefined) {
        validateName(problems, "component", args.component, "api");
    }
    return problems;
}

/** Labels that select the service's pods (immutable once the Deployment exists). */
export function selectorLabels(app: string): Record<string, string> {
    return { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF };
}

/**
 * Required node affinity that keeps a pod off spot nodes: not `node-type=spot` and not an EKS spot
 * capacity node. Both expressions sit in one term, so both must hold.
 */
export function notOnSpotAffinity(): k8s.types.input.core.v1.Affinity {
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{
                    matchExpressions: [
                        { key: SPOT_NODE_LABEL.key, operator: "NotIn", values: [SPOT_NODE_LABEL.value] },
                        { key: EKS_CAPACITY_TYPE_LABEL, operator: "NotIn", values: ["SPOT"] },
                    ],
                }],
            },
        },
    };
}

/**
 * Spread over zones (skew 1, `zoneSpread` policy) and, softly, over nodes. `matchLabelKeys:
 * pod-template-hash` counts only pods of the same ReplicaSet, so a rolling update is spread too.
 */
export function spreadConstraints(selector: Record<string, string>, zoneSpread: SpreadPolicy): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    return [
        { maxSkew: 1, topologyKey: ZONE_TOPOLOGY_KEY, whenUnsatisfiable: zoneSpread, labelSelector: { matchLabels: selector }, matchLabelKeys: ["pod-template-hash"] },
        { maxSkew: 1, topologyKey: HOSTNAME_TOPOLOGY_KEY, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector }, matchLabelKeys: ["pod-template-hash"] },
    ];
}

/** Readiness, liveness and startup probes on `path` (seed 001/002: every 10 s, timeout 5 s, 3 failures). */
export function httpProbes(path: string): Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "livenessProbe" | "startupProbe"> {
    const httpGet = { path, port: "http", scheme: "HTTP" };
    return {
        // Up to 2 minutes (24 x 5 s) to start before liveness takes over.
        startupProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 24 },
        readinessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
        livenessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    };
}

/**
 * One HTTP service (API or WebSocket gateway) in one region's cluster: Deployment, NodePort Service on the
 * fixed port the region's ALB targets, `autoscaling/v2` HPA (CPU 70 %, memory 80 %, seed 003 timings),
 * PodDisruptionBudget and, unless a namespace is given, a Namespace enforcing the restricted Pod Security
 * Standard.
 *
 * Pods never run on spot nodes (required node affinity, no spot toleration), spread over zones and nodes,
 * roll out with `maxUnavailable: 0, maxSurge: 25%` (capacity never drops below the desired count), run
 * non-root with a read-only root filesystem, no capabilities and RuntimeDefault seccomp, with `/tmp` on an
 * emptyDir.
 *
 * Session affinity for WebSockets: the ALB's `lb_cookie` stickiness pins a browser to a node port of one
 * node; `sessionAffinity: "ClientIP"` then makes that node's kube-proxy send the same source address to
 * the same pod, so Socket.IO's long-polling requests (which must all reach the pod holding the session)
 * stay together. With instance targets the source kube-proxy sees is the ALB node's address, so the
 * affinity is per ALB node rather than per browser: correct, but coarser balancing. Broadcasts across pods
 * go through the Valkey adapter. For per-browser affinity use IP targets (AWS Load Balancer Controller) or
 * WebSocket-only clients.
 *
 * Pass the cluster's `k8s.Provider` in `opts.provider` (or `opts.providers`); every child uses it.
 */
export class RegionalDeployment extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    public readonly autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    public readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly nodePort: number;
    public readonly minReplicas: number;
    public readonly maxReplicas: number;

    constructor(name: string, args: RegionalDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        validateRegionalDeploymentArgs(args).throwIfAny(`RegionalDeployment "${name}"`);
        super("scaled-web:workloads:RegionalDeployment", name, {}, opts);

        const child = { parent: this };
        const selector = selectorLabels(args.app);
        const labels: Record<string, string> = {
            ...(args.labels ?? {}),
            ...selector,
            "app.kubernetes.io/component": args.component ?? args.app,
            "app.kubernetes.io/managed-by": "pulumi",
        };
        const healthPath = args.healthPath ?? DEFAULT_HEALTH_PATH;

        this.namespace = workloadNamespace(name, args.app, args.namespace, this);

        this.deployment = new k8s.apps.v1.Deployment(`${name}-deploy`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                // The HPA owns the count after creation (see ignoreChanges below); this is the starting point.
                replicas: args.minReplicas,
                revisionHistoryLimit: 5,
                progressDeadlineSeconds: 600,
                selector: { matchLabels: selector },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                template: {
                    metadata: { labels },
                    spec: {
                        ...(args.serviceAccountName !== undefined ? { serviceAccountName: args.serviceAccountName } : {}),
                        // EKS Pod Identity mounts its own projected token; the Kubernetes API token is not needed.
                        automountServiceAccountToken: false,
                        terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
                        securityContext: podSecurityContext(),
                        affinity: notOnSpotAffinity(),
                        topologySpreadConstraints: spreadConstraints(selector, args.zoneSpread ?? "DoNotSchedule"),
                        containers: [{
                            name: args.app,
                            image: checkedImage(args.image, `RegionalDeployment "${name}"`),
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: "http", containerPort: args.containerPort, protocol: "TCP" }],
                            env: containerEnv({ ...(args.env ?? {}), PORT: String(args.containerPort) }, args.secretEnv),
                            envFrom: containerEnvFrom(args.envFromSecrets, args.envFromConfigMaps),
                            resources: {
                                requests: { cpu: args.resources.requests.cpu, memory: args.resources.requests.memory },
                                limits: { cpu: args.resources.limits.cpu, memory: args.resources.limits.memory },
                            },
                            ...httpProbes(healthPath),
                            lifecycle: { preStop: { sleep: { seconds: DEFAULT_PRE_STOP_SLEEP_SECONDS } } },
                            securityContext: containerSecurityContext(),
                            volumeMounts: [tmpVolumeMount()],
                        }],
                        volumes: [tmpVolume()],
                    },
                },
            },
        }, { ...child, ignoreChanges: ["spec.replicas"] });
        this.deploymentName = this.deployment.metadata.name;

        this.service = new k8s.core.v1.Service(`${name}-svc`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                type: "NodePort",
                selector,
                // Cluster: every node of the target pool answers on the NodePort, so ALB health checks pass on all of them.
                externalTrafficPolicy: "Cluster",
                sessionAffinity: args.sessionAffinity ?? "None",
                ...(args.sessionAffinity === "ClientIP"
                    ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: args.sessionAffinityTimeoutSeconds ?? DEFAULT_SESSION_AFFINITY_TIMEOUT_SECONDS } } }
                    : {}),
                ports: [{ name: "http", port: 80, targetPort: "http", nodePort: args.nodePort, protocol: "TCP" }],
            },
        }, child);
        this.serviceName = this.service.metadata.name;

        this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deploymentName },
                minReplicas: args.minReplicas,
                maxReplicas: args.maxReplicas,
                metrics: [
                    { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.targetCpuUtilization ?? DEFAULT_TARGET_CPU_UTILIZATION } } },
                    { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: args.targetMemoryUtilization ?? DEFAULT_TARGET_MEMORY_UTILIZATION } } },
                ],
                behavior: {
                    scaleUp: { ...HPA_BEHAVIOR.scaleUp, policies: HPA_BEHAVIOR.scaleUp.policies.map((p) => ({ ...p })) },
                    scaleDown: { ...HPA_BEHAVIOR.scaleDown, policies: HPA_BEHAVIOR.scaleDown.policies.map((p) => ({ ...p })) },
                },
            },
        }, child);

        this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                maxUnavailable: args.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
                selector: { matchLabels: selector },
                // A crash-looping pod must not block node drains.
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            },
        }, child);

        this.nodePort = args.nodePort;
        this.minReplicas = args.minReplicas;
        this.maxReplicas = args.maxReplicas;

        this.registerOutputs({
            namespace: this.namespace,
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
            nodePort: this.nodePort,
        });
    }
}
