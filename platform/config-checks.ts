/**
 * Issue 17: every check that depends only on the stack's config runs before anything is registered, and
 * reports in the stack file's own keys.
 *
 * The components keep validating their own arguments (they are importable on their own), so the checks are
 * not copied: `componentConfigIssues` builds, from the resolved config, the plain arguments the platform's
 * wiring (platform/compute.ts, data.ts, edge.ts, images.ts, workloads.ts) hands each component, with
 * placeholders for what only exists once resources do (VPC/subnet/security group ids, providers, images
 * that are built), runs the components' own `validate*Args`, and translates every problem's argument path
 * into the stack-file key (`scaled-web:<path>`) that sets it, with the argument names in the message
 * replaced by the keys a stack file offers. A problem no key can cause (a placeholder) is not reported here:
 * the component still reports it when it runs.
 *
 * Keep the argument shapes here in step with the wiring: tests/malformed-stack.test.ts runs every row through
 * the real plan, so a check that stops being lifted shows up as a component error there.
 */
import { OTEL_ENV } from "./traces";
import type { ConfigIssue, PlatformConfig, RawConfig } from "./config";
import { Problems } from "../components/validation";
import { validateClusterArgs } from "../components/cluster";
import { NodePoolArgs, validateNodePoolArgs } from "../components/node-pool";
import { DatabaseArgs, validateDatabaseArgs } from "../components/database";
import { CacheArgs, validateCacheArgs } from "../components/cache";
import { LoadBalancerArgs, validateLoadBalancerArgs } from "../components/load-balancer";
import { RegionalDeploymentArgs, validateRegionalDeploymentArgs } from "../components/regional-deployment";
import { WorkerPoolArgs, validateWorkerPoolArgs } from "../components/worker-pool";
import { QueueMetricsPublisherArgs, validateQueueMetricsPublisherArgs } from "../components/queue-metrics";
import {
    DEFAULT_IMAGE_SERVICES, ImageBuildArgs, ImagePlatform, ImageRepositoryArgs, defaultBuildRoot, defaultRepositoryPrefix,
    platformForInstanceTypes, validateImageRepositoryArgs,
} from "../components/image-repository";
import { zoneIdPrefix } from "../components/network";
import { ObservabilityArgs, validateObservabilityArgs } from "../components/observability";

/** One translated problem, or undefined when no stack key can cause it. */
type Translate = (propertyPath: string, reason: string) => ConfigIssue | undefined;

/** Replaces component argument names in a message with the stack keys that set them (longest first, whole words). */
function rename(reason: string, words: Readonly<Record<string, string>>): string {
    let out = reason;
    for (const word of Object.keys(words).sort((a, b) => b.length - a.length)) {
        // Not inside a longer name, a path or a quoted value (`"services/api"` stays as the stack wrote it).
        out = out.replace(new RegExp(`(?<![\\w./"-])${word.replace(/[.[\]]/g, "\\$&")}(?![\\w/"-])`, "g"), words[word]);
    }
    return out;
}

/** `a[0].b` -> `a.0.b` (stack keys address list items with dots, as the schema's messages do). */
const dotted = (p: string): string => p.replace(/\[(\d+)\]/g, ".$1");

/**
 * A translator from a table of argument-path prefixes to stack-key prefixes (longest prefix wins); a prefix
 * mapped to undefined is a placeholder no stack key sets.
 */
function byPrefix(map: Readonly<Record<string, string | undefined>>, words: Readonly<Record<string, string>> = {}): Translate {
    const prefixes = Object.keys(map).sort((a, b) => b.length - a.length);
    return (propertyPath, reason) => {
        const p = dotted(propertyPath);
        const prefix = prefixes.find((k) => p === k || p.startsWith(`${k}.`));
        if (prefix === undefined || map[prefix] === undefined) {
            return undefined;
        }
        return { path: `${map[prefix]}${p.slice(prefix.length)}`, message: rename(reason, words) };
    };
}

