/**
 * Stage workloads: what runs in one region's cluster. One `AppNamespace` (restricted Pod Security
 * Standard) holding
 * - `api` and `ws`: `RegionalDeployment`s on the on-demand pool behind ClusterIP Services, their pods registered by
 *   IP in the region's ALB target groups by a `TargetGroupBinding` each (the namespace carries the controller's
 *   readiness-gate label), replica floors per region (`regions.<name>.replicas`), HPA ceilings per tier;
 * - the queue workers: a `WorkerPool` on the spot pool with a KEDA ScaledObject per queue;
 * - `queue-metrics`: a `QueueMetricsPublisher` (the worker image in its `queue-metrics` role, the stack's Pod
 *   Identity role limited to `PutMetricData` in `ScaledWeb/Queues`) publishing the depth the queue alarms read;
 * - External Secrets Operator (`ExternalSecretsOperator`, the stack's ESO role through Pod Identity) and a
 *   `SecretsManagerStore` over the region's Secrets Manager with one ExternalSecret per workload, each holding only
 *   the keys that workload reads (`workloadSecretKeys`): `api-secrets`, `ws-secrets`, `worker-secrets`,
 *   `queue-metrics-secrets`, and `queue-scaler-auth` (the queue store's address and password for KEDA);
 * - `app-config`: a ConfigMap with the non-secret settings, including the database URLs, which carry no
 *   password (`DATABASE_AUTH=iam`: the api signs an RDS IAM token per connection);
 * - the api's stack role (ServiceAccount `api`) may `rds-db:connect` as the application role (platform/data.ts);
 * - in the primary region, the `DatabaseBootstrap` Job that creates the application role.
 *
 * Containers read the ConfigMap and their own Secret through `envFrom`: no credential appears in any manifest,
 * and Pulumi creates no Kubernetes Secret.
 *
 * Identity: api, ws and the workers run under their own ServiceAccounts (`api`, `ws`, `worker`), each associated
 * through EKS Pod Identity with the stack's role for that workload (platform/identity.ts, `appRoles`).
 *
 * Every container gets `APP_ROLE` (`api`, `ws`, `worker`): the reference application (`app/`, one image)
 * picks its role from it. `api` and the workers read the queue store's URL as `QUEUE_REDIS_URL` (the
 * purpose `QUEUE_PURPOSES` picks, from their Secret), and `api` learns the queue names and key prefix
 * (`QUEUE_NAMES`, `QUEUE_PREFIX`) to enqueue jobs the workers consume.
 */
import { APP_METRICS_PORT } from "../components/app-metrics";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_CONNECTION_METRIC } from "../components/service-scaling";
import { MessageBroker } from "../components/message-broker";
import { AppNamespace } from "../components/app-namespace";
import { DatabaseBootstrap } from "../components/database-bootstrap";
import { ExternalSecretsOperator, SecretsManagerStore } from "../components/external-secrets";
import { RegionalDeployment } from "../components/regional-deployment";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { QueueMetricsPublisher } from "../components/queue-metrics";
import { WorkerPool, bullmqPrefix } from "../components/worker-pool";
import type { ComputeRegionDetails } from "./compute";
import { ComputeRegion, DataRegion, EdgeRegion, ImageSupply, StorageRegion } from "./contracts";
import type { AppWorkload, StackIdentity } from "./identity";
import { POD_READINESS_GATE_LABEL } from "../components/load-balancer-controller";
import type { RegionContext } from "./program";
import { stackSecretPrefix } from "./data";
import { otelEnv } from "./traces";

