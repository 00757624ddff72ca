/**
 * Sizing presets per tier, after the "Resource Requirements" table of seed 003
 * (small / medium / large / enterprise). The table sizes *servers*; on Kubernetes a
 * server becomes a pod, so its CPU/GB column sets the pod limits and the request is
 * half of it (seed 000's dashboard ran 250m/128Mi requested, 500m/256Mi limit, which is
 * the small tier here). Every value can be overridden from stack config.
 */

export const TIERS = ["small", "medium", "large", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

export interface ResourceSpec {
    readonly cpu: string;
    readonly memory: string;
}

export interface ContainerResources {
    readonly requests: ResourceSpec;
    readonly limits: ResourceSpec;
}

export interface ServiceSizing {
    /** HPA floor and the Deployment's initial replica count. */
    readonly minReplicas: number;
    /** HPA ceiling. */
    readonly maxReplicas: number;
    readonly resources: ContainerResources;
}

export interface NodePoolSizing {
    /** "on-demand" pools carry api/ws; "spot" pools carry queue workers only. */
    readonly capacityType: "on-demand" | "spot";
    readonly instanceTypes: readonly string[];
    readonly minSize: number;
    readonly maxSize: number;
    readonly desiredSize: number;
    readonly diskSizeGiB: number;
}

export interface DatabaseSizing {
    readonly instanceClass: string;
    /** Memory of `instanceClass` in GiB; drives shared_buffers (25 % of RAM). */
    readonly memoryGiB: number;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    /** Same-region read replicas. */
    readonly readReplicas: number;
    readonly multiAz: boolean;
    /** Seeds 001/003: 150-200. */
    readonly maxConnections: number;
}

export interface CacheSizing {
    readonly nodeType: string;
    /** Node groups (shards) of the `cache` purpose. */
    readonly shards: number;
    readonly replicasPerShard: number;
}

export interface TierPreset {
    readonly api: ServiceSizing;
    readonly ws: ServiceSizing;
    readonly workerResources: ContainerResources;
    readonly nodePools: Readonly<Record<string, NodePoolSizing>>;
    readonly database: DatabaseSizing;
    readonly cache: CacheSizing;
}

const res = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ContainerResources => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

/** Spot pools mix at least three instance types of the same size (seed 000, issue 3). */
const SPOT_LARGE = ["m7i.large", "m6i.large", "m6a.large", "m5.large"];
const SPOT_XLARGE = ["m7i.xlarge", "m6i.xlarge", "m6a.xlarge", "m5.xlarge"];
const SPOT_2XLARGE = ["m7i.2xlarge", "m6i.2xlarge", "m6a.2xlarge", "m5.2xlarge"];

export const TIER_PRESETS: Readonly<Record<Tier, TierPreset>> = {
    small: {
        api: { minReplicas: 2, maxReplicas: 10, resources: res("250m", "128Mi", "500m", "256Mi") },
        ws: { minReplicas: 2, maxReplicas: 10, resources: res("250m", "128Mi", "500m", "256Mi") },
        workerResources: res("250m", "256Mi", "500m", "512Mi"),
        nodePools: {
            general: { capacityType: "on-demand", instanceTypes: ["m7i.large"], minSize: 2, maxSize: 4, desiredSize: 2, diskSizeGiB: 50 },
            workers: { capacityType: "spot", instanceTypes: SPOT_LARGE, minSize: 0, maxSize: 3, desiredSize: 1, diskSizeGiB: 50 },
        },
        database: {
            instanceClass: "db.t4g.medium", memoryGiB: 4, allocatedStorageGiB: 20, maxAllocatedStorageGiB: 100,
            readReplicas: 0, multiAz: false, maxConnections: 150,
        },
        cache: { nodeType: "cache.t4g.small", shards: 1, replicasPerShard: 1 },
    },
    medium: {
        api: { minReplicas: 2, maxReplicas: 10, resources: res("500m", "512Mi", "1", "1Gi") },
        ws: { minReplicas: 2, maxReplicas: 10, resources: res("500m", "512Mi", "1", "1Gi") },
        workerResources: res("500m", "512Mi", "1", "1Gi"),
        nodePools: {
            general: { capacityType: "on-demand", instanceTypes: ["m7i.xlarge"], minSize: 2, maxSize: 6, desiredSize: 3, diskSizeGiB: 50 },
            workers: { capacityType: "spot", instanceTypes: SPOT_LARGE, minSize: 0, maxSize: 6, desiredSize: 2, diskSizeGiB: 50 },
        },
        database: {
            instanceClass: "db.m7g.xlarge", memoryGiB: 16, allocatedStorageGiB: 100, maxAllocatedStorageGiB: 500,
            readReplicas: 1, multiAz: true, maxConnections: 150,
        },
        cache: { nodeType: "cache.m7g.large", shards: 1, replicasPerShard: 1 },
    },
    large: {
        api: { minReplicas: 3, maxReplicas: 20, resources: res("1", "1Gi", "2", "2Gi") },
        ws: { minReplicas: 3, maxReplicas: 20, resources: res("1", "1Gi", "2", "2Gi") },
        workerResources: res("500m", "1Gi", "1", "2Gi"),
        nodePools: {
            general: { capacityType: "on-demand", instanceTypes: ["m7i.2xlarge"], minSize: 3, maxSize: 12, desiredSize: 3, diskSizeGiB: 100 },
            workers: { capacityType: "spot", instanceTypes: SPOT_XLARGE, minSize: 0, maxSize: 10, desiredSize: 3, diskSizeGiB: 100 },
        },
        database: {
            instanceClass: "db.m7g.2xlarge", memoryGiB: 32, allocatedStorageGiB: 200, maxAllocatedStorageGiB: 1000,
            readReplicas: 2, multiAz: true, maxConnections: 200,
        },
        cache: { nodeType: "cache.m7g.xlarge", shards: 3, replicasPerShard: 1 },
    },
    enterprise: {
        api: { minReplicas: 10, maxReplicas: 20, resources: res("2", "2Gi", "4", "4Gi") },
        ws: { minReplicas: 10, maxReplicas: 20, resources: res("2", "2Gi", "4", "4Gi") },
        workerResources: res("1", "1Gi", "2", "2Gi"),
        nodePools: {
            general: { capacityType: "on-demand", instanceTypes: ["m7i.4xlarge"], minSize: 3, maxSize: 30, desiredSize: 6, diskSizeGiB: 100 },
            workers: { capacityType: "spot", instanceTypes: SPOT_2XLARGE, minSize: 0, maxSize: 30, desiredSize: 5, diskSizeGiB: 100 },
        },
        database: {
            instanceClass: "db.m7g.4xlarge", memoryGiB: 64, allocatedStorageGiB: 500, maxAllocatedStorageGiB: 4000,
            readReplicas: 3, multiAz: true, maxConnections: 200,
        },
        cache: { nodeType: "cache.r7g.xlarge", shards: 6, replicasPerShard: 2 },
    },
};