function collect(problems: () => Problems, translate: Translate, out: ConfigIssue[]): void {
    let list: Problems;
    try {
        list = problems();
    } catch {
        return; // a validator that cannot judge half-resolved values: the cross-field issue already says why
    }
    for (const p of list.list) {
        const issue = translate(p.propertyPath, p.reason);
        if (issue) {
            out.push(issue);
        }
    }
}

const PLACEHOLDER_SG = "sg-00000000000000000";
const PLACEHOLDER_IMAGE = "registry.example.com/placeholder:1";

/** Region prefix of resource names, as platform/program.ts names them: `dev-use1`. */
function prefixOf(config: PlatformConfig, region: string): string {
    return `${config.environment}-${zoneIdPrefix(region)}`;
}

/** The env names the program sets on api/ws/worker containers itself (platform/workloads.ts): a stack's env must not shadow them. */
export const PROGRAM_ENV: Readonly<Record<"api" | "ws", readonly string[]>> = {
    // issue 19 item 3b: OTEL_ENV (platform/traces.ts), the OTLP contract set on every api/ws/worker container.
    api: ["APP_ROLE", "HEALTH_PATH", "QUEUE_NAMES", "QUEUE_REDIS_URL", ...OTEL_ENV],
    ws: ["APP_ROLE", "HEALTH_PATH", "PROBE_PATH", "REDIS_URL", "SOCKET_IO_REDIS_URL", ...OTEL_ENV],
};

/**
 * The component-level checks of everything the config decides, reported under stack keys. `raw` (the parsed
 * stack values before defaults) says whether a value came from the stack file, for keys that have two sources
 * (a region's replica floor or the service's).
 */
