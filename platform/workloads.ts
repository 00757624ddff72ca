/**
 * Stage workloads: what runs in one region's cluster. One `AppNamespace` (restricted Pod Security
 * Standard) holding
 * - `api` and `ws`: `RegionalDeployment`s on the on-demand pool behind ClusterIP Services, their pods registered by
 *   IP in the region's ALB target groups by a `TargetGroupBinding` each (the namespace carries the controller's
 *   readiness-gate label), replica floors per region (`regions.<name>.replicas`), HPA ceilings per tier;
 * - the queue workers: a `WorkerPool` on the spot pool with a KEDA ScaledObject per queue;
 * - `queue-metrics`: a `QueueMetricsPublisher` (the worker image in its `queue-metrics` role, the stack's Pod
 *   Identity role limited to `PutMetricData` in `ScaledWeb/Queues`) publishing the depth the queue alarms read;
 * - `app-secrets`: a Secret with the database writer/reader URLs and one URL per cache purpose, built
 *   from the data stage's secret outputs (`stringData` is a Pulumi secret, so it is encrypted in state);
 * - `queue-scaler-auth`: the queue store's address and password for KEDA's TriggerAuthentication;
 * - `app-config`: a ConfigMap with the non-secret settings.
 *
 * Containers read the Secret and ConfigMap through `envFrom`, and `ws` reads its Socket.IO adapter URL
 * (`REDIS_URL`, `SOCKET_IO_REDIS_URL`) through `secretKeyRef`: no credential appears in any manifest.
 *
 * Identity: api, ws and the workers run under their own ServiceAccounts (`api`, `ws`, `worker`), each associated
 * through EKS Pod Identity with the stack's role for that workload (platform/identity.ts, `appRoles`).
 *
 * Every container gets `APP_ROLE` (`api`, `ws`, `worker`): the reference application (`app/`, one image)
 * picks its role from it. `api` and the workers read the queue store's URL as `QUEUE_REDIS_URL` (the
 * purpose `QUEUE_PURPOSES` picks, through `secretKeyRef`), and `api` learns the queue names and key prefix
 * (`QUEUE_NAMES`, `QUEUE_PREFIX`) to enqueue jobs the workers consume.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AppNamespace } from "../components/app-namespace";
import { RegionalDeployment } from "../components/regional-deployment";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { QueueMetricsPublisher } from "../components/queue-metrics";
import { WorkerPool, bullmqPrefix } from "../components/worker-pool";
import type { ComputeRegionDetails } from "./compute";
import { ComputeRegion, DataRegion, EdgeRegion, ImageSupply, StorageRegion } from "./contracts";
import type { AppWorkload, StackIdentity } from "./identity";
import { POD_READINESS_GATE_LABEL } from "../components/load-balancer-controller";
import type { RegionContext } from "./program";

export const APP_SECRET_NAME = "app-secrets";
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

/** What the workloads stage builds in one region. */
export interface WorkloadsRegion {
    readonly namespace: pulumi.Output<string>;
    /** The namespace with the app Secret, the KEDA Secret and the ConfigMap. */
    readonly settings: AppNamespace;
    readonly api: RegionalDeployment;
    readonly ws: RegionalDeployment;
    readonly workers: WorkerPool;
    /** Publishes each queue's depth to CloudWatch for the queue alarms. */
    readonly queueMetrics: QueueMetricsPublisher;
    /** Pod Identity associations of the app's service accounts in this cluster, keyed by workload. */
    readonly podIdentityAssociations: Readonly<Record<AppWorkload, aws.eks.PodIdentityAssociation>>;
}

