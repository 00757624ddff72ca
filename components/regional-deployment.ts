import { APP_METRICS_PORT_NAME } from "./app-metrics";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { targetGroupBinding } from "./load-balancer-controller";
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
    containerResources,
} from "./workload-spec";
import {
    ConnectionTrigger,
    ReplicaSchedule,
    RequestRateTrigger,
    connectionTrigger,
    cronTriggers,
    operatorAwsIdentity,
    requestRateTrigger,
    resourceTriggers,
} from "./service-scaling";

/** Seed 000/003: add pods when average CPU use passes 70 % of the request. */
export const DEFAULT_TARGET_CPU_UTILIZATION = 70;
/** Seed 000: add pods when average memory use passes 80 % of the request. */
export const DEFAULT_TARGET_MEMORY_UTILIZATION = 80;
export const DEFAULT_HEALTH_PATH = "/health";
/**
 * How a pod leaves without dropping a request (rolling update, scale-in, node drain), ALB -> pod IP targets:
 *
 * | t (s)  | what happens                                                                                   |
 * |--------|------------------------------------------------------------------------------------------------|
 * | 0      | pod Terminating: its EndpointSlice entry turns not-ready; the preStop `sleep` starts            |
 * | ~1-5   | the AWS Load Balancer Controller sees it and calls DeregisterTargets; the ALB stops sending new   |
 * |        | requests once that reaches its nodes (seconds). Until then requests still arrive: the pod serves |
 * | 15     | preStop ends (`DEFAULT_PRE_STOP_SLEEP_SECONDS`), SIGTERM: the app answers /health 503, stops     |
 * |        | accepting, finishes in-flight requests within its `SHUTDOWN_TIMEOUT_SECONDS` (20, app/src/settings.js) |
 * | <= 35  | app exits; the ALB's deregistration delay (40 s, components/load-balancer.ts) kept the           |
 * |        | connections open for all of that                                                               |
 * | 45     | `terminationGracePeriodSeconds`: SIGKILL only if the app hung past its own 25 s hard stop       |
 *
 * Rolling updates add pods before removing any (`maxSurge 25%, maxUnavailable 0`), and the controller's pod
 * readiness gate (namespace label `elbv2.k8s.aws/pod-readiness-gate-inject: enabled`) keeps a new pod un-Ready
 * until the ALB reports it healthy, so old pods are only removed once their replacements take traffic.
 */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 45;
/** Seconds a stopping pod keeps serving after it turns Terminating, while the controller deregisters it and the ALB stops routing to it. */
export const DEFAULT_PRE_STOP_SLEEP_SECONDS = 15;
/** Seconds the app needs after SIGTERM at most: its drain (20 s) plus its own hard-stop margin (5 s), app/src/main.js. */
export const APP_SHUTDOWN_SECONDS = 25;
/** The Service's port (what a `TargetGroupBinding` names); it forwards to the container port named `http`. */
export const SERVICE_PORT = 80;
/** Arguments that existed before IP targets, with what replaces each (refused with that message). */
export const REMOVED_REGIONAL_DEPLOYMENT_ARGS: Readonly<Record<string, string>> = {
    nodePort: "the Service is ClusterIP and the ALB reaches the pods by IP; pass targetGroupArn (a TargetGroupBinding registers the pods) and drop nodePort",
    sessionAffinity: "with IP targets the ALB's stickiness cookie pins a browser to a pod; kube-proxy affinity no longer applies, drop it",
    sessionAffinityTimeoutSeconds: "session affinity is the ALB cookie's now (LoadBalancer stickinessSeconds); drop it",
};
/** PodDisruptionBudget: drains and upgrades take at most one pod of a service at a time. */
export const DEFAULT_MAX_UNAVAILABLE = 1;

export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";
/** Label EKS managed node groups put on spot nodes; excluded as well in case a pool lacks `node-type`. */
export const EKS_CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType";

