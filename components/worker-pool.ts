import { APP_METRICS_PORT_NAME } from "./app-metrics";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SPOT_TAINT } from "./node-pool";
import { Problems, show } from "./validation";
import { ReplicaSchedule, cronTriggers, scheduleTriggerName } from "./service-scaling";
import { rabbitmqQueueTrigger } from "./message-broker";
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

/**
 * Seconds a worker gets between SIGTERM and SIGKILL. Spot capacity is reclaimed 2 minutes after the
 * interruption notice; the spot pool's ASG (capacity rebalance) turns the notice into a termination
 * lifecycle action and the node termination handler cordons and drains the node at once, so a worker
 * has a little under 120 s to finish its in-flight jobs (BullMQ `worker.close()` waits for them) and
 * stop. 90 s leaves room for the drain to start and the pod to be rescheduled.
 */
export const DEFAULT_WORKER_TERMINATION_GRACE_SECONDS = 90;
/** At least 30 s: long enough for a BullMQ worker to finish a typical job and release its lock. */
export const MIN_WORKER_TERMINATION_GRACE_SECONDS = 30;
/** At most 120 s: the spot interruption notice; a longer grace period is cut off by the instance stopping. */
export const MAX_WORKER_TERMINATION_GRACE_SECONDS = 120;
/** BullMQ's default key prefix: a queue's waiting jobs are the list `bull:<queue>:wait`. */
export const DEFAULT_BULLMQ_PREFIX = "bull";
/**
 * Default prefix on a cluster-mode store: BullMQ's scripts touch several keys of a queue at once, which
 * Redis Cluster allows only within one hash slot, so the prefix carries a hash tag (docs.bullmq.io
 * "Redis Cluster": `prefix: '{myprefix}'`). Every queue then lives in the slot of `bull`.
 */
export const DEFAULT_CLUSTER_BULLMQ_PREFIX = "{bull}";
/**
 * Names of the two KEDA triggers per queue and the formula that adds them: BullMQ keeps jobs without a
 * priority in the list `<prefix>:<queue>:wait` and prioritized ones in the sorted set
 * `<prefix>:<queue>:prioritized` (bullmq 6.7 dist/cjs/classes/queue-keys.js and queue-getters.js:
 * `wait` is read with LLEN, `prioritized` with ZCARD). KEDA's redis scalers read either: at v2.18.3
 * pkg/scalers/redis_scaler.go runs a script that picks LLEN or ZCARD from the key's TYPE.
 */
export const QUEUE_TRIGGER_NAMES = { wait: "wait", prioritized: "prioritized" } as const;
export const QUEUE_DEPTH_FORMULA = `${QUEUE_TRIGGER_NAMES.wait} + ${QUEUE_TRIGGER_NAMES.prioritized}`;
/** How often KEDA reads each queue's length. */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 15;
/** KEDA waits this long after the last activity before scaling a queue with `minReplicas: 0` to zero. */
export const DEFAULT_COOLDOWN_PERIOD_SECONDS = 300;
/** Scale-down: one worker per minute after 5 quiet minutes, so a burst does not make workers flap. */
export const WORKER_SCALE_DOWN_BEHAVIOR = {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
} as const;
export const DEFAULT_WORKER_APP = "worker";

/** One BullMQ queue and the workers that drain it (seed 003 "Scaling Rules"). */
export interface WorkerQueue {
    /** Workers kept when the queue is empty; 0 lets KEDA scale the queue's workers to zero. */
    readonly minReplicas: number;
    /** Upper bound of workers for this queue. */
    readonly maxReplicas: number;
    /**
     * Waiting + prioritized jobs per worker KEDA aims for (the target of the ScaledObject's formula):
     * with more than `threshold` such jobs per running worker, KEDA adds workers, up to `maxReplicas`.
     */
    readonly threshold: number;
    /** Jobs one worker processes at once; passed as `WORKER_CONCURRENCY`. */
    readonly concurrency: number;
    /** Worker floors by time window (KEDA cron triggers inside the queue's formula). @default [] */
    readonly schedules?: readonly ReplicaSchedule[];
}