/** `postgresql://user:password@host:port/db?sslmode=require`, the password URL-encoded. */
export function postgresUrl(user: string, password: string, endpoint: string, database: string): string {
    return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${endpoint}/${encodeURIComponent(database)}?sslmode=require`;
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

/** The key/value pairs of the app Secret (all values secret). */
export function appSecretData(d: {
    user: string; password: string; database: string; writer: string; reader: string; cacheUrls: Record<string, string>;
}): Record<string, string> {
    const writer = postgresUrl(d.user, d.password, d.writer, d.database);
    const data: Record<string, string> = {
        DATABASE_URL: writer,
        DATABASE_PRIMARY_URL: writer,
        DATABASE_REPLICA_URL: postgresUrl(d.user, d.password, d.reader, d.database),
        DATABASE_PASSWORD: d.password,
    };
    for (const [purpose, url] of Object.entries(d.cacheUrls)) {
        data[cacheUrlVariable(purpose)] = url;
    }
    return data;
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
    const purposes = Object.keys(data.cacheUrls);
    const wsAdapterPurpose = pickPurpose(purposes, WS_ADAPTER_PURPOSES, "the WebSocket adapter");
    const queuePurpose = pickPurpose(purposes, QUEUE_PURPOSES, "the queue workers");

    const cacheUrls = pulumi.all(data.cacheUrls);
    const queueUrl = data.cacheUrls[queuePurpose];
    // The Cache component runs cluster mode exactly when a purpose has more than one shard; BullMQ then
    // needs a hash-tagged prefix, which producers (api/ws via the ConfigMap), workers and KEDA all share.
    const queueClusterMode = (config.cache.purposes[queuePurpose]?.shards ?? 1) > 1;
    const queuePrefix = bullmqPrefix(undefined, queueClusterMode);
    const settings = new AppNamespace(`${prefix}-env`, {
        namespace: config.project,
        // The controller injects ALB target-health readiness gates into pods behind a TargetGroupBinding here.
        namespaceLabels: { [POD_READINESS_GATE_LABEL.key]: POD_READINESS_GATE_LABEL.value },
        secrets: {
            [APP_SECRET_NAME]: pulumi.all([data.databasePassword, data.writerEndpoint, data.readerEndpoint, cacheUrls]).apply(([password, writer, reader, urls]) =>
                appSecretData({ user: data.databaseUser, password, database: data.databaseName, writer, reader, cacheUrls: urls })),
            [QUEUE_SCALER_SECRET_NAME]: queueUrl.apply((u) => {
                const c = redisConnection(u);
                return { address: c.address, password: c.password };
            }),
        },
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
    const appSecretName = settings.secretNames[APP_SECRET_NAME];

    const envFrom = { envFromSecrets: [appSecretName], envFromConfigMaps: [settings.configMapNames[APP_CONFIG_NAME]] };
    const queueUrlRef = { [QUEUE_URL_VARIABLE]: { secretName: appSecretName, key: cacheUrlVariable(queuePurpose) } };

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
        env: {
            ...config.api.env,
            APP_ROLE: APP_ROLES.api,
            HEALTH_PATH: config.edge.healthCheckPath,
            // QUEUE_PREFIX comes from the ConfigMap: the same (hash-tagged on cluster-mode stores) prefix the workers use.
            QUEUE_NAMES: Object.keys(config.workers.queues).join(","),
        },
        secretEnv: queueUrlRef,
        ...envFrom,
    }, { provider });

    const adapterUrl = { secretName: appSecretName, key: cacheUrlVariable(wsAdapterPurpose) };
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
        env: { ...config.ws.env, APP_ROLE: APP_ROLES.ws, HEALTH_PATH: config.edge.healthCheckPath, PROBE_PATH: config.edge.wsHealthCheckPath },
        secretEnv: { REDIS_URL: adapterUrl, SOCKET_IO_REDIS_URL: adapterUrl },
        // Socket.IO long-polling needs every request of a session on one pod: the ALB's stickiness cookie on the
        // ws target group (IP targets) pins the browser to its pod, so the Service needs no affinity.
        ...envFrom,
    }, { provider });

    // The ScaledObjects need KEDA's CRDs: wait for the add-ons when the compute stage exposes them.
    const addons = (compute as Partial<ComputeRegionDetails>).addons;
    const workers = new WorkerPool(`${prefix}-workers`, {
        namespace,
        image: images.imageFor(SERVICES.worker, region.name),
        queues: config.workers.queues,
        resources: config.workers.resources,
        terminationGracePeriodSeconds: config.workers.terminationGracePeriodSeconds,
        env: { APP_ROLE: APP_ROLES.worker },
        secretEnv: queueUrlRef,
        queueStore: {
            secretName: settings.secretNames[QUEUE_SCALER_SECRET_NAME],
            addressKey: "address",
            passwordKey: "password",
            // rediss:// -> TLS, as the cache component always hands out today.
            tls: pulumi.unsecret(queueUrl.apply((u) => redisConnection(u).tls)),
            clusterMode: queueClusterMode,
        },
        keyPrefix: queuePrefix,
        ...envFrom,
    }, { provider, dependsOn: addons ? [addons] : [] });

    // The queue alarms (platform/observability.ts) read DEFAULT_QUEUE_DEPTH_METRIC in this region.
    const queueMetrics = new QueueMetricsPublisher(`${prefix}-queue-metrics`, {
        namespace,
        image: images.imageFor(SERVICES.worker, region.name),
        queues: Object.keys(config.workers.queues),
        keyPrefix: queuePrefix,
        // The same queue store URL the workers read, whichever cache purpose holds the queues.
        secretEnv: queueUrlRef,
        metricsNamespace: DEFAULT_QUEUE_DEPTH_METRIC.namespace,
        region: region.name,
        clusterName: compute.clusterName,
        role: identity.queueMetrics,
        k8sProvider: provider,
        ...envFrom,
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

    return { namespace, settings, api, ws, workers, queueMetrics, podIdentityAssociations };
}
