/**
 * Stage data: the PostgreSQL database (primary region writer, same-region replicas, one cross-region
 * replica per configured secondary region, RDS Proxy in front of the writer, private `db.internal` names
 * in every region) and one ElastiCache component per region with a replication group per cache purpose.
 *
 * Only the cluster nodes may connect: every data store's security group admits the region's node security
 * group from the compute stage; the RDS Proxy also admits the private subnets of the secondary regions peered
 * with the primary (their writes go to it), and nothing else.
 *
 * Credentials: the database's master password stays in Secrets Manager (read only by the bootstrap Job in the primary
 * region's cluster); the application logs in as its own role with IAM tokens. Each region's cache auth tokens are
 * written to that region's Secrets Manager (`<project>/<environment>/cache-<purpose>`), which External Secrets Operator
 * reads into per-workload Kubernetes Secrets. The stack-wide Pod Identity roles (ESO, the api's database access, the
 * bootstrap Job) are created here, once: IAM is global.
 *
 * The seeds' PgBouncer limit of 1000 client connections needs no setting: RDS Proxy accepts far more
 * client connections than that and multiplexes them onto at most `database.pooling.maxConnectionsPercent`
 * of `max_connections` server connections.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Cache, MaxmemoryPolicy } from "../components/cache";
import { Database, DatabaseRegion } from "../components/database";
import { databaseBootstrapPolicy, databaseConnectPolicy } from "../components/database-bootstrap";
import { externalSecretsPolicy, secretArnPattern } from "../components/external-secrets";
import { PodIdentityRole } from "../components/pod-identity";
import type { AppWorkload } from "./identity";
import { wireBackup } from "./backup";
import { PlatformConfig } from "./config";
import { ComputeRegion, DataIdentity, DataRegion, PeeringRegion } from "./contracts";
import type { RegionContext } from "./program";
import { redisConnection } from "./workloads";

/** Name prefix of every Secrets Manager secret the stack creates, `<project>/<environment>/`; the ESO role reads only these. */
export function stackSecretPrefix(config: PlatformConfig): string {
    return `${config.project}/${config.environment}/`;
}

/** The JSON a cache purpose's secret holds: the URL the apps read and the pieces KEDA's redis scaler wants. */
export function cacheSecretValue(url: string): string {
    const c = redisConnection(url);
    return JSON.stringify({ url, address: c.address, password: c.password });
}

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
    appRoles?: Readonly<Record<AppWorkload, PodIdentityRole>>,
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
        masterPassword: db.masterPassword,
        appUsername: db.appUsername,
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

    // Stack-wide roles (IAM is global); each region's workloads stage associates them in its cluster.
    // arn:<partition>:rds:<region>:<account>:db:<id> gives the partition and account without an extra lookup.
    const arnParts = database.instanceArn.apply((arn) => {
        const [, partition, , , account] = arn.split(":");
        return { partition, account };
    });
    const secretPrefix = stackSecretPrefix(config);
    const identity: DataIdentity = {
        externalSecrets: new PodIdentityRole(`${primary.prefix}-external-secrets`, {
            description: `External Secrets Operator of ${config.project}/${config.environment}: reads the stack's secrets (${secretPrefix}*) in every region`,
            policy: arnParts.apply((a) => externalSecretsPolicy([secretArnPattern(a.partition, a.account, secretPrefix)])),
            sourceAccount: arnParts.account,
            tags,
        }, { provider: primary.provider }),
    };
    // The api's stack role (platform/identity.ts, bound to the api service account in every cluster) may connect as
    // the application role through the proxy and on the replicas: rds-db:connect on those resources only.
    if (appRoles) {
        new aws.iam.RolePolicy(`${primary.prefix}-api-db-connect`, {
            role: appRoles.api.role.id,
            policy: database.clientConnectArns.apply((arns) => JSON.stringify(databaseConnectPolicy(arns))),
        }, { provider: primary.provider, parent: appRoles.api });
    }
    const bootstrapRole = new PodIdentityRole(`${primary.prefix}-db-bootstrap`, {
        description: `${config.project}/${config.environment} database bootstrap Job: reads the master secret to create the application role`,
        policy: pulumi.all([database.secretArn, database.kmsKeyArns[primary.region.name]]).apply(([secretArn, keyArn]) =>
            databaseBootstrapPolicy(secretArn, keyArn, primary.region.name)),
        sourceAccount: arnParts.account,
        tags,
    }, { provider: primary.provider });

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

        // One secret per purpose in this region's Secrets Manager (AWS managed key `aws/secretsmanager`, so the ESO role
        // needs no KMS grant). No recovery window: the token is the cache's, recreated with it, and a deleted name would
        // otherwise stay reserved for up to 30 days.
        const cacheSecretNames: Record<string, pulumi.Output<string>> = {};
        const cacheTls: Record<string, pulumi.Output<boolean>> = {};
        for (const [purpose, url] of Object.entries(cache.urls)) {
            const secret = new aws.secretsmanager.Secret(`${ctx.prefix}-cache-${purpose}`, {
                name: `${secretPrefix}cache-${purpose}`,
                description: `${config.project}/${config.environment}: ${purpose} store of ${region} (url, address, password), read by External Secrets Operator`,
                recoveryWindowInDays: 0,
                tags,
            }, { provider: ctx.provider, parent: cache });
            const version = new aws.secretsmanager.SecretVersion(`${ctx.prefix}-cache-${purpose}`, {
                secretId: secret.id,
                secretString: pulumi.secret(url.apply(cacheSecretValue)),
            }, { provider: ctx.provider, parent: cache });
            // The name resolves once the value is in: an ExternalSecret created from it never reads an empty secret.
            cacheSecretNames[purpose] = pulumi.all([secret.name, version.versionId]).apply(([n]) => n);
            cacheTls[purpose] = pulumi.unsecret(url.apply((u) => redisConnection(u).tls));
        }

        out.set(region, {
            writerEndpoint: database.endpoints[region].writer,
            readerEndpoint: database.endpoints[region].reader,
            databaseName: database.databaseName,
            databaseUser: database.appUsername,
            cacheSecretNames,
            cacheTls,
            identity,
            ...(ctx === primary ? { bootstrap: { role: bootstrapRole, masterSecretArn: database.secretArn, primaryAddress: database.primaryAddress } } : {}),
            databaseInstanceIds: ctx === primary ? [database.instanceId] : [],
            replicaInstanceIds: database.replicaIds[region] ?? [],
            cacheReplicationGroupIds: cache.replicationGroupIds,
            maxConnections: database.maxConnections,
        });
    }
    return out;
}