/** Where KEDA reads queue lengths: a Secret with the queue store's address and password. */
export interface QueueStoreConnection {
    /** Secret in the pool's namespace holding the store's `host:port` and password. */
    readonly secretName: pulumi.Input<string>;
    /** Secret key of `host:port`. @default "address" */
    readonly addressKey?: string;
    /** Secret key of the password (ElastiCache auth token). @default "password" */
    readonly passwordKey?: string;
    /** TLS to the store (ElastiCache in-transit encryption). @default true */
    readonly tls?: pulumi.Input<boolean>;
    /**
     * The store runs in cluster mode: KEDA's `redis-cluster` scaler is used instead of `redis`, and the
     * key prefix must carry a hash tag (`{bull}` by default). @default false
     */
    readonly clusterMode?: boolean;
}

/** Where KEDA reads RabbitMQ queue lengths: a Secret with the broker's `amqps://user:password@host:5671/vhost` URL. */
export interface BrokerConnection {
    readonly secretName: pulumi.Input<string>;
    /** Secret key of the URL. @default "url" */
    readonly urlKey?: string;
}

export interface WorkerPoolArgs {
    /**
     * Prefix of every Kubernetes name: a queue's Deployment and ScaledObject are `<app>-<queue>`.
     * @default "worker"
     */
    readonly app?: string;
    /** Namespace to deploy into. @default a new Namespace named `app` enforcing the restricted Pod Security Standard */
    readonly namespace?: pulumi.Input<string>;
    /**
     * Name of the ServiceAccount every queue's pods run as, created by the component (no API token mounted). An
     * EKS Pod Identity association for `<namespace>/<name>` gives the workers an AWS role.
     * @default app ("worker")
     */
    readonly serviceAccountName?: string;
    /** Worker image; each pod learns its queue from `QUEUE_NAME`. */
    readonly image: pulumi.Input<string>;
    /** Queues keyed by BullMQ queue name (a DNS label), e.g. seed 003's `sla-checks`, `notifications`, `analytics`. */
    readonly queues: Readonly<Record<string, WorkerQueue>>;
    /** CPU/memory requests and limits of each worker pod. */
    readonly resources: WorkloadResources;
    /** The queue store KEDA reads list lengths from (BullMQ). Not used with `broker`. */
    readonly queueStore?: QueueStoreConnection;
    /**
     * RabbitMQ instead of BullMQ (issue 19): KEDA's `rabbitmq` scaler reads each queue's message count
     * (queue = the queue name) from the broker whose `amqps://` URL is in this Secret.
     */
    readonly broker?: BrokerConnection;
    /**
     * BullMQ key prefix, passed to the workers as `QUEUE_PREFIX`; it must match the producers'. On a
     * cluster-mode store it must contain a hash tag such as `{bull}`.
     * @default "bull", or "{bull}" when `queueStore.clusterMode`
     */
    readonly keyPrefix?: string;
    /** 30-120 s; see `DEFAULT_WORKER_TERMINATION_GRACE_SECONDS`. @default 90 */
    readonly terminationGracePeriodSeconds?: number;
    /** @default 15 */
    readonly pollingIntervalSeconds?: number;
    /**
     * issue 19: the Prometheus metrics port of every worker: declared as the container port named `metrics` (the AMP
     * scraper keeps pods by that name) and passed as `METRICS_PORT`. @default none
     */
    readonly metricsPort?: number;
    /** Plain (non-secret) environment variables. @default {} */
    readonly env?: Readonly<Record<string, string>>;
    /** Environment variables read from Secret keys. @default {} */
    readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
    /** Secrets whose every key becomes an environment variable. @default [] */
    readonly envFromSecrets?: readonly pulumi.Input<string>[];
    /** ConfigMaps whose every key becomes an environment variable. @default [] */
    readonly envFromConfigMaps?: readonly pulumi.Input<string>[];
    /** Extra labels on every object and pod. @default {} */
    readonly labels?: Readonly<Record<string, string>>;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks plain WorkerPool args; returns the problems found (empty when valid). */
export function validateWorkerPoolArgs(args: WorkerPoolArgs): Problems {
    const problems = new Problems();
    const app = args.app ?? DEFAULT_WORKER_APP;
    if (args.app !== undefined) {
        validateName(problems, "app", args.app, "worker");
    }
    validateImage(problems, "image", args.image);
    validateResources(problems, "resources", args.resources);
    validateEnv(problems, "env", args.env, args.secretEnv);
    if (args.metricsPort !== undefined) {
        const p = args.metricsPort;
        problems.check(Number.isInteger(p) && p >= 1024 && p <= 65535, "metricsPort", `must be a whole number from 1024 to 65535 (the container runs as non-root), got ${show(p)}`);
    }

    const queues = Object.entries(args.queues ?? {});
    if (queues.length === 0) {
        problems.add("queues", "must name at least one queue, e.g. { \"sla-checks\": { minReplicas: 2, maxReplicas: 5, threshold: 100, concurrency: 10 } }");
    }
    for (const [queue, q] of queues) {
        const path = `queues.${queue}`;
        validateName(problems, path, queue, "sla-checks");
        if (`${app}-${queue}`.length > 63) {
            problems.add(path, `makes the Kubernetes name "${app}-${queue}" longer than 63 characters; shorten the queue name or app`);
        }
        if (!q || typeof q !== "object") {
            problems.add(path, `must be { minReplicas, maxReplicas, threshold, concurrency }, got ${show(q)}`);
            continue;
        }
        validateInt(problems, `${path}.minReplicas`, q.minReplicas, 0, 1000, "0 scales the queue's workers to zero when it is empty");
        validateInt(problems, `${path}.maxReplicas`, q.maxReplicas, 1, 1000);
        if (Number.isInteger(q.minReplicas) && Number.isInteger(q.maxReplicas) && q.minReplicas > q.maxReplicas) {
            problems.add(`${path}.minReplicas`, `must be <= maxReplicas (${q.maxReplicas}), got ${q.minReplicas}; raise maxReplicas or lower minReplicas`);
        }
        if (q.threshold === undefined || q.threshold === null) {
            problems.add(`${path}.threshold`, "is required: the number of waiting jobs per worker at which KEDA adds a worker (seed 003: sla-checks 100, notifications 500, analytics 2000)");
        } else {
            validateInt(problems, `${path}.threshold`, q.threshold, 1, 1_000_000, "waiting jobs per worker");
        }
        validateInt(problems, `${path}.concurrency`, q.concurrency, 1, 1000, "jobs one worker runs at once");
        (q.schedules ?? []).forEach((sch, i) => {
            validateName(problems, `${path}.schedules[${i}].name`, sch.name, "business-hours");
            validateInt(problems, `${path}.schedules[${i}].desiredReplicas`, sch.desiredReplicas, 1, Number.isInteger(q.maxReplicas) ? q.maxReplicas : 1000,
                "KEDA's cron scaler refuses 0, and more than maxReplicas is never reached");
        });
    }

    validateInt(problems, "terminationGracePeriodSeconds", args.terminationGracePeriodSeconds ?? DEFAULT_WORKER_TERMINATION_GRACE_SECONDS,
        MIN_WORKER_TERMINATION_GRACE_SECONDS, MAX_WORKER_TERMINATION_GRACE_SECONDS,
        "workers run on spot nodes: at least 30 s to finish in-flight jobs, at most the 2-minute spot interruption notice");
    if (args.pollingIntervalSeconds !== undefined) {
        validateInt(problems, "pollingIntervalSeconds", args.pollingIntervalSeconds, 1, 3600);
    }
    const store = args.queueStore;
    if (args.keyPrefix !== undefined && (typeof args.keyPrefix !== "string" || !/^[^\s:]{1,64}$/.test(args.keyPrefix))) {
        problems.add("keyPrefix", `must be a BullMQ prefix without spaces or ':' such as "bull" or "{bull}", got ${show(args.keyPrefix)}`);
    } else if (args.keyPrefix !== undefined && store?.clusterMode && hashTag(args.keyPrefix) === undefined) {
        problems.add("keyPrefix", `must contain a Redis Cluster hash tag such as "{${args.keyPrefix.replace(/[{}]/g, "") || "bull"}}" on a cluster-mode queue store ` +
            `(BullMQ's scripts use several keys of a queue at once, which must share one hash slot), got ${show(args.keyPrefix)}`);
    }
    if (args.broker !== undefined) {
        if (args.broker.secretName === undefined || args.broker.secretName === "") {
            problems.add("broker.secretName", "is required: the Secret holding the broker's amqps:// URL, which KEDA reads through a TriggerAuthentication");
        }
        if (store !== undefined) {
            problems.add("queueStore", "must be omitted with broker: the queues live on the RabbitMQ broker");
        }
    } else if (!store || store.secretName === undefined || store.secretName === "") {
        problems.add("queueStore.secretName", "is required: the Secret holding the queue store's address and password, which KEDA reads through a TriggerAuthentication");
    }
    for (const key of store ? ["addressKey", "passwordKey"] as const : [] as const) {
        const value = store?.[key];
        if (value !== undefined && !SECRET_KEY.test(value)) {
            problems.add(`queueStore.${key}`, `must be a Secret key (letters, digits, '-', '_', '.'), got ${show(value)}`);
        }
    }
    return problems;
}

/**
 * The Redis Cluster hash tag of a key: the text between its first `{` and the next `}` when not empty
 * (Redis Cluster specification, "Hash tags"), else undefined.
 */
export function hashTag(key: string): string | undefined {
    const open = key.indexOf("{");
    if (open < 0) {
        return undefined;
    }
    const close = key.indexOf("}", open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The prefix a pool uses: the given one, else `{bull}` on a cluster-mode store and `bull` otherwise. */
export function bullmqPrefix(keyPrefix: string | undefined, clusterMode: boolean | undefined): string {
    return keyPrefix ?? (clusterMode ? DEFAULT_CLUSTER_BULLMQ_PREFIX : DEFAULT_BULLMQ_PREFIX);
}

/** The BullMQ list of a queue's waiting jobs, e.g. `bull:sla-checks:wait`. */
export function waitListKey(queue: string, prefix: string = DEFAULT_BULLMQ_PREFIX): string {
    return `${prefix}:${queue}:wait`;
}

/** The BullMQ sorted set of a queue's prioritized jobs, e.g. `bull:sla-checks:prioritized`. */
export function prioritizedKey(queue: string, prefix: string = DEFAULT_BULLMQ_PREFIX): string {
    return `${prefix}:${queue}:prioritized`;
}

/**
 * The KEDA triggers of a queue: the length of its wait list and of its prioritized set, named so that
 * `queueScalingModifiers` can add them (KEDA applies a formula over named triggers).
 */
export function queueTriggers(queue: string, q: WorkerQueue, prefix: string, store: QueueStoreConnection, authName: pulumi.Input<string>): Record<string, unknown>[] {
    const trigger = (name: string, key: string): Record<string, unknown> => ({
        type: store.clusterMode ? "redis-cluster" : "redis",
        name,
        metadata: {
            listName: key,
            listLength: String(q.threshold),
            enableTLS: pulumi.output(store.tls ?? true).apply((tls) => String(tls)),
            ...(store.clusterMode ? {} : { databaseIndex: "0" }),
        },
        authenticationRef: { name: authName },
    });
    return [
        trigger(QUEUE_TRIGGER_NAMES.wait, waitListKey(queue, prefix)),
        trigger(QUEUE_TRIGGER_NAMES.prioritized, prioritizedKey(queue, prefix)),
    ];
}

/**
 * KEDA `advanced.scalingModifiers` (apis/keda/v1alpha1 ScalingModifiers@v2.18.3): one composite metric,
 * waiting + prioritized jobs, with `threshold` jobs per worker as its average target. Without it the HPA
 * would take the larger of the two per-trigger counts, not their sum.
 */
export function queueScalingModifiers(q: WorkerQueue): Record<string, string> {
    return { formula: queueFormula(q), target: String(q.threshold), metricType: "AverageValue" };
}

/**
 * The queue's formula: its backlog, or with schedules the larger of the backlog and each active floor
 * times the threshold (a cron trigger reports its desired replicas while active and 0 otherwise, and the
 * composite metric's target is `threshold` per worker, so `floor * threshold` keeps `floor` workers).
 * `max` is an expr-lang builtin.
 */
export function queueFormula(q: WorkerQueue, depth: string = QUEUE_DEPTH_FORMULA): string {
    const floors = (q.schedules ?? []).map((s) => `${scheduleTriggerName(s.name)} * ${q.threshold}`);
    return floors.length === 0 ? depth : `max(${depth}, ${floors.join(", ")})`;
}

/** `nodeSelector` + toleration that put a pod on the spot pool (and only there). */
export function spotScheduling(): Pick<k8s.types.input.core.v1.PodSpec, "nodeSelector" | "tolerations"> {
    return {
        nodeSelector: { [SPOT_NODE_LABEL.key]: SPOT_NODE_LABEL.value },
        tolerations: [{ key: SPOT_TAINT.key, operator: "Equal", value: SPOT_TAINT.value, effect: SPOT_TAINT.effect }],
    };
}

/**
 * Queue workers on the spot node pool: per queue a Deployment (`<app>-<queue>`, env `QUEUE_NAME`,
 * `WORKER_CONCURRENCY`, `QUEUE_PREFIX`) and a KEDA `ScaledObject` that scales it between the queue's
 * min and max on its backlog: the BullMQ wait list (`<prefix>:<queue>:wait`) plus the prioritized set
 * (`<prefix>:<queue>:prioritized`), two redis triggers added by a `scalingModifiers` formula whose
 * target is the queue's threshold per worker. One `TriggerAuthentication` gives KEDA the store's address
 * and password from a Secret, so no credential appears in a manifest. On a cluster-mode store the prefix
 * carries a hash tag (`{bull}` by default), so a queue's keys share one slot.
 *
 * Workers tolerate the spot taint and select spot nodes; the termination grace period (30-120 s, default
 * 90) fits inside the 2-minute spot interruption notice, during which the node termination handler
 * drains the node. Delayed jobs (a sorted set of jobs not yet due) do not count towards scaling; BullMQ
 * moves them to the wait list or the prioritized set when due. No PodDisruptionBudget: a budget that blocks a drain would only delay an
 * eviction the spot reclaim forces anyway; BullMQ re-queues jobs whose lock expires.
 *
 * Pass the cluster's `k8s.Provider` in `opts.provider` (or `opts.providers`); every child uses it. Put
 * whatever installs KEDA's CRDs (e.g. `ClusterAddons.keda`) in `opts.dependsOn`: every child, the
 * TriggerAuthentication and ScaledObjects included, waits for it, because the SDK registers a child only
 * once its parent is registered and a component's registration waits for its `dependsOn`
 * (@pulumi/pulumi runtime/resource.js `prepareResource`).
 */
export class WorkerPool extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** Deployments keyed by queue. */
    public readonly deployments: Readonly<Record<string, k8s.apps.v1.Deployment>>;
    /** KEDA ScaledObjects keyed by queue. */
    public readonly scaledObjects: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
    public readonly triggerAuthentication: k8s.apiextensions.CustomResource;
    /** Deployment names keyed by queue. */
    public readonly deploymentNames: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly queues: readonly string[];
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        validateWorkerPoolArgs(args).throwIfAny(`WorkerPool "${name}"`);
        super("scaled-web:workloads:WorkerPool", name, {}, opts);

        const child = { parent: this };
        const app = args.app ?? DEFAULT_WORKER_APP;
        const store = args.queueStore;
        const prefix = bullmqPrefix(args.keyPrefix, store?.clusterMode);
        const baseLabels: Record<string, string> = {
            ...(args.labels ?? {}),
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": "worker",
            "app.kubernetes.io/managed-by": "pulumi",
        };

        this.namespace = workloadNamespace(name, app, args.namespace, this);

        this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: args.serviceAccountName ?? app, namespace: this.namespace, labels: baseLabels },
            // No Kubernetes API token: workers never call the API server. EKS Pod Identity injects its own token.
            automountServiceAccountToken: false,
        }, child);
        this.serviceAccountName = this.serviceAccount.metadata.name;

        this.triggerAuthentication = new k8s.apiextensions.CustomResource(`${name}-queue-auth`, {
            apiVersion: "keda.sh/v1alpha1",
            kind: "TriggerAuthentication",
            metadata: { name: `${app}-queue-auth`, namespace: this.namespace, labels: baseLabels },
            spec: {
                secretTargetRef: args.broker
                    // KEDA rabbitmq scaler (v2.18.3): `host` from the auth params, the full amqps:// URL.
                    ? [{ parameter: "host", name: args.broker.secretName, key: args.broker.urlKey ?? "url" }]
                    : [
                        { parameter: store!.clusterMode ? "addresses" : "address", name: store!.secretName, key: store!.addressKey ?? "address" },
                        { parameter: "password", name: store!.secretName, key: store!.passwordKey ?? "password" },
                    ],
            },
        }, child);

        const image = checkedImage(args.image, `WorkerPool "${name}"`);
        const deployments: Record<string, k8s.apps.v1.Deployment> = {};
        const scaledObjects: Record<string, k8s.apiextensions.CustomResource> = {};
        const deploymentNames: Record<string, pulumi.Output<string>> = {};

        for (const [queue, q] of Object.entries(args.queues)) {
            const workload = `${app}-${queue}`;
            const selector = { "app.kubernetes.io/name": workload, "app.kubernetes.io/part-of": PART_OF };
            const labels = { ...baseLabels, ...selector, "scaled-web.io/queue": queue };

            const deployment = new k8s.apps.v1.Deployment(`${name}-${queue}`, {
                metadata: { name: workload, namespace: this.namespace, labels },
                spec: {
                    // KEDA's HPA owns the count after creation (see ignoreChanges below).
                    replicas: q.minReplicas,
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: selector },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: this.serviceAccountName,
                            automountServiceAccountToken: false,
                            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? DEFAULT_WORKER_TERMINATION_GRACE_SECONDS,
                            securityContext: podSecurityContext(),
                            ...spotScheduling(),
                            // Spot capacity is reclaimed per zone; spreading limits what one reclaim takes.
                            topologySpreadConstraints: [{
                                maxSkew: 1,
                                topologyKey: ZONE_TOPOLOGY_KEY,
                                whenUnsatisfiable: "ScheduleAnyway",
                                labelSelector: { matchLabels: selector },
                            }],
                            containers: [{
                                name: "worker",
                                image,
                                imagePullPolicy: "IfNotPresent",
                                ...(args.metricsPort !== undefined ? { ports: [{ name: APP_METRICS_PORT_NAME, containerPort: args.metricsPort, protocol: "TCP" }] } : {}),
                                env: containerEnv({
                                    ...(args.env ?? {}),
                                    ...(args.metricsPort !== undefined ? { METRICS_PORT: String(args.metricsPort) } : {}),
                                    QUEUE_NAME: queue,
                                    ...(args.broker ? {} : { QUEUE_PREFIX: prefix }),
                                    WORKER_CONCURRENCY: String(q.concurrency),
                                }, args.secretEnv),
                                envFrom: containerEnvFrom(args.envFromSecrets, args.envFromConfigMaps),
                                resources: containerResources(args.resources),
                                securityContext: containerSecurityContext(),
                                volumeMounts: [tmpVolumeMount()],
                            }],
                            volumes: [tmpVolume()],
                        },
                    },
                },
            }, { ...child, ignoreChanges: ["spec.replicas"] });

            const scaledObject = new k8s.apiextensions.CustomResource(`${name}-${queue}-scaler`, {
                apiVersion: "keda.sh/v1alpha1",
                kind: "ScaledObject",
                metadata: { name: workload, namespace: this.namespace, labels },
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                    minReplicaCount: q.minReplicas,
                    maxReplicaCount: q.maxReplicas,
                    pollingInterval: args.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS,
                    cooldownPeriod: DEFAULT_COOLDOWN_PERIOD_SECONDS,
                    advanced: {
                        ...(args.broker
                            ? ((q.schedules ?? []).length > 0 ? { scalingModifiers: { formula: queueFormula(q, "messages"), target: String(q.threshold), metricType: "AverageValue" } } : {})
                            : { scalingModifiers: queueScalingModifiers(q) }),
                        horizontalPodAutoscalerConfig: {
                            behavior: {
                                scaleDown: {
                                    stabilizationWindowSeconds: WORKER_SCALE_DOWN_BEHAVIOR.stabilizationWindowSeconds,
                                    policies: WORKER_SCALE_DOWN_BEHAVIOR.policies.map((p) => ({ ...p })),
                                },
                            },
                        },
                    },
                    triggers: [
                        ...(args.broker
                            ? [rabbitmqQueueTrigger(queue, q.threshold, this.triggerAuthentication.metadata.name)]
                            : queueTriggers(queue, q, prefix, store!, this.triggerAuthentication.metadata.name)),
                        ...cronTriggers(q.schedules ?? []),
                    ],
                },
            }, child);

            deployments[queue] = deployment;
            scaledObjects[queue] = scaledObject;
            deploymentNames[queue] = deployment.metadata.name;
        }

        this.deployments = deployments;
        this.scaledObjects = scaledObjects;
        this.deploymentNames = deploymentNames;
        this.queues = Object.keys(args.queues);

        this.registerOutputs({
            namespace: this.namespace,
            deploymentNames: this.deploymentNames,
        });
    }
}
