/**
 * Stage data: the PostgreSQL database (primary region writer, same-region replicas, one cross-region
 * replica per configured secondary region, RDS Proxy in front of the writer, private `db.internal` names
 * in every region) and one ElastiCache component per region with a replication group per cache purpose.
 *
 * Only the cluster nodes may connect: every data store's security group admits the region's node security
 * group from the compute stage; the RDS Proxy also admits the private subnets of the secondary regions peered
 * with the primary (their writes go to it), and nothing else.
 *
 * The seeds' PgBouncer limit of 1000 client connections needs no setting: RDS Proxy accepts far more
 * client connections than that and multiplexes them onto at most `database.pooling.maxConnectionsPercent`
 * of `max_connections` server connections.
 */
import { Cache, MaxmemoryPolicy } from "../components/cache";
import { Database, DatabaseRegion } from "../components/database";
import { wireBackup } from "./backup";
import { PlatformConfig } from "./config";
import { ComputeRegion, DataRegion, PeeringRegion } from "./contracts";
import type { RegionContext } from "./program";

function nodeSecurityGroup(compute: ReadonlyMap<string, ComputeRegion>, region: string): { nodes: ComputeRegion["nodeSecurityGroupId"] } {
    const c = compute.get(region);
    if (!c) {
        throw new Error(`wireData: no compute stage for region ${region}; wire compute (platform/compute.ts) before data`);
    }
    return { nodes: c.nodeSecurityGroupId };
}

/**
 * Builds the data stores and returns what each region's workloads and alarms need, keyed by region.
 * `peering` (platform/peering.ts) lists the secondary regions peered with the primary: the RDS Proxy admits
 * their private subnet CIDRs, since their node security groups cannot be referenced across regions.
 */
export function wireData(
    config: PlatformConfig,
    regions: readonly RegionContext[],
    compute: ReadonlyMap<string, ComputeRegion>,
    peering: ReadonlyMap<string, PeeringRegion> = new Map(),
): Map<string, DataRegion> {
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const others = regions.filter((r) => r !== primary);
    const tags = { ...config.tags };
    const db = config.database;

    const otherRegions: Record<string, DatabaseRegion> = Object.fromEntries(others.map((ctx) => [ctx.region.name, {
        provider: ctx.provider,
        vpcId: ctx.network.vpcId,
        subnetIds: ctx.network.privateSubnetIds,
        allowedSecurityGroupIds: nodeSecurityGroup(compute, ctx.region.name),
    }]));

    const database = new Database(`${primary.prefix}-db`, {
        region: primary.region.name,
        instanceClass: db.instanceClass,
        memoryGiB: db.memoryGiB,
        engineVersion: db.engineVersion,
        allocatedStorageGiB: db.allocatedStorageGiB,
        maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
        maxConnections: db.maxConnections,
        iamAuthentication: db.iamAuthentication,
        multiAz: db.multiAz,
        crossRegionReplicaMultiAz: db.crossRegionReplicaMultiAz,
        logRetentionDays: db.logRetentionDays,
        identifiers: db.instanceIdentifiers,
        backupRetentionDays: db.backupRetentionDays,
        protectData: config.protectData,
        readReplicas: db.readReplicas,
        crossRegionReplicas: db.crossRegionReplicas,
        pooling: { enabled: true, maxConnectionsPercent: db.pooling.maxConnectionsPercent },
        vpcId: primary.network.vpcId,
        subnetIds: primary.network.privateSubnetIds,
        allowedSecurityGroupIds: nodeSecurityGroup(compute, primary.region.name),
        allowedCidrBlocks: Object.fromEntries([...peering.values()].flatMap((p) => Object.entries(p.clientCidrBlocks))),
        regions: otherRegions,
        // seeds1 (issue 18): `failover.activeRegion` promotes that region's replica (components/database.ts).
        activeRegion: config.failover.activeRegion,
        tags,
    }, { provider: primary.provider });
    // seeds1 (issue 18): AWS Backup plan for the primary, copied to the secondary region (platform/backup.ts).
    wireBackup(config, primary, regions, database);

    const out = new Map<string, DataRegion>();
    for (const ctx of regions) {
        const region = ctx.region.name;
        const cache = new Cache(`${ctx.prefix}-cache`, {
            vpcId: ctx.network.vpcId,
            subnetIds: ctx.network.privateSubnetIds,
            allowedSecurityGroupIds: nodeSecurityGroup(compute, region),
            engine: config.cache.engine,
            engineVersion: config.cache.engineVersion,
            purposes: Object.fromEntries(Object.entries(config.cache.purposes).map(([purpose, p]) => [purpose, {
                shards: p.shards,
                replicasPerShard: p.replicasPerShard,
                nodeType: p.nodeType,
                // The config schema admits only policies the component knows.
                maxmemoryPolicy: p.maxmemoryPolicy as MaxmemoryPolicy,
                snapshotRetentionDays: p.snapshotRetentionDays,
            }])),
            protectData: config.protectData,
            tags,
        }, { provider: ctx.provider });

        out.set(region, {
            writerEndpoint: database.endpoints[region].writer,
            readerEndpoint: database.endpoints[region].reader,
            databaseName: database.databaseName,
            databaseUser: database.username,
            databasePassword: database.password,
            cacheUrls: cache.urls,
            databaseInstanceIds: ctx === primary ? [database.instanceId] : [],
            replicaInstanceIds: database.replicaIds[region] ?? [],
            cacheReplicationGroupIds: cache.replicationGroupIds,
            maxConnections: database.maxConnections,
        });
    }
    return out;
}