export function componentConfigIssues(config: PlatformConfig, raw: RawConfig, projectDir: string = defaultBuildRoot()): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    const primary = config.regions.find((r) => r.role === "primary") ?? config.regions[0];
    if (!primary) {
        return out;
    }
    const subnets = (n: number): string[] => Array.from({ length: n }, (_, i) => `subnet-placeholder-${i}`);

    for (const region of config.regions) {
        const prefix = prefixOf(config, region.name);
        const zones = Array.from({ length: region.azCount }, (_, i) => `${region.name}${String.fromCharCode(97 + i)}`);
        const zoneKey = region.availabilityZoneIds ? `regions.${region.name}.availabilityZoneIds` : `regions.${region.name}.azCount`;

        // Cluster (platform/compute.ts; access from platform/deploy-runner.ts).
        collect(() => validateClusterArgs(`${prefix}-eks`, {
            clusterName: `${prefix}-eks`, vpcId: "vpc", subnetIds: subnets(region.azCount),
            kubernetesVersion: config.cluster.kubernetesVersion, publicEndpoint: config.cluster.publicEndpoint,
            publicAccessCidrs: config.cluster.publicAccessCidrs, allowPublicAccessFromAnywhere: config.cluster.allowPublicAccessFromAnywhere,
            privateAccessCidrs: config.cluster.privateAccessCidrs,
            privateAccessSecurityGroupIds: config.cluster.privateAccessSecurityGroups[region.name] ?? {},
        }), byPrefix({
            kubernetesVersion: "cluster.kubernetesVersion",
            publicAccessCidrs: "cluster.publicAccessCidrs",
            privateAccessCidrs: "cluster.privateAccessCidrs",
            privateAccessSecurityGroupIds: `cluster.privateAccessSecurityGroups.${region.name}`,
        }, { allowPublicAccessFromAnywhere: "cluster.allowPublicAccessFromAnywhere", publicEndpoint: "cluster.publicEndpoint", privateAccessCidrs: "cluster.privateAccessCidrs" }), out);

        // Node pools (platform/compute.ts).
        for (const [poolName, pool] of Object.entries(config.nodePools)) {
            const key = `nodePools.${poolName}`;
            collect(() => validateNodePoolArgs({
                cluster: undefined as unknown as NodePoolArgs["cluster"], poolName, capacityType: pool.capacityType,
                instanceTypes: pool.instanceTypes, minSize: pool.minSize, maxSize: pool.maxSize, desiredSize: pool.desiredSize,
                diskSizeGiB: pool.diskSizeGiB, subnetIds: subnets(region.azCount), availabilityZones: zones, perZone: pool.perZone,
                detailedMonitoring: pool.detailedMonitoring,
                ...(pool.capacityType === "spot" ? { onDemandBaseCapacity: pool.onDemandBase } : {}),
            }), byPrefix({
                poolName: key, capacityType: `${key}.capacityType`, instanceTypes: `${key}.instanceTypes`, minSize: `${key}.minSize`,
                maxSize: `${key}.maxSize`, desiredSize: `${key}.desiredSize`, diskSizeGiB: `${key}.diskSizeGiB`,
                onDemandBaseCapacity: `${key}.onDemandBase`, detailedMonitoring: `${key}.detailedMonitoring`, availabilityZones: zoneKey,
            }, { onDemandBaseCapacity: "onDemandBase", perZone: `${key}.perZone` }), out);
        }

        // Cache (platform/data.ts), one per region with the same purposes.
        const cachePrefix = `${prefix}-cache`;
        collect(() => validateCacheArgs(cachePrefix, {
            vpcId: "vpc", subnetIds: subnets(region.azCount), allowedSecurityGroupIds: { nodes: PLACEHOLDER_SG },
            engine: config.cache.engine, engineVersion: config.cache.engineVersion,
            purposes: Object.fromEntries(Object.entries(config.cache.purposes).map(([p, v]) => [p, {
                shards: v.shards, replicasPerShard: v.replicasPerShard, nodeType: v.nodeType,
                maxmemoryPolicy: v.maxmemoryPolicy as NonNullable<CacheArgs["purposes"][string]["maxmemoryPolicy"]>, snapshotRetentionDays: v.snapshotRetentionDays,
            }])),
            protectData: config.protectData,
        }), (propertyPath, reason) => {
            const p = dotted(propertyPath);
            if (p === "engine" || p === "engineVersion") {
                return { path: `cache.${p}`, message: reason };
            }
            if (p.startsWith("purposes.")) {
                // 40 characters (ElastiCache) minus Pulumi's 8-character suffix minus "<prefix>-cache-".
                const room = 40 - 8 - cachePrefix.length - 1;
                const message = reason.replace(/; shorten the component name or the purpose$/, `; this region's groups are named "${cachePrefix}-<purpose>", so a purpose may have at most ${room} characters here`)
                    .replace("set replicasPerShard >= 1 or multiAz false", "set replicasPerShard >= 1");
                return { path: `cache.${p}`, message };
            }
            return undefined;
        }, out);

        // Load balancer (platform/edge.ts).
        collect(() => validateLoadBalancerArgs(`${prefix}-edge`, {
            vpcId: "vpc", subnetIds: subnets(region.azCount), domain: config.domain, hostedZoneId: config.hostedZoneId,
            apiHostname: config.edge.apiHostname, wsHostname: config.edge.wsHostname, nodeSecurityGroupId: PLACEHOLDER_SG,
            apiContainerPort: config.api.containerPort, wsContainerPort: config.ws.containerPort, targetClusterName: "cluster",
            wsPaths: config.edge.wsPaths, wsProbePath: config.edge.wsHealthCheckPath, idleTimeoutSeconds: config.edge.idleTimeoutSeconds,
            healthCheck: { path: config.edge.healthCheckPath }, rateLimitPerSecond: config.edge.rateLimitPerSecond,
        } as LoadBalancerArgs), byPrefix({
            domain: "domain", apiHostname: "edge.apiHostname", wsHostname: "edge.wsHostname", apiContainerPort: "api.containerPort", wsContainerPort: "ws.containerPort",
            wsPaths: "edge.wsPaths", wsProbePath: "edge.wsHealthCheckPath", idleTimeoutSeconds: "edge.idleTimeoutSeconds",
            "healthCheck.path": "edge.healthCheckPath", rateLimitPerSecond: "edge.rateLimitPerSecond",
        }, {
            apiHostname: "edge.apiHostname", wsHostname: "edge.wsHostname", apiContainerPort: "api.containerPort", wsContainerPort: "ws.containerPort",
            wsPaths: "edge.wsPaths", wsProbePath: "edge.wsHealthCheckPath", "healthCheck.path": "edge.healthCheckPath",
        }), out);

        // api / ws Deployments (platform/workloads.ts).
        for (const key of ["api", "ws"] as const) {
            const service = config[key];
            const floorKey = raw.regions?.[region.name]?.replicas?.[key] !== undefined ? `regions.${region.name}.replicas.${key}` : `${key}.minReplicas`;
            const programEnv = Object.fromEntries(PROGRAM_ENV[key].filter((n) => !n.endsWith("_URL")).map((n) => [n, "x"]));
            const secretEnv = Object.fromEntries(PROGRAM_ENV[key].filter((n) => n.endsWith("_URL")).map((n) => [n, { secretName: "app-secrets", key: "URL" }]));
            collect(() => validateRegionalDeploymentArgs({
                app: key, namespace: config.project, image: service.image ?? PLACEHOLDER_IMAGE,
                containerPort: service.containerPort,
                minReplicas: key === "api" ? region.apiMinReplicas : region.wsMinReplicas, maxReplicas: service.maxReplicas,
                resources: service.resources, healthPath: config.edge.healthCheckPath,
                env: { ...service.env, ...programEnv }, secretEnv,
            } as RegionalDeploymentArgs), (propertyPath, reason) => {
                const p = dotted(propertyPath);
                if (p.startsWith("env.") || p.startsWith("secretEnv.")) {
                    const name = p.slice(p.indexOf(".") + 1).replace(/\.key$/, "");
                    if (!(name in service.env)) {
                        return undefined;
                    }
                    const why = /secret|credentials/.test(reason)
                        ? `${reason.replace(/; pass it in secretEnv.*$|; put it in a Secret.*$/, "")}: ${key}.env is plain text in the stack file and in the Deployment manifest; remove it (the program hands the app its database and cache credentials through the app-secrets Secret; stack config has no secret env)`
                        : reason;
                    return { path: `${key}.env.${name}`, message: why };
                }
                // Already cross-field rules of the config (replica floors vs maxReplicas, requests vs limits): not twice.
                if (/^must be <= maxReplicas|^must be >= the request/.test(reason)) {
                    return undefined;
                }
                const map: Record<string, string> = {
                    image: `${key === "api" ? "api" : "ws"}.image`, containerPort: `${key}.containerPort`,
                    minReplicas: floorKey, maxReplicas: `${key}.maxReplicas`, healthPath: "edge.healthCheckPath",
                };
                const root = p.split(".")[0];
                if (root === "resources") {
                    return { path: `${key}.${p}`, message: reason };
                }
                return map[root] ? { path: map[root], message: rename(reason, { maxReplicas: `${key}.maxReplicas`, minReplicas: floorKey }) } : undefined;
            }, out);
        }
    }

    // Queue workers and their depth publisher (platform/workloads.ts): the same for every region.
    const queueArgs = { namespace: config.project, image: config.workers.image ?? PLACEHOLDER_IMAGE };
    collect(() => validateWorkerPoolArgs({
        ...queueArgs, queues: config.workers.queues, resources: config.workers.resources,
        terminationGracePeriodSeconds: config.workers.terminationGracePeriodSeconds, env: { APP_ROLE: "worker" },
        queueStore: { secretName: "queue-scaler-auth", addressKey: "address", passwordKey: "password" },
    } as WorkerPoolArgs), (propertyPath, reason) => {
        const p = dotted(propertyPath);
        if (p.startsWith("queues")) {
            return { path: `workers.${p}`, message: reason.replace(/; shorten the queue name or app$/, "; shorten the queue name (at most 56 characters: the pods are named worker-<queue>)")
                .replace(/, e\.g\. \{.*\}$/, ": remove fewer of the default queues (workers.queues.<name>: null) or add one") };
        }
        if ((p.startsWith("resources") && !/^must be >= the request/.test(reason)) || p === "terminationGracePeriodSeconds" || p === "image") {
            return { path: `workers.${p}`, message: reason };
        }
        return undefined;
    }, out);
    collect(() => validateQueueMetricsPublisherArgs({
        ...queueArgs, queues: Object.keys(config.workers.queues), metricsNamespace: "ScaledWeb/Queues", region: primary.name,
    } as unknown as QueueMetricsPublisherArgs), (propertyPath, reason) => propertyPath === "queues" && !out.some((i) => i.path === "workers.queues")
        ? { path: "workers.queues", message: `${reason.replace(/, e\.g\. .*$/, "")}: every default queue is removed (workers.queues.<name>: null); keep or add one` }
        : undefined, out);

    // Alert subscriptions (platform/observability.ts): the same in every region.
    collect(() => validateObservabilityArgs({
        region: primary.name, thresholds: config.alerts.thresholds, emails: config.alerts.emails, httpsEndpoints: config.alerts.httpsEndpoints,
    } as ObservabilityArgs), (propertyPath, reason) => {
        const p = dotted(propertyPath);
        return /^(emails|httpsEndpoints)(\.|$)/.test(p) ? { path: `alerts.${p}`, message: reason } : undefined;
    }, out);

    // Database (platform/data.ts): primary region, one entry per other region.
    const db = config.database;
    collect(() => validateDatabaseArgs(`${prefixOf(config, primary.name)}-db`, {
        region: primary.name, instanceClass: db.instanceClass, memoryGiB: db.memoryGiB, engineVersion: db.engineVersion,
        allocatedStorageGiB: db.allocatedStorageGiB, maxAllocatedStorageGiB: db.maxAllocatedStorageGiB, maxConnections: db.maxConnections,
        iamAuthentication: db.iamAuthentication, multiAz: db.multiAz, crossRegionReplicaMultiAz: db.crossRegionReplicaMultiAz,
        logRetentionDays: db.logRetentionDays, identifiers: db.instanceIdentifiers, backupRetentionDays: db.backupRetentionDays,
        protectData: config.protectData, readReplicas: db.readReplicas, crossRegionReplicas: db.crossRegionReplicas,
        pooling: { enabled: true, maxConnectionsPercent: db.pooling.maxConnectionsPercent },
        vpcId: "vpc", subnetIds: subnets(primary.azCount), allowedSecurityGroupIds: { nodes: PLACEHOLDER_SG },
        regions: Object.fromEntries(config.regions.filter((r) => r !== primary).map((r) => [r.name, {
            provider: undefined, vpcId: "vpc", subnetIds: subnets(r.azCount), allowedSecurityGroupIds: { nodes: PLACEHOLDER_SG },
        }])),
    } as unknown as DatabaseArgs), byPrefix({
        instanceClass: "database.instanceClass", memoryGiB: "database.memoryGiB", engineVersion: "database.engineVersion",
        allocatedStorageGiB: "database.allocatedStorageGiB", maxAllocatedStorageGiB: "database.maxAllocatedStorageGiB",
        maxConnections: "database.maxConnections", backupRetentionDays: "database.backupRetentionDays", readReplicas: "database.readReplicas",
        crossRegionReplicas: "database.crossRegionReplicas", identifiers: "database.instanceIdentifiers", logRetentionDays: "database.logRetentionDays",
        "pooling.maxConnectionsPercent": "database.pooling.maxConnectionsPercent",
    }, {
        allocatedStorageGiB: "database.allocatedStorageGiB", maxConnectionsPercent: "database.pooling.maxConnectionsPercent",
        readReplicas: "database.readReplicas", "regions": "the stack's regions",
    }), out);

    // Images (platform/images.ts): the repository's arguments, with the builds the stack asks for.
    const builds: Record<string, ImageBuildArgs> = {};
    const buildKey: Record<string, string> = {};
    for (const [service, build] of Object.entries(buildRequests(config))) {
        const fromStack = service in config.images.build;
        buildKey[service] = fromStack ? `images.build.${service}` : "images.referenceApp";
        const platform = build.platform ?? platformFor(service, config);
        const pools = poolsForService(service, config.nodePools);
        if (platform === undefined && pools.length > 0) { // no pool at all is a nodePools issue already

            const types = [...new Set(pools.flatMap((p) => config.nodePools[p].instanceTypes))];
            out.push({
                path: `images.build.${service}.platform`,
                message: `cannot be derived: the ${pools.length ? `pools that run ${service} (${pools.join(", ")})` : `stack has no pool for ${service}`} ` +
                    `mix or lack CPU architectures (${types.join(", ") || "no instance types"}); set it to "linux/amd64" or "linux/arm64"` +
                    (fromStack ? "" : ` (this is the reference app build from images.referenceApp: give it as images.build.${service}: { context: "app", platform: ... })`),
            });
        }
        builds[service] = { context: build.context, dockerfile: build.dockerfile, tag: build.tag, platform: platform ?? "linux/amd64" };
    }
    const given: Record<string, string> = {};
    for (const [service, image] of [["api", config.api.image], ["ws", config.ws.image], ["worker", config.workers.image]] as const) {
        if (image !== undefined) {
            given[service] = image;
        }
    }
    const imageKeys: Record<string, string> = { api: "api.image", ws: "ws.image", worker: "workers.image" };
    collect(() => validateImageRepositoryArgs({
        region: primary.name, repositoryPrefix: config.images.repositoryPrefix ?? defaultRepositoryPrefix(config.project, config.stack),
        services: config.images.services ?? DEFAULT_IMAGE_SERVICES, keepTaggedImages: config.images.keepTaggedImages,
        expireUntaggedAfterDays: config.images.expireUntaggedAfterDays, images: given, builds,
    } as ImageRepositoryArgs, projectDir), (propertyPath, reason) => {
        const p = dotted(propertyPath);
        const message = rename(reason, { services: "images.services", repositoryPrefix: "images.repositoryPrefix" });
        if (p.startsWith("builds.")) {
            const [, service, ...rest] = p.split(".");
            const reference = buildKey[service] === "images.referenceApp";
            const fix = reference ? message.replace(/ or remove the build$/, `, or name its image (${imageKeys[service] ?? `${service}.image`}) instead of building the reference app`) : message;
            return { path: rest.length ? `${buildKey[service] ?? `images.build.${service}`}${reference ? "" : `.${rest.join(".")}`}` : "images.services", message: fix };
        }
        if (p.startsWith("images.")) {
            const service = p.split(".")[1];
            return { path: imageKeys[service] ?? p, message };
        }
        const root = p.split(".")[0];
        return ["repositoryPrefix", "services", "keepTaggedImages", "expireUntaggedAfterDays"].includes(root) ? { path: `images.${p}`, message } : undefined;
    }, out);

    return out;
}

// The image supply's choices, as platform/images.ts makes them (kept here: that module imports this one's caller).
function buildRequests(config: PlatformConfig): Record<string, PlatformConfig["images"]["build"][string]> {
    const builds = { ...config.images.build };
    if (config.images.referenceApp) {
        const given: Record<string, string | undefined> = { api: config.api.image, ws: config.ws.image, worker: config.workers.image };
        for (const service of ["api", "ws", "worker"]) {
            if (!(service in builds) && given[service] === undefined) {
                builds[service] = { context: "app" };
            }
        }
    }
    return builds;
}

function poolsForService(service: string, pools: PlatformConfig["nodePools"]): string[] {
    const wanted = service === "worker" ? "spot" : "on-demand";
    return Object.keys(pools).filter((p) => pools[p].capacityType === wanted);
}

function platformFor(service: string, config: PlatformConfig): ImagePlatform | undefined {
    const types = [...new Set(poolsForService(service, config.nodePools).flatMap((p) => config.nodePools[p].instanceTypes))];
    return platformForInstanceTypes(types);
}