/**
 * Scaling behaviour (the `autoscaling/v2` HPA behaviour KEDA puts on the HPA it manages, through
 * `advanced.horizontalPodAutoscalerConfig.behavior`) derived from seed 003's rules, which are written for a VM autoscaler:
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
 * The same holds for seed 002's request thresholds (up at 1000 r/s, down at 500): one target of 1000 r/s
 * per pod scales up above it, and with n pods removes one only once the rate per pod falls below
 * 1000 × (n − 1) / n (500 r/s at two pods, higher with more pods, since fewer pods must still stay under
 * the target) for the whole 10-minute window.
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

/** Seconds between two KEDA polls of the ScaledObject's external triggers (CloudWatch, cron). */
export const DEFAULT_SCALER_POLLING_INTERVAL_SECONDS = 30;
/**
 * Lets KEDA adopt an HPA of the same name that targets the Deployment (apis/keda/v1alpha1
 * scaledobject_types.go `ScaledObjectTransferHpaOwnershipAnnotation` at v2.18.3; the admission webhook
 * otherwise refuses a ScaledObject for a workload another HPA scales). Stacks created before KEDA scaled
 * api/ws have such an HPA until the update deletes it; KEDA re-creates its own at once.
 */
export const TRANSFER_HPA_OWNERSHIP_ANNOTATION = "scaledobject.keda.sh/transfer-hpa-ownership";

export type SpreadPolicy = "DoNotSchedule" | "ScheduleAnyway";