export const APP_CONFIG_NAME = "app-config";
export const QUEUE_SCALER_SECRET_NAME = "queue-scaler-auth";
/** Image services (platform/images.ts): one image each for the API, the WebSocket gateway and the workers. */
export const SERVICES = { api: "api", ws: "ws", worker: "worker" } as const;
/** Cache purpose the Socket.IO adapter publishes on, in order of preference (seed 003 keeps sessions apart). */
export const WS_ADAPTER_PURPOSES = ["sessions", "cache"] as const;
/** Cache purpose holding the BullMQ queues, in order of preference (seed 003: a no-eviction `queue` store). */
export const QUEUE_PURPOSES = ["queue", "cache"] as const;
/** `APP_ROLE` of each container: the reference application (`app/src/settings.js`) runs the role it names. */
export const APP_ROLES = { api: "api", ws: "ws", worker: "worker", queueMetrics: "queue-metrics" } as const;
/** Environment variable holding the queue store's URL for the api, the workers and the queue-depth publisher. */
export const QUEUE_URL_VARIABLE = "QUEUE_REDIS_URL";
/** ServiceAccount of the ws pods: its Pod Identity role may publish the connection gauge KEDA scales ws on. */
export const WS_SERVICE_ACCOUNT = "ws";
/** issue 19, queueBackend rabbitmq: ExternalSecret with the broker's amqps:// URL (key `url`), read by KEDA. */
export const BROKER_SECRET_NAME = "queue-broker";
/** Environment variable of the broker URL (an AMQP-speaking app reads it instead of QUEUE_REDIS_URL). */
export const AMQP_URL_VARIABLE = "AMQP_URL";
/** The `purpose` of a `WorkloadSecretKey` that reads the region's broker secret instead of a cache purpose's. */
export const BROKER_SECRET_REF = "@broker";

/** Amazon MQ broker name of a region's queues (dimension `Broker` of its CloudWatch metrics). */
/** The application namespace: named after the project (the other stages that select its pods use this too). */
export function appNamespaceOf(config: { readonly project: string }): string {
    return config.project;
}

export function brokerNameFor(prefix: string): string {
    return `${prefix}-queue`;
}
/** The api's ServiceAccount, bound to the database client role through EKS Pod Identity. */
export const API_SERVICE_ACCOUNT = "api";

/** What the workloads stage builds in one region. */
export interface WorkloadsRegion {
    readonly namespace: pulumi.Output<string>;
    /** The namespace with the ConfigMap (and the api's ServiceAccount). */
    readonly settings: AppNamespace;
    readonly api: RegionalDeployment;
    readonly ws: RegionalDeployment;
    readonly workers: WorkerPool;
    /** Publishes each queue's depth to CloudWatch for the queue alarms (BullMQ backend only). */
    readonly queueMetrics?: QueueMetricsPublisher;
    /** Pod Identity associations of the app's service accounts in this cluster, keyed by workload. */
    readonly podIdentityAssociations: Readonly<Record<AppWorkload, aws.eks.PodIdentityAssociation>>;
    /** External Secrets Operator in this cluster. */
    readonly externalSecrets: ExternalSecretsOperator;
    /** The region's SecretStore and one ExternalSecret per workload. */
    readonly secretStore: SecretsManagerStore;
    /** The database bootstrap Job (primary region only). */
    readonly bootstrap?: DatabaseBootstrap;
    /** issue 19: the region's Amazon MQ broker with `queueBackend.type: rabbitmq`. */
    readonly broker?: MessageBroker;
}

/**
 * `postgresql://user[:password]@host:port/db?sslmode=require`, the password URL-encoded. The platform writes it
 * without a password: the application role authenticates with IAM tokens (`DATABASE_AUTH=iam`).
 */
export function postgresUrl(user: string, password: string | undefined, endpoint: string, database: string): string {
    const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
    return `postgresql://${auth}@${endpoint}/${encodeURIComponent(database)}?sslmode=require`;
}

/** Environment variable of a cache purpose's URL: `sessions` -> `VALKEY_SESSIONS_URL` (seed 003 naming). */
export function cacheUrlVariable(purpose: string): string {
    return `VALKEY_${purpose.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;
}

/** The first of `preferred` that `available` has, else the first available; throws when there is none. */
export function pickPurpose(available: readonly string[], preferred: readonly string[], what: string): string {
    const chosen = preferred.find((p) => available.includes(p)) ?? available[0];
    if (chosen === undefined) {
        throw new Error(`wireWorkloads: the data stage gave no cache URL; ${what} needs one of the purposes ${preferred.join(", ")} (config cache.purposes)`);
    }
    return chosen;
}

/** Splits `rediss://:token@host:port` into what KEDA's redis scaler wants: `host:port`, the password, TLS. */
export function redisConnection(url: string): { address: string; password: string; tls: boolean } {
    const u = new URL(url);
    if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
        throw new Error(`wireWorkloads: a cache URL must use redis:// or rediss://, got the scheme "${u.protocol}"`);
    }
    return { address: `${u.hostname}:${u.port || "6379"}`, password: decodeURIComponent(u.password), tls: u.protocol === "rediss:" };
}

