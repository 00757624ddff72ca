import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NODE_TYPE_LABEL } from "./node-pool";
import { PodIdentityRole } from "./pod-identity";
import { DEFAULT_QUEUE_DEPTH_METRIC, QueueDepthMetric } from "./observability";
import { Problems, show } from "./validation";
import { DEFAULT_BULLMQ_PREFIX } from "./worker-pool";
import {
    PART_OF,
    SecretKeyRef,
    WorkloadResources,
    checkedImage,
    containerEnv,
    containerEnvFrom,
    containerSecurityContext,
    podSecurityContext,
    tmpVolume,
    tmpVolumeMount,
    validateEnv,
    validateImage,
    validateInt,
    validateName,
    validateResources,
    containerResources,
} from "./workload-spec";

/** Kubernetes name of the Deployment and ServiceAccount. */
export const DEFAULT_QUEUE_METRICS_APP = "queue-metrics";
/** The app image's role switch (`APP_ROLE`): this role publishes queue depth and serves nothing. */
export const QUEUE_METRICS_ROLE = "queue-metrics";
/** One datapoint per queue per minute: CloudWatch's standard resolution and the alarms' period. */
export const DEFAULT_METRICS_INTERVAL_SECONDS = 60;
/** A Node.js process with a Redis client and the CloudWatch client; it holds no jobs. */
export const DEFAULT_QUEUE_METRICS_RESOURCES: WorkloadResources = {
    requests: { cpu: "50m", memory: "128Mi" },
    limits: { cpu: "200m", memory: "256Mi" },
};
/** The publisher runs on the on-demand pool, like the add-ons: a spot reclaim would leave the alarms blind. */
export const DEFAULT_QUEUE_METRICS_NODE_SELECTOR: Readonly<Record<string, string>> = { [NODE_TYPE_LABEL]: "on-demand" };

/**
 * What the app publishes in the queue-metrics role: metric `QueueDepth` with dimension `Queue` (the
 * queue name), counting waiting + prioritized jobs. Only the namespace is configurable (env
 * `METRICS_NAMESPACE`); name and dimension are the app's contract and equal `DEFAULT_QUEUE_DEPTH_METRIC`'s.
 */
export function publishedQueueDepthMetric(namespace: string = DEFAULT_QUEUE_DEPTH_METRIC.namespace): QueueDepthMetric {
    return { namespace, metricName: "QueueDepth", dimension: "Queue" };
}

/**
 * Least privilege for the publisher: `cloudwatch:PutMetricData` takes no resource ARN, so the statement
 * is narrowed with the `cloudwatch:namespace` condition key to the one namespace it writes (CloudWatch
 * User Guide, "Using condition keys to limit access to CloudWatch namespaces").
 */
export function queueMetricsPolicy(namespace: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "PutQueueDepth",
            Effect: "Allow",
            Action: "cloudwatch:PutMetricData",
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
        }],
    };
}