export interface RegionalDeploymentArgs {
    /**
     * Kubernetes name of the Deployment, Service, ScaledObject (and the HPA KEDA makes) and PDB, and the `app.kubernetes.io/name` label,
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
    /**
     * IP target group (of the region's ALB) the pods are registered in: a `TargetGroupBinding` named after `app`
     * points it at this Service's port 80. Needs the AWS Load Balancer Controller in the cluster; pass its Helm
     * release in `targetGroupBindingDependsOn`. Unknown in a first preview, which is fine.
     * @default no binding (the Service is reachable inside the cluster only)
     */
    readonly targetGroupArn?: pulumi.Input<string>;
    /** What the `TargetGroupBinding` must wait for: the controller release that installs its CRD and webhooks. @default [] */
    readonly targetGroupBindingDependsOn?: readonly pulumi.Resource[];
    /**
     * Name of the pods' ServiceAccount, created by the component (no API token mounted). An EKS Pod Identity
     * association for `<namespace>/<name>` gives the pods an AWS role.
     * @default app
     */
    readonly serviceAccountName?: string;
    /** Replica floor in this region: the Deployment's initial replicas and the ScaledObject's `minReplicaCount`. */
    readonly minReplicas: number;
    /** Autoscaling ceiling (`maxReplicaCount`). */
    readonly maxReplicas: number;
    /** CPU/memory requests and limits (the tier's sizing). */
    readonly resources: WorkloadResources;
    /** CPU target, % of the request. @default 70 */
    readonly targetCpuUtilization?: number;
    /** Memory target, % of the request. @default 80 */
    readonly targetMemoryUtilization?: number;
    /**
     * Also scale on the ALB's request rate to this service's target group (the api). See
     * `requestRateTrigger` for the metric and why it is `RequestCount` per pod.
     */
    readonly requestRate?: RequestRateTrigger;
    /** Also scale on open connections per pod, a gauge the pods publish to CloudWatch (the ws gateway). */
    readonly connections?: ConnectionTrigger;
    /** Replica floors by time window (KEDA cron triggers). @default [] */
    readonly schedules?: readonly ReplicaSchedule[];
    /** @default 30 */
    readonly pollingIntervalSeconds?: number;
    /** HTTP path of the readiness, liveness and startup probes. @default "/health" */
    readonly healthPath?: string;
    /**
     * issue 19: the Prometheus metrics port: declared as the container port named `metrics` (the AMP scraper keeps
     * pods by that name) and passed as `METRICS_PORT`. @default none
     */
    readonly metricsPort?: number;
    /** Plain (non-secret) environment variables. Names that look like secrets are rejected. @default {} */
    readonly env?: Readonly<Record<string, string>>;
    /** Environment variables read from Secret keys. @default {} */
    readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
    /** Secrets whose every key becomes an environment variable. @default [] */
    readonly envFromSecrets?: readonly pulumi.Input<string>[];
    /** ConfigMaps whose every key becomes an environment variable. @default [] */
    readonly envFromConfigMaps?: readonly pulumi.Input<string>[];
    /** Must outlast the preStop pause (15 s) plus the app's stop (25 s). @default 45 */
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
    if (args.metricsPort !== undefined) {
        validateInt(problems, "metricsPort", args.metricsPort, 1024, 65535, "the container runs as non-root, so it cannot bind ports below 1024");
        problems.check(args.metricsPort !== args.containerPort, "metricsPort", `must differ from containerPort (${args.containerPort}): /metrics gets a port of its own, got ${args.metricsPort}`);
    }
    for (const [key, replacement] of Object.entries(REMOVED_REGIONAL_DEPLOYMENT_ARGS)) {
        problems.check(!(key in (args as unknown as Record<string, unknown>)), key, `is no longer accepted (got ${show((args as unknown as Record<string, unknown>)[key])}): ${replacement}`);
    }
    if (args.serviceAccountName !== undefined) {
        validateName(problems, "serviceAccountName", args.serviceAccountName, "api");
    }
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
    if (args.terminationGracePeriodSeconds !== undefined) {
        validateInt(problems, "terminationGracePeriodSeconds", args.terminationGracePeriodSeconds, DEFAULT_PRE_STOP_SLEEP_SECONDS + APP_SHUTDOWN_SECONDS, 3600,
            `must outlast the ${DEFAULT_PRE_STOP_SLEEP_SECONDS} s preStop pause plus the app's ${APP_SHUTDOWN_SECONDS} s stop after SIGTERM`);
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
    if (args.requestRate !== undefined) {
        validateInt(problems, "requestRate.requestsPerSecondPerPod", args.requestRate.requestsPerSecondPerPod, 1, 1_000_000, "requests per second per pod");
    }
    if (args.connections !== undefined) {
        validateInt(problems, "connections.connectionsPerPod", args.connections.connectionsPerPod, 1, 10_000_000, "open connections per pod");
        if (Object.keys(args.connections.dimensions ?? {}).length === 0) {
            problems.add("connections.dimensions", "must name at least one dimension the pods publish with, e.g. { Stack: \"scaled-web/prod\" }");
        }
    }
    const CRON = /^\S+ \S+ \S+ \S+ \S+$/;
    const seen = new Set<string>();
    (args.schedules ?? []).forEach((s, i) => {
        const at = `schedules[${i}]`;
        validateName(problems, `${at}.name`, s.name, "business-hours");
        if (seen.has(s.name)) {
            problems.add(`${at}.name`, `repeats the schedule name ${show(s.name)}; trigger names must be unique`);
        }
        seen.add(s.name);
        problems.check(typeof s.start === "string" && CRON.test(s.start), `${at}.start`, `must be a 5-field cron expression such as "0 6 * * *", got ${show(s.start)}`);
        problems.check(typeof s.end === "string" && CRON.test(s.end), `${at}.end`, `must be a 5-field cron expression such as "0 22 * * *", got ${show(s.end)}`);
        problems.check(s.start !== s.end, `${at}.end`, `must differ from start (KEDA's cron scaler refuses equal times), got ${show(s.end)}`);
        problems.check(typeof s.timezone === "string" && s.timezone.length > 0, `${at}.timezone`, `must be an IANA time zone such as "Europe/Berlin", got ${show(s.timezone)}`);
        validateInt(problems, `${at}.desiredReplicas`, s.desiredReplicas, 1, 1000, "KEDA's cron scaler refuses 0");
        if (Number.isInteger(s.desiredReplicas) && Number.isInteger(args.maxReplicas) && s.desiredReplicas > args.maxReplicas) {
            problems.add(`${at}.desiredReplicas`, `must be <= maxReplicas (${args.maxReplicas}), got ${s.desiredReplicas}`);
        }
    });
    if (args.pollingIntervalSeconds !== undefined) {
        validateInt(problems, "pollingIntervalSeconds", args.pollingIntervalSeconds, 1, 3600);
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
 * One HTTP service (API or WebSocket gateway) in one region's cluster: ServiceAccount, Deployment, ClusterIP
 * Service, `TargetGroupBinding` that registers the pods by IP in the region's ALB target group, a KEDA
 * `ScaledObject` (CPU 70 %, memory 80 %, optionally the ALB request rate, a connection gauge and cron replica
 * floors, seed 003 timings; KEDA runs the HPA), PodDisruptionBudget and, unless a namespace is given, a
 * Namespace enforcing the restricted Pod Security Standard.
 *
 * Pods never run on spot nodes (required node affinity, no spot toleration), spread over zones and nodes,
 * roll out with `maxUnavailable: 0, maxSurge: 25%` (capacity never drops below the desired count), run
 * non-root with a read-only root filesystem, no capabilities and RuntimeDefault seccomp, with `/tmp` on an
 * emptyDir.
 *
 * Session affinity for WebSockets: the ALB target group holds pod IPs, so its `lb_cookie` stickiness pins a
 * browser to one pod, and Socket.IO's long-polling requests (which must all reach the pod holding the session)
 * stay together. The Service has no `sessionAffinity`: the ALB does not go through it (only in-cluster clients
 * do). Broadcasts across pods go through the Valkey adapter.
 *
 * Stopping without dropping requests: see `DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS`.
 *
 * Pass the cluster's `k8s.Provider` in `opts.provider` (or `opts.providers`); every child uses it.
 */
export class RegionalDeployment extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    /** KEDA ScaledObject (KEDA creates and owns the HPA it describes). */
    public readonly scaledObject: k8s.apiextensions.CustomResource;
    /** KEDA TriggerAuthentication for the CloudWatch triggers (the operator's own AWS identity), if any. */
    public readonly awsTriggerAuthentication?: k8s.apiextensions.CustomResource;
    public readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly serviceAccountName: pulumi.Output<string>;
    /** The binding of the pods to the ALB target group, when `targetGroupArn` was given. */
    public readonly targetGroupBinding?: k8s.apiextensions.CustomResource;
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

        this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: args.serviceAccountName ?? args.app, namespace: this.namespace, labels },
            // No Kubernetes API token: the app never calls the API server. EKS Pod Identity injects its own token.
            automountServiceAccountToken: false,
        }, child);
        this.serviceAccountName = this.serviceAccount.metadata.name;

        this.deployment = new k8s.apps.v1.Deployment(`${name}-deploy`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                // KEDA's HPA owns the count after creation (see ignoreChanges below); this is the starting point.
                replicas: args.minReplicas,
                revisionHistoryLimit: 5,
                progressDeadlineSeconds: 600,
                selector: { matchLabels: selector },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: this.serviceAccountName,
                        automountServiceAccountToken: false,
                        terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
                        securityContext: podSecurityContext(),
                        affinity: notOnSpotAffinity(),
                        topologySpreadConstraints: spreadConstraints(selector, args.zoneSpread ?? "DoNotSchedule"),
                        containers: [{
                            name: args.app,
                            image: checkedImage(args.image, `RegionalDeployment "${name}"`),
                            imagePullPolicy: "IfNotPresent",
                            ports: [
                                { name: "http", containerPort: args.containerPort, protocol: "TCP" },
                                ...(args.metricsPort !== undefined ? [{ name: APP_METRICS_PORT_NAME, containerPort: args.metricsPort, protocol: "TCP" }] : []),
                            ],
                            env: containerEnv({
                                ...(args.env ?? {}),
                                PORT: String(args.containerPort),
                                ...(args.metricsPort !== undefined ? { METRICS_PORT: String(args.metricsPort) } : {}),
                            }, args.secretEnv),
                            envFrom: containerEnvFrom(args.envFromSecrets, args.envFromConfigMaps),
                            resources: containerResources(args.resources),
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
                // ClusterIP: the ALB reaches the pods by IP (TargetGroupBinding), never through a node port.
                type: "ClusterIP",
                selector,
                ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
            },
        }, child);
        this.serviceName = this.service.metadata.name;

        if (args.targetGroupArn !== undefined) {
            this.targetGroupBinding = targetGroupBinding(`${name}-tgb`, {
                name: args.app,
                namespace: this.namespace,
                serviceName: this.serviceName,
                servicePort: SERVICE_PORT,
                targetGroupArn: args.targetGroupArn,
                labels,
            }, {
                ...child,
                // order: the controller's Helm release installs the TargetGroupBinding CRD and the webhooks that
                // admit it; nothing in the binding's inputs refers to the release.
                dependsOn: [...(args.targetGroupBindingDependsOn ?? [])],
            });
        }

        const external = args.requestRate !== undefined || args.connections !== undefined;
        if (external) {
            this.awsTriggerAuthentication = new k8s.apiextensions.CustomResource(`${name}-aws-auth`, {
                apiVersion: "keda.sh/v1alpha1",
                kind: "TriggerAuthentication",
                metadata: { name: `${args.app}-aws`, namespace: this.namespace, labels },
                spec: operatorAwsIdentity(),
            }, {
                ...child,
                // order: children do not inherit the component's dependsOn, and KEDA's CRDs (installed by
                // whatever the caller put there, e.g. the cluster add-ons) must exist before this object.
                dependsOn: opts?.dependsOn,
            });
        }
        const authName = this.awsTriggerAuthentication?.metadata.name;
        this.scaledObject = new k8s.apiextensions.CustomResource(`${name}-scaler`, {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: args.app, namespace: this.namespace, labels, annotations: { [TRANSFER_HPA_OWNERSHIP_ANNOTATION]: "true" } },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deploymentName },
                minReplicaCount: args.minReplicas,
                maxReplicaCount: args.maxReplicas,
                pollingInterval: args.pollingIntervalSeconds ?? DEFAULT_SCALER_POLLING_INTERVAL_SECONDS,
                advanced: {
                    horizontalPodAutoscalerConfig: {
                        // The HPA KEDA manages keeps the service's name (and adopts an older HPA of that name).
                        name: args.app,
                        behavior: {
                            scaleUp: { ...HPA_BEHAVIOR.scaleUp, policies: HPA_BEHAVIOR.scaleUp.policies.map((p) => ({ ...p })) },
                            scaleDown: { ...HPA_BEHAVIOR.scaleDown, policies: HPA_BEHAVIOR.scaleDown.policies.map((p) => ({ ...p })) },
                        },
                    },
                },
                triggers: [
                    ...resourceTriggers(args.targetCpuUtilization ?? DEFAULT_TARGET_CPU_UTILIZATION, args.targetMemoryUtilization ?? DEFAULT_TARGET_MEMORY_UTILIZATION),
                    ...(args.requestRate && authName ? [requestRateTrigger(args.requestRate, authName)] : []),
                    ...(args.connections && authName ? [connectionTrigger(args.connections, authName)] : []),
                    ...cronTriggers(args.schedules ?? []),
                ],
            },
        }, {
            ...child,
            // order: KEDA's CRDs (installed by what the caller put in dependsOn, which children do not
            // inherit) must exist first; the Deployment and TriggerAuthentication are ordered by their names.
            dependsOn: opts?.dependsOn,
        });

        this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: args.app, namespace: this.namespace, labels },
            spec: {
                maxUnavailable: args.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
                selector: { matchLabels: selector },
                // A crash-looping pod must not block node drains.
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            },
        }, child);

        this.minReplicas = args.minReplicas;
        this.maxReplicas = args.maxReplicas;

        this.registerOutputs({
            namespace: this.namespace,
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
            serviceAccountName: this.serviceAccountName,
        });
    }
}