/** The Kubernetes Secret (an ExternalSecret's target) of each workload, named after it. */
export const WORKLOAD_SECRET_NAMES = { api: "api-secrets", ws: "ws-secrets", worker: "worker-secrets", queueMetrics: "queue-metrics-secrets" } as const;
/** The Socket.IO adapter's URL variable in ws (settings.js reads it before `REDIS_URL`). */
export const WS_ADAPTER_VARIABLE = "SOCKET_IO_REDIS_URL";

/** One key of a workload Secret: which cache purpose's secret and which JSON property. */
export interface WorkloadSecretKey {
    readonly purpose: string;
    readonly property: "url" | "address" | "password";
}

/**
 * What each workload's Secret holds, from what each role of the reference app reads (app/src/settings.js):
 * api enqueues jobs (`QUEUE_REDIS_URL`); ws needs only its Socket.IO adapter store (`SOCKET_IO_REDIS_URL`), not the
 * queue; the workers and the queue-depth publisher need only the queue store; KEDA's TriggerAuthentication needs the
 * queue store's address and password. No workload gets the database password: there is none (IAM tokens).
 */
export function workloadSecretKeys(queuePurpose: string, wsAdapterPurpose: string, broker = false): Record<string, Record<string, WorkloadSecretKey>> {
    if (broker) {
        // RabbitMQ backend: the api and the workers get the broker's URL only, KEDA reads it too; no queue-metrics
        // publisher runs (the alarms read Amazon MQ's own per-queue metrics).
        const amqpUrl = { [AMQP_URL_VARIABLE]: { purpose: BROKER_SECRET_REF, property: "url" } } as const;
        return {
            [WORKLOAD_SECRET_NAMES.api]: { ...amqpUrl },
            [WORKLOAD_SECRET_NAMES.ws]: { [WS_ADAPTER_VARIABLE]: { purpose: wsAdapterPurpose, property: "url" } },
            [WORKLOAD_SECRET_NAMES.worker]: { ...amqpUrl },
            [BROKER_SECRET_NAME]: { url: { purpose: BROKER_SECRET_REF, property: "url" } },
        };
    }
    const queueUrl = { [QUEUE_URL_VARIABLE]: { purpose: queuePurpose, property: "url" } } as const;
    return {
        [WORKLOAD_SECRET_NAMES.api]: { ...queueUrl },
        [WORKLOAD_SECRET_NAMES.ws]: { [WS_ADAPTER_VARIABLE]: { purpose: wsAdapterPurpose, property: "url" } },
        [WORKLOAD_SECRET_NAMES.worker]: { ...queueUrl },
        [WORKLOAD_SECRET_NAMES.queueMetrics]: { ...queueUrl },
        [QUEUE_SCALER_SECRET_NAME]: { address: { purpose: queuePurpose, property: "address" }, password: { purpose: queuePurpose, property: "password" } },
    };
}

/**
 * Builds the region's workloads in its cluster, every Kubernetes object through `compute.k8sProvider`.
 * Workers wait for the cluster add-ons (KEDA's CRDs) when the compute stage exposes them; the api/ws
 * `TargetGroupBinding`s wait for the load balancer controller and point at `edge.targetGroupArns`.
 */