export interface QueueMetricsPublisherArgs {
    /** Name of the Deployment and ServiceAccount. @default "queue-metrics" */
    readonly app?: string;
    /** Namespace to deploy into (the workers' namespace, so it can read their Secret and ConfigMap). */
    readonly namespace: pulumi.Input<string>;
    /** The app image (the workers' image); the pod runs it with `APP_ROLE=queue-metrics`. */
    readonly image: pulumi.Input<string>;
    /** BullMQ queue names to measure, passed as `QUEUE_NAMES` (comma-separated). */
    readonly queues: readonly string[];
    /** BullMQ key prefix (`QUEUE_PREFIX`); the workers' and producers' prefix. @default "bull" */
    readonly keyPrefix?: string;
    /** CloudWatch namespace (`METRICS_NAMESPACE`); the IAM policy allows only this one. @default "ScaledWeb/Queues" */
    readonly metricsNamespace?: string;
    /** Seconds between publications (`METRICS_INTERVAL_SECONDS`), 10-300. @default 60 */
    readonly intervalSeconds?: number;
    /** Region the metrics go to (`AWS_REGION`); the region whose alarms read them. */
    readonly region: pulumi.Input<string>;
    /** The cluster the publisher runs in: where its Pod Identity association is created. */
    readonly clusterName: pulumi.Input<string>;
    /**
     * The stack's queue-metrics role (created once with `queueMetricsPolicy`, e.g. by platform/identity.ts); the
     * component associates it with its ServiceAccount in this cluster through EKS Pod Identity.
     */
    readonly role: PodIdentityRole;
    /** Provider of the cluster; the ServiceAccount and Deployment go through it. */
    readonly k8sProvider: k8s.Provider;
    /** @default requests 50m / 128Mi, limits 200m / 256Mi */
    readonly resources?: WorkloadResources;
    /** Plain (non-secret) environment variables. @default {} */
    readonly env?: Readonly<Record<string, string>>;
    /** Environment variables read from Secret keys, e.g. the queue store's URL as `QUEUE_REDIS_URL`. @default {} */
    readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
    /** Secrets whose every key becomes an environment variable (the queue store's URL). @default [] */
    readonly envFromSecrets?: readonly pulumi.Input<string>[];
    /** ConfigMaps whose every key becomes an environment variable. @default [] */
    readonly envFromConfigMaps?: readonly pulumi.Input<string>[];
    /** @default { "node-type": "on-demand" } */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Extra labels on every Kubernetes object and pod. @default {} */
    readonly labels?: Readonly<Record<string, string>>;
    /** Tags of the Pod Identity association. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Environment variables the component sets itself; `env` must not repeat them. */
export const QUEUE_METRICS_ENV = ["APP_ROLE", "QUEUE_NAMES", "QUEUE_PREFIX", "METRICS_NAMESPACE", "METRICS_INTERVAL_SECONDS", "AWS_REGION"] as const;

/** Checks plain QueueMetricsPublisher args; returns the problems found (empty when valid). */
export function validateQueueMetricsPublisherArgs(args: QueueMetricsPublisherArgs): Problems {
    const problems = new Problems();
    if (args.app !== undefined) {
        validateName(problems, "app", args.app, DEFAULT_QUEUE_METRICS_APP);
    }
    validateImage(problems, "image", args.image);
    const queues = args.queues ?? [];
    if (!Array.isArray(queues) || queues.length === 0) {
        problems.add("queues", `must name at least one BullMQ queue, e.g. ["sla-checks", "notifications"], got ${show(args.queues)}`);
    } else {
        queues.forEach((q, i) => validateName(problems, `queues[${i}]`, q, "sla-checks"));
        problems.check(new Set(queues).size === queues.length, "queues", `must not repeat a queue, got ${show(queues)}`);
    }
    if (args.keyPrefix !== undefined && (typeof args.keyPrefix !== "string" || !/^[^\s:,]{1,64}$/.test(args.keyPrefix))) {
        problems.add("keyPrefix", `must be a BullMQ prefix without spaces, ':' or ',' such as "bull" or "{bull}", got ${show(args.keyPrefix)}`);
    }
    const ns = args.metricsNamespace;
    if (ns !== undefined && (typeof ns !== "string" || !/^[0-9A-Za-z.\-_/#:]{1,255}$/.test(ns) || ns.startsWith("AWS/"))) {
        problems.add("metricsNamespace", `must be a custom CloudWatch namespace (1-255 of letters, digits and . - _ / # :, not starting with "AWS/") such as "ScaledWeb/Queues", got ${show(ns)}`);
    }
    if (args.intervalSeconds !== undefined) {
        validateInt(problems, "intervalSeconds", args.intervalSeconds, 10, 300, "the queue-depth alarms read one datapoint per minute");
    }
    if (args.resources !== undefined) {
        validateResources(problems, "resources", args.resources);
    }
    validateEnv(problems, "env", args.env, args.secretEnv);
    for (const name of Object.keys(args.env ?? {})) {
        problems.check(!(QUEUE_METRICS_ENV as readonly string[]).includes(name), `env.${name}`, "is set by the component from its own arguments; pass the matching argument instead");
    }
    return problems;
}

/**
 * The queue-depth publisher the queue alarms read: a single-replica Deployment of the app image in its
 * `queue-metrics` role (`APP_ROLE`), which every `intervalSeconds` counts each queue's waiting +
 * prioritized jobs in the queue store and calls `PutMetricData` (`<metricsNamespace>` / `QueueDepth`,
 * dimension `Queue`). Its identity is the stack's queue-metrics role, bound to its own ServiceAccount by an EKS
 * Pod Identity association: the pod gets credentials from the Pod Identity agent on its node, not from IMDS
 * (the nodes' hop limit of 1 keeps pods off IMDS), and the role may only put metrics into that one namespace.
 *
 * The pod runs on the on-demand pool with the restricted security context, read-only root filesystem
 * and resource limits of the other workloads. One replica suffices: a restart costs a missing datapoint,
 * which the queue-depth alarms treat as missing, and a second replica would only publish duplicates.
 *
 * Pass the region's `aws.Provider` in `opts.provider`; Kubernetes objects use `args.k8sProvider`.
 */
export class QueueMetricsPublisher extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly podIdentityAssociation: aws.eks.PodIdentityAssociation;
    public readonly serviceAccountName: pulumi.Output<string>;
    public readonly deploymentName: pulumi.Output<string>;
    /** The metric the pod publishes; alarms must read exactly this. */
    public readonly metric: QueueDepthMetric;
    public readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: QueueMetricsPublisherArgs, opts?: pulumi.ComponentResourceOptions) {
        validateQueueMetricsPublisherArgs(args).throwIfAny(`QueueMetricsPublisher "${name}"`);
        super("scaled-web:workloads:QueueMetricsPublisher", name, {}, opts);

        const kube = { parent: this, provider: args.k8sProvider };
        const app = args.app ?? DEFAULT_QUEUE_METRICS_APP;
        const resources = args.resources ?? DEFAULT_QUEUE_METRICS_RESOURCES;
        this.metric = publishedQueueDepthMetric(args.metricsNamespace);
        const selector = { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF };
        const labels = {
            ...(args.labels ?? {}),
            ...selector,
            "app.kubernetes.io/component": QUEUE_METRICS_ROLE,
            "app.kubernetes.io/managed-by": "pulumi",
        };
        const namespace = pulumi.output(args.namespace);

        this.roleArn = args.role.roleArn;
        this.podIdentityAssociation = args.role.associate(name, {
            clusterName: args.clusterName,
            namespace: args.namespace,
            serviceAccount: app,
            parent: this,
            tags: { ...(args.tags ?? {}) },
        });
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: app, namespace, labels },
            // The pod needs no Kubernetes API token; EKS Pod Identity projects its own token.
            automountServiceAccountToken: false,
        }, kube);
        this.serviceAccountName = serviceAccount.metadata.name;

        const image = checkedImage(args.image, `QueueMetricsPublisher "${name}"`);
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: { name: app, namespace, labels },
            spec: {
                replicas: 1,
                revisionHistoryLimit: 5,
                selector: { matchLabels: selector },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: serviceAccount.metadata.name,
                        // EKS Pod Identity adds its own projected token volume (audience pods.eks.amazonaws.com)
                        // whatever this says.
                        automountServiceAccountToken: false,
                        securityContext: podSecurityContext(),
                        nodeSelector: { ...(args.nodeSelector ?? DEFAULT_QUEUE_METRICS_NODE_SELECTOR) },
                        containers: [{
                            name: QUEUE_METRICS_ROLE,
                            image,
                            imagePullPolicy: "IfNotPresent",
                            env: containerEnv({
                                ...(args.env ?? {}),
                                APP_ROLE: QUEUE_METRICS_ROLE,
                                QUEUE_NAMES: args.queues.join(","),
                                QUEUE_PREFIX: args.keyPrefix ?? DEFAULT_BULLMQ_PREFIX,
                                METRICS_NAMESPACE: this.metric.namespace,
                                METRICS_INTERVAL_SECONDS: String(args.intervalSeconds ?? DEFAULT_METRICS_INTERVAL_SECONDS),
                                AWS_REGION: args.region,
                            }, args.secretEnv),
                            envFrom: containerEnvFrom(args.envFromSecrets, args.envFromConfigMaps),
                            resources: containerResources(resources),
                            securityContext: containerSecurityContext(),
                            volumeMounts: [tmpVolumeMount()],
                        }],
                        volumes: [tmpVolume()],
                    },
                },
            },
        }, kube);
        this.deploymentName = this.deployment.metadata.name;

        this.registerOutputs({
            roleArn: this.roleArn,
            serviceAccountName: this.serviceAccountName,
            deploymentName: this.deploymentName,
        });
    }
}