export function wireWorkloads(
    ctx: RegionContext, compute: ComputeRegion, data: DataRegion, images: ImageSupply, edge: EdgeRegion, identity: StackIdentity, storage?: StorageRegion,
): WorkloadsRegion {
    const { config, region, prefix } = ctx;
    const provider = compute.k8sProvider;
    const purposes = Object.keys(data.cacheSecretNames);
    const wsAdapterPurpose = pickPurpose(purposes, WS_ADAPTER_PURPOSES, "the WebSocket adapter");
    const queuePurpose = pickPurpose(purposes, QUEUE_PURPOSES, "the queue workers");

    // The Cache component runs cluster mode exactly when a purpose has more than one shard; BullMQ then
    // needs a hash-tagged prefix, which producers (api/ws via the ConfigMap), workers and KEDA all share.
    const queueClusterMode = (config.cache.purposes[queuePurpose]?.shards ?? 1) > 1;
    const queuePrefix = bullmqPrefix(undefined, queueClusterMode);
    // issue 19: with queueBackend rabbitmq the queues live on an Amazon MQ for RabbitMQ broker in this region,
    // private, in the private subnets (all of them for a cluster, the first for a single instance), open on
    // 5671 to the cluster's nodes only. Its URL is kept in this region's Secrets Manager under the stack's prefix,
    // where External Secrets Operator reads it like the cache secrets.
    const backend = config.queueBackend;
    const broker = backend.type === "rabbitmq" ? new MessageBroker(`${prefix}-queue`, {
        brokerName: brokerNameFor(prefix),
        vpcId: ctx.network.vpcId,
        subnetIds: backend.deploymentMode === "SINGLE_INSTANCE" ? ctx.network.privateSubnetIds.slice(0, 1) : ctx.network.privateSubnetIds,
        clientSecurityGroupIds: [compute.nodeSecurityGroupId],
        deploymentMode: backend.deploymentMode,
        engineVersion: backend.engineVersion,
        instanceType: backend.instanceType,
        secretName: `${stackSecretPrefix(config)}queue-broker`,
        tags: { ...config.tags },
    }, { provider: ctx.provider }) : undefined;
    const writerUrl = data.writerEndpoint.apply((e) => postgresUrl(data.databaseUser, undefined, e, data.databaseName));
    const readerUrl = data.readerEndpoint.apply((e) => postgresUrl(data.databaseUser, undefined, e, data.databaseName));
    const settings = new AppNamespace(`${prefix}-env`, {
        namespace: appNamespaceOf(config),
        // The controller injects ALB target-health readiness gates into pods behind a TargetGroupBinding here.
        namespaceLabels: { [POD_READINESS_GATE_LABEL.key]: POD_READINESS_GATE_LABEL.value },
        configMaps: {
            [APP_CONFIG_NAME]: {
                NODE_ENV: "production",
                APP_ENVIRONMENT: config.environment,
                AWS_REGION: region.name,
                REGION_ROLE: region.role,
                DATABASE_NAME: data.databaseName,
                DATABASE_USER: data.databaseUser,
                DATABASE_WRITER_ENDPOINT: data.writerEndpoint,
                DATABASE_READER_ENDPOINT: data.readerEndpoint,
                // No password in either URL: the api signs an RDS IAM token per connection (Pod Identity role).
                DATABASE_URL: writerUrl,
                DATABASE_PRIMARY_URL: writerUrl,
                DATABASE_REPLICA_URL: readerUrl,
                DATABASE_AUTH: "iam",
                PUBLIC_API_URL: `https://${config.edge.apiHostname}.${config.domain}`,
                PUBLIC_WS_URL: `https://${config.edge.wsHostname}.${config.domain}`,
                // seeds1: where the static assets are served from (the Cdn of platform/static.ts).
                ...(config.cdn.enabled ? { PUBLIC_STATIC_URL: `https://${config.cdn.hostname}.${config.domain}` } : {}),
                // seeds1: the uploads bucket (platform/storage.ts); the pod's role may use only UPLOADS_PREFIX.
                ...(storage ? { UPLOADS_BUCKET: storage.uploadsBucket, UPLOADS_REGION: storage.uploadsRegion, UPLOADS_PREFIX: storage.uploadsPrefix } : {}),
                QUEUE_PREFIX: queuePrefix,
            },
        },
    }, { provider });
    const namespace = settings.namespace;

    // Secrets: External Secrets Operator (Pod Identity, the stack's ESO role) copies each workload's keys from this
    // region's Secrets Manager into a Secret of its own; no secret value passes through a Kubernetes manifest here.
    const eso = new ExternalSecretsOperator(`${prefix}-eso`, {
        k8sProvider: provider,
        clusterName: compute.clusterName,
        role: data.identity.externalSecrets,
        awsProvider: ctx.provider,
        tags: { ...config.tags },
    });
    const keys = workloadSecretKeys(queuePurpose, wsAdapterPurpose, broker !== undefined);
    const store = new SecretsManagerStore(`${prefix}-secrets`, {
        namespace,
        region: region.name,
        operator: eso,
        secrets: Object.fromEntries(Object.entries(keys).map(([secretName, entries]) => [secretName, Object.fromEntries(
            Object.entries(entries).map(([key, ref]) => [key, { remoteKey: ref.purpose === BROKER_SECRET_REF ? broker!.secretName : data.cacheSecretNames[ref.purpose], property: ref.property }]),
        )])),
    }, { provider });
    const secretOf = (secretName: string): pulumi.Output<string> => store.secretNames[secretName];
    const configMaps = [settings.configMapNames[APP_CONFIG_NAME]];

    // Primary region: the Job that creates the application role, reading the master secret itself.
    const bootstrap = data.bootstrap ? new DatabaseBootstrap(`${prefix}-db-bootstrap`, {
        namespace,
        image: images.imageFor(SERVICES.api, region.name),
        clusterName: compute.clusterName,
        role: data.bootstrap.role,
        awsProvider: ctx.provider,
        region: region.name,
        masterSecretArn: data.bootstrap.masterSecretArn,
        host: data.bootstrap.primaryAddress,
        databaseName: data.databaseName,
        appUsername: data.databaseUser,
        tags: { ...config.tags },
    }, { provider }) : undefined;

    // The ScaledObjects need KEDA's CRDs: wait for the add-ons when the compute stage exposes them.
    const addons = (compute as Partial<ComputeRegionDetails>).addons;
    const kedaCrds = addons ? [addons] : [];
    // issue 19: with Managed Prometheus on, api/ws/workers serve /metrics on the port named `metrics` (platform/monitoring.ts).
    const metricsPort = config.observability.prometheus.enabled ? APP_METRICS_PORT : undefined;
    const api = new RegionalDeployment(`${prefix}-api`, {
        app: "api",
        namespace,
        image: images.imageFor(SERVICES.api, region.name),
        containerPort: config.api.containerPort,
        targetGroupArn: edge.targetGroupArns.api,
        targetGroupBindingDependsOn: [compute.loadBalancerController],
        minReplicas: region.apiMinReplicas,
        maxReplicas: config.api.maxReplicas,
        resources: config.api.resources,
        healthPath: config.edge.healthCheckPath,
        metricsPort,
        env: {
            ...config.api.env,
            APP_ROLE: APP_ROLES.api,
            HEALTH_PATH: config.edge.healthCheckPath,
            // QUEUE_PREFIX comes from the ConfigMap: the same (hash-tagged on cluster-mode stores) prefix the workers use.
            QUEUE_NAMES: Object.keys(config.workers.queues).join(","),
            // issue 19 item 3b: where the app sends its spans (the region's trace collector; platform/traces.ts).
            ...otelEnv(config, region.name, "api"),
        },
        envFromSecrets: [secretOf(WORKLOAD_SECRET_NAMES.api)],
        envFromConfigMaps: configMaps,
        // issue 19: KEDA scales the api on the ALB request count of its target group, per pod, too.
        requestRate: {
            loadBalancerArnSuffix: edge.loadBalancerArnSuffix,
            targetGroupArnSuffix: edge.targetGroupArnSuffixes.api,
            requestsPerSecondPerPod: config.scaling.requestsPerSecondPerPod,
            region: region.name,
        },
        schedules: config.scaling.api,
    }, {
        provider,
        // order: the api's ScaledObject needs KEDA's CRDs, which the add-ons' Helm release installs;
        // nothing the api reads comes from that release.
        dependsOn: kedaCrds,
    });

    // issue 19: the ws pods publish their open connections (DEFAULT_CONNECTION_METRIC, dimension Stack = <project>/<stack>)
    // under the stack's ws role (platform/identity.ts: PutMetricData in that namespace only, through Pod Identity on
    // the ws service account); KEDA scales ws on the per-pod average.
    const connectionStack = `${config.project}/${config.stack}`;
    const ws = new RegionalDeployment(`${prefix}-ws`, {
        app: "ws",
        namespace,
        image: images.imageFor(SERVICES.ws, region.name),
        containerPort: config.ws.containerPort,
        targetGroupArn: edge.targetGroupArns.ws,
        targetGroupBindingDependsOn: [compute.loadBalancerController],
        minReplicas: region.wsMinReplicas,
        maxReplicas: config.ws.maxReplicas,
        resources: config.ws.resources,
        healthPath: config.edge.healthCheckPath,
        metricsPort,
        env: {
            ...config.ws.env,
            APP_ROLE: APP_ROLES.ws,
            HEALTH_PATH: config.edge.healthCheckPath,
            PROBE_PATH: config.edge.wsHealthCheckPath,
            CONNECTION_METRICS_NAMESPACE: DEFAULT_CONNECTION_METRIC.namespace,
            CONNECTION_METRICS_STACK: connectionStack,
            ...otelEnv(config, region.name, "ws"),
        },
        // Socket.IO long-polling needs every request of a session on one pod: the ALB's stickiness cookie on the
        // ws target group (IP targets) pins the browser to its pod, so the Service needs no affinity.
        envFromSecrets: [secretOf(WORKLOAD_SECRET_NAMES.ws)],
        envFromConfigMaps: configMaps,
        connections: {
            dimensions: { [DEFAULT_CONNECTION_METRIC.dimension]: connectionStack },
            connectionsPerPod: config.scaling.connectionsPerPod,
            region: region.name,
        },
        schedules: config.scaling.ws,
    }, {
        provider,
        // order: the ws ScaledObject needs KEDA's CRDs (the add-ons' Helm release); no data flows from it.
        dependsOn: kedaCrds,
    });

    const workers = new WorkerPool(`${prefix}-workers`, {
        namespace,
        image: images.imageFor(SERVICES.worker, region.name),
        // issue 19: each queue's cron floors (scaling.schedules.<name>.queues) join its formula.
        queues: Object.fromEntries(Object.entries(config.workers.queues).map(([q, v]) => [q, { ...v, schedules: config.scaling.queues[q] ?? [] }])),
        resources: config.workers.resources,
        terminationGracePeriodSeconds: config.workers.terminationGracePeriodSeconds,
        metricsPort,
        env: { APP_ROLE: APP_ROLES.worker, ...otelEnv(config, region.name, "worker") },
        ...(broker ? { broker: { secretName: secretOf(BROKER_SECRET_NAME), urlKey: "url" } } : {
            queueStore: {
                secretName: secretOf(QUEUE_SCALER_SECRET_NAME),
                addressKey: "address",
                passwordKey: "password",
                // rediss:// -> TLS, as the cache component always hands out today.
                tls: data.cacheTls[queuePurpose],
                clusterMode: queueClusterMode,
            },
            keyPrefix: queuePrefix,
        }),
        envFromSecrets: [secretOf(WORKLOAD_SECRET_NAMES.worker)],
        envFromConfigMaps: configMaps,
    }, {
        provider,
        // order: the TriggerAuthentication and ScaledObjects need KEDA's CRDs, which the KEDA release installs;
        // nothing they reference comes from it. Only that release, not the whole add-ons component (which
        // would also wait for cluster-autoscaler, metrics-server and the termination handler).
        dependsOn: addons ? [addons.keda] : [],
    });

    // The queue alarms (platform/observability.ts) read DEFAULT_QUEUE_DEPTH_METRIC in this region; with
    // RabbitMQ they read Amazon MQ's own per-queue MessageCount instead, so no publisher runs.
    const queueMetrics = broker ? undefined : new QueueMetricsPublisher(`${prefix}-queue-metrics`, {
        namespace,
        image: images.imageFor(SERVICES.worker, region.name),
        queues: Object.keys(config.workers.queues),
        keyPrefix: queuePrefix,
        // The same queue store URL the workers read (QUEUE_REDIS_URL), whichever cache purpose holds the queues.
        envFromSecrets: [secretOf(WORKLOAD_SECRET_NAMES.queueMetrics)],
        envFromConfigMaps: configMaps,
        metricsNamespace: DEFAULT_QUEUE_DEPTH_METRIC.namespace,
        region: region.name,
        clusterName: compute.clusterName,
        role: identity.queueMetrics,
        k8sProvider: provider,
        tags: { ...config.tags },
    }, { provider: ctx.provider });

    // One role per app workload for the whole stack, bound here to its ServiceAccount in this cluster.
    const accounts: Record<AppWorkload, pulumi.Output<string>> = { api: api.serviceAccountName, ws: ws.serviceAccountName, worker: workers.serviceAccountName };
    const podIdentityAssociations = Object.fromEntries((Object.keys(accounts) as AppWorkload[]).map((w) => [w, identity.appRoles[w].associate(`${prefix}-${w}`, {
        clusterName: compute.clusterName,
        namespace,
        serviceAccount: accounts[w],
        provider: ctx.provider,
        tags: { ...config.tags },
    })])) as Record<AppWorkload, aws.eks.PodIdentityAssociation>;

    return { namespace, settings, api, ws, workers, queueMetrics, podIdentityAssociations, externalSecrets: eso, secretStore: store, bootstrap, broker };
}
