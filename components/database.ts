/**
 * PostgreSQL on Amazon RDS: one writer in the primary region, read replicas in the same region and one
 * cross-region replica per chosen secondary region, RDS Proxy as the connection pooler in front of the
 * writer, and a private DNS zone per region (`reader.db.internal`, `writer.db.internal`).
 *
 * ## Credentials: the master user stays in Secrets Manager, the application has its own role and no password
 * - Master user, `masterPassword: "generated"` (default): a `random.RandomPassword` (a Pulumi secret, encrypted in the
 *   state) stored in a Secrets Manager secret encrypted with the database's customer KMS key and replicated to every
 *   region that holds a cross-region replica (so a promoted replica still has its credentials at hand).
 *   `masterPassword: "managed"`: RDS generates the password, keeps it in a Secrets Manager secret it owns (encrypted
 *   with the same key) and rotates it every 7 days; it never enters the program or the state. RDS does not allow it
 *   on a source of read replicas ("Managing master user passwords with Secrets Manager isn't supported for [...]
 *   creating a read replica when the source DB [...] manages credentials with Secrets Manager", RDS User Guide,
 *   "Password management with Amazon RDS and AWS Secrets Manager", Limitations), so it is refused with replicas.
 *   Either way the master password is never handed to workloads or Kubernetes: only the in-cluster bootstrap Job
 *   (`DatabaseBootstrap`) reads the secret, at run time, through its own Pod Identity role.
 * - Application role (`appUsername`, default `app`): a login role with `rds_iam` and no password, created by the
 *   bootstrap Job. Clients present an IAM authentication token (a SigV4-presigned `connect` request, valid 15 minutes,
 *   `rds-db:connect` on the role's `dbuser` ARN). Writes go through RDS Proxy with end-to-end IAM authentication
 *   (`defaultAuthScheme: "IAM_AUTH"`): the proxy checks the client's token and itself logs in to the database with IAM
 *   as the same user (its role holds `rds-db:connect` on the primary's `dbuser:<resource id>/<app user>`), so no
 *   secret holds an application password (RDS User Guide, "Connecting to a database through RDS Proxy", "Migrating
 *   from standard IAM authentication to end-to-end IAM authentication"). Reads go straight to the replicas with a
 *   token signed for the instance endpoint. `clientConnectArns` lists every `dbuser` ARN a client role needs.
 * - Limits: IAM authentication is meant for fewer than about 200 new connections per second (RDS User Guide, "IAM
 *   database authentication"), so clients pool connections; a managed master secret lives in the primary region
 *   only; a generated one is rotated by replacing the `RandomPassword` (`pulumi up --replace <its URN>`), which updates
 *   the instance and the secret together (no rotation Lambda is deployed).
 *
 * ## Connection pooling: RDS Proxy rather than PgBouncer
 * The seeds run PgBouncer in transaction mode (1000 clients, pools of 20-25 server connections, 150-200
 * `max_connections`). RDS Proxy gives the same shape: it multiplexes many client connections onto a pool
 * capped at `maxConnectionsPercent` of `max_connections`, reusing a server connection between
 * transactions. It was chosen over PgBouncer pods because it needs no pods, images or PodDisruptionBudgets
 * on the cluster, it spans the subnets of every AZ, it holds client connections open during a Multi-AZ
 * failover and reconnects to the new writer itself (failover is noticeably faster for clients than DNS
 * propagation of the instance endpoint), it enforces TLS, and it reads credentials from Secrets Manager
 * instead of a userlist in a ConfigMap. Its limits: session state (`SET`, prepared statements at the SQL
 * level, advisory locks) pins a client to a server connection, as PgBouncer's transaction mode forbids it
 * outright; and it proxies the writer only (RDS Proxy read-only endpoints exist for Aurora, not for
 * RDS instances), which is why reads go through the private DNS reader record instead.
 *
 * ## Reader endpoint
 * Each region of the stack gets a private Route53 zone (default `db.internal`) associated with its VPC:
 * `reader.<zone>` is a set of weighted CNAMEs (equal weights, 10 s TTL, each health-checked on its replica's
 * lag alarm; a plain CNAME when there is one target) over the region's replicas (the
 * primary region: its same-region replicas, or the writer when it has none; a secondary region: its
 * cross-region replica, else the primary's readers), and `writer.<zone>` points at the pooler. TLS to
 * `reader.<zone>` works with `sslmode=require`/`verify-ca`; the server certificate names the instance
 * endpoint, so `verify-full` needs the instance address (`readerAddresses`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { parseCidr } from "./network";
import { CLOUDWATCH_RETENTION_DAYS, DNS_LABEL, DNS_NAME, Problems, show } from "./validation";

// ---------------------------------------------------------------------------------------------
// Defaults (named once, applied once with ??).
// ---------------------------------------------------------------------------------------------

export const DEFAULT_POSTGRES_VERSION = "17";
export const DEFAULT_DATABASE_NAME = "app";
export const DEFAULT_MASTER_USERNAME = "app_admin";
/** The application's own login role (IAM authentication, no password); created by `DatabaseBootstrap`. */
export const DEFAULT_APP_USERNAME = "app";
/** Who generates the master password: the program (`RandomPassword`) or RDS (`manageMasterUserPassword`). */
export type MasterPasswordSource = "generated" | "managed";
export const DEFAULT_MASTER_PASSWORD: MasterPasswordSource = "generated";
export const DEFAULT_ALLOCATED_STORAGE_GIB = 20;
/** Storage autoscaling ceiling when none is given: five times the allocated storage. */
export const DEFAULT_STORAGE_AUTOSCALING_FACTOR = 5;
/** Seed 003's PgBouncer sat in front of `max_connections = 150`. */
export const DEFAULT_MAX_CONNECTIONS = 150;
export const DEFAULT_BACKUP_RETENTION_DAYS = 7;
export const DEFAULT_MONITORING_INTERVAL_SECONDS = 60;
/** Seven days of Performance Insights history is the free tier. */
export const DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;
export const DEFAULT_WORK_MEM_MB = 64;
export const DEFAULT_MAINTENANCE_WORK_MEM_MB = 256;
export const DEFAULT_MAX_PARALLEL_WORKERS_PER_GATHER = 4;
export const DEFAULT_MAX_PARALLEL_WORKERS = 8;
/** Statements slower than this are logged (ms); the seeds' p95 target is 300-500 ms. */
export const DEFAULT_LOG_MIN_DURATION_MS = 500;
export const DEFAULT_POOL_MAX_CONNECTIONS_PERCENT = 90;
export const DEFAULT_POOL_MAX_IDLE_CONNECTIONS_PERCENT = 50;
export const DEFAULT_POOL_IDLE_CLIENT_TIMEOUT_SECONDS = 1800;
export const DEFAULT_POOL_BORROW_TIMEOUT_SECONDS = 120;
export const DEFAULT_PRIVATE_ZONE = "db.internal";
export const DEFAULT_BACKUP_WINDOW = "03:00-04:00";
export const DEFAULT_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30";
export const POSTGRES_PORT = 5432;
export const READER_RECORD_TTL_SECONDS = 10;
/**
 * A replica lagging more than this (or sending no lag metric: stopped, failed) drops out of the
 * weighted `reader.<zone>` set. Route53 cannot probe private endpoints, so each reader record carries
 * a CLOUDWATCH_METRIC health check on an alarm over the replica's `ReplicaLag`.
 */
export const READER_MAX_LAG_SECONDS = 30;
/** RDS for PostgreSQL allows up to 15 read replicas per source instance. */
export const MAX_READ_REPLICAS = 15;
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;
/**
 * Days CloudWatch Logs keeps the exported PostgreSQL logs. RDS creates `/aws/rds/instance/<id>/<log>` without
 * retention (kept forever, billed forever) unless the group already exists, so the component creates each
 * group first with this retention (RDS User Guide, "Publishing PostgreSQL logs to Amazon CloudWatch Logs";
 * the same pattern as terraform-aws-modules/terraform-aws-rds `aws_cloudwatch_log_group.this`).
 */
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/**
 * A cross-region replica is a DR copy that serves reads while the primary lives; single-AZ halves its cost.
 * After a promotion it can be made Multi-AZ with one config change (`crossRegionReplicaMultiAz`).
 */
export const DEFAULT_CROSS_REGION_REPLICA_MULTI_AZ = false;
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;
/** RDS DB instance identifiers: 1-63 letters, digits or hyphens, a letter first, no `--`, no trailing `-`; stored lower-case. */
const RDS_IDENTIFIER_MAX = 63;
const RDS_IDENTIFIER = /^[a-z](-?[a-z0-9])*$/;
const ENHANCED_MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

// ---------------------------------------------------------------------------------------------
// Args.
// ---------------------------------------------------------------------------------------------

/**
 * What the primary and every replica share (CONVENTIONS #7): a replica is configured from these same props,
 * so it can take over the primary's load after a promotion.
 */
export interface DatabaseInstanceProps {
    /** RDS instance class, e.g. `db.m7g.2xlarge`. */
    readonly instanceClass: string;
    /** Memory of `instanceClass` in GiB; sizes `shared_buffers` (25 %). */
    readonly memoryGiB: number;
    /** PostgreSQL major (`"17"`) or major.minor. @default "17" */
    readonly engineVersion?: string;
    /** gp3 storage at creation. @default 20 */
    readonly allocatedStorageGiB?: number;
    /** Storage autoscaling ceiling. @default 5 x allocatedStorageGiB */
    readonly maxAllocatedStorageGiB?: number;
    /** `max_connections` (seeds 001/003: 150-200). @default 150 */
    readonly maxConnections?: number;
    /** Extra or overriding PostgreSQL parameters, by name (values as RDS expects them, e.g. kB for memory). @default {} */
    readonly parameters?: Readonly<Record<string, string>>;
    /** Performance Insights, encrypted with the region's key. @default true */
    readonly performanceInsights?: boolean;
    /** Enhanced monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 seconds. @default 60 */
    readonly monitoringIntervalSeconds?: number;
    /**
     * IAM database authentication on every instance. Must stay on: the application role authenticates with IAM
     * tokens only. @default true
     */
    readonly iamAuthentication?: boolean;
}

/** Where the database lives in one region and who may connect to it. */
export interface DatabaseNetwork {
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets (at least two AZs) for the DB subnet group and the proxy. */
    readonly subnetIds: pulumi.Input<string>[];
    /**
     * Security groups allowed to connect on 5432, keyed by a stable name (e.g. `{ nodes: sg-... }`);
     * nothing else is.
     */
    readonly allowedSecurityGroupIds: Readonly<Record<string, pulumi.Input<string>>>;
}

/** Another region of the stack: its provider and network. */
export interface DatabaseRegion extends DatabaseNetwork {
    /** The region's explicit provider; everything created there goes through it. */
    readonly provider: aws.Provider;
}

export interface PoolingArgs {
    /** Create an RDS Proxy in front of the writer. @default true */
    readonly enabled?: boolean;
    /** Share of `max_connections` the proxy may open. @default 90 */
    readonly maxConnectionsPercent?: number;
    /** Idle server connections the proxy keeps, as a share of `max_connections`. @default 50 */
    readonly maxIdleConnectionsPercent?: number;
    /** Seconds before an idle client connection is closed. @default 1800 */
    readonly idleClientTimeoutSeconds?: number;
}

export interface DatabaseArgs extends DatabaseInstanceProps, DatabaseNetwork {
    /** Name of the primary region (the provider in `opts` must point there), e.g. `us-east-1`. */
    readonly region: string;
    /** Database created on the primary. @default "app" */
    readonly databaseName?: string;
    /** Master user name (its password is managed by RDS in Secrets Manager). @default "app_admin" */
    readonly masterUsername?: string;
    /** The application's login role (IAM authentication through the proxy and on the replicas). @default "app" */
    readonly appUsername?: string;
    /**
     * `"generated"`: a random password kept in a Secrets Manager secret (replicated to the DR regions);
     * `"managed"`: RDS manages and rotates it (`manageMasterUserPassword`), only without read replicas (RDS refuses
     * replicas of such a source). Neither is ever copied into Kubernetes.
     * @default "generated"
     */
    readonly masterPassword?: MasterPasswordSource;
    /** Multi-AZ standby for the primary. @default true */
    readonly multiAz?: boolean;
    /**
     * Multi-AZ for the cross-region (DR) replicas. Off by default: a replica's standby doubles its instance and
     * storage cost while it only serves reads; turn it on before (or right after) promoting one.
     * @default false
     */
    readonly crossRegionReplicaMultiAz?: boolean;
    /**
     * Retention of the exported PostgreSQL logs (`postgresql`, `upgrade`), one of the periods CloudWatch Logs
     * accepts. Their log groups are created before the instances so RDS publishes into them.
     * @default 30
     */
    readonly logRetentionDays?: number;
    /**
     * RDS instance identifiers by instance key (`primary`, `replica-1`..`replica-N`, `replica-<region>`), for
     * instances that must keep an identifier they already have (e.g. one Pulumi auto-named before identifiers
     * were explicit; changing an identifier replaces the instance). Unlisted keys get `<name>-<key>`.
     * @default {}
     */
    readonly identifiers?: Readonly<Record<string, string>>;
    /** Automated backup retention, 0-35 days (replicas need > 0). @default 7 */
    readonly backupRetentionDays?: number;
    /**
     * Deletion protection, a final snapshot and Pulumi `protect` on the primary. Turning it off must be
     * asked for by name.
     * @default true
     */
    readonly protectData?: boolean;
    /** Read replicas in the primary region, named `<name>-replica-1..N`. @default 0 */
    readonly readReplicas?: number;
    /**
     * The stack's other regions, keyed by region name. Each gets the private DB zone; those listed in
     * `crossRegionReplicas` also get a replica, a KMS key, a subnet group and a security group there.
     * @default {}
     */
    readonly regions?: Readonly<Record<string, DatabaseRegion>>;
    /** Regions (keys of `regions`) that get a cross-region replica. @default every key of `regions` */
    readonly crossRegionReplicas?: readonly string[];
    /** RDS Proxy settings. @default { enabled: true } */
    readonly pooling?: PoolingArgs;
    /** Private hosted zone created in every region for the reader/writer records. @default "db.internal" */
    readonly privateZoneName?: string;
    /**
     * Private IPv4 CIDRs allowed on 5432 to the writer's front door (the RDS Proxy's security group, or the
     * primary's when pooling is off), keyed by a stable name that ends up in the rule's name (e.g. the AZ:
     * `{ "us-west-2a": "10.20.0.0/19" }`). For clients in peered VPCs of other regions, whose security groups
     * cannot be referenced across regions; list their private subnets, not whole VPCs, where you can.
     * @default {}
     */
    readonly allowedCidrBlocks?: Readonly<Record<string, string>>;
    /**
     * Regional failover: the region whose instance is the writer. `region` (the default) is normal operation.
     * Another region must hold a cross-region replica (`crossRegionReplicas`); naming it promotes that replica in
     * place (its `replicateSourceDb` is dropped, which the provider turns into PromoteReadReplica) and makes it
     * Multi-AZ with automated backups, deletion protection and a final snapshot; an RDS Proxy (with its own
     * credentials secret) is created in that region in front of it, and every region's `writer.<zone>` record and
     * writer endpoint point at that proxy. The old primary, its proxy, secret, same-region replicas and other
     * regions' replicas keep their inputs, so Pulumi neither updates nor replaces them (they may sit in the failed
     * region). Transactions the old primary committed after the last one the replica replayed are not in the
     * promoted database; they stay on the old primary's storage.
     * @default region
     */
    readonly activeRegion?: string;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers.
// ---------------------------------------------------------------------------------------------

export type ApplyMethod = "immediate" | "pending-reboot";

export interface PostgresParameter {
    readonly value: string;
    readonly applyMethod: ApplyMethod;
}

export interface PostgresSizing {
    readonly memoryGiB: number;
    readonly maxConnections: number;
    /** @default 64 */
    readonly workMemMB?: number;
    /** @default 256 */
    readonly maintenanceWorkMemMB?: number;
    /** @default 500 */
    readonly logMinDurationMs?: number;
    /** Extra or overriding parameters. @default {} */
    readonly overrides?: Readonly<Record<string, string>>;
}

/**
 * Parameters PostgreSQL reads only at start-up (context `postmaster`); RDS refuses to apply them
 * `immediate`, so they go `pending-reboot` and take effect at the next reboot or maintenance.
 */
export const STATIC_POSTGRES_PARAMETERS: ReadonlySet<string> = new Set([
    "shared_buffers", "max_connections", "max_worker_processes", "max_wal_senders", "max_replication_slots",
    "max_locks_per_transaction", "max_prepared_transactions", "shared_preload_libraries", "wal_buffers",
    "huge_pages", "track_activity_query_size", "max_pred_locks_per_transaction", "autovacuum_max_workers",
]);

/** PostgreSQL's buffer page size: `shared_buffers` is set in 8 kB pages on RDS. */
export const POSTGRES_PAGE_BYTES = 8192;
/** Share of RAM given to `shared_buffers` (seed 001: "25 % of RAM"). */
export const SHARED_BUFFERS_RAM_SHARE = 0.25;

/**
 * `shared_buffers` in 8 kB pages for an instance with `memoryGiB` of RAM:
 * `floor(memoryGiB x 2^30 bytes x 0.25 / 8192 bytes per page)`, i.e. `memoryGiB x 32768` pages.
 * (RDS's own default `{DBInstanceClassMemory/32768}` is the same 25 %, but of the memory left after the OS
 * reserve; computing it from the nominal size keeps the value visible in previews and tests.)
 * 32 GiB -> 1,048,576 pages = 8 GiB.
 */
export function sharedBuffersPages(memoryGiB: number): number {
    return Math.floor((memoryGiB * 2 ** 30 * SHARED_BUFFERS_RAM_SHARE) / POSTGRES_PAGE_BYTES);
}

function param(name: string, value: string | number): [string, PostgresParameter] {
    return [name, { value: String(value), applyMethod: STATIC_POSTGRES_PARAMETERS.has(name) ? "pending-reboot" : "immediate" }];
}

/**
 * The parameter group's contents (seeds 001/003): `max_connections`, `shared_buffers` (25 % of RAM),
 * `work_mem` 64MB and `maintenance_work_mem` 256MB (RDS takes kB), parallel workers 4 per gather / 8 in
 * all, slow statements logged from 500 ms, TLS forced. Static parameters apply `pending-reboot`.
 */
export function postgresParameters(sizing: PostgresSizing): Record<string, PostgresParameter> {
    const base: [string, PostgresParameter][] = [
        param("max_connections", sizing.maxConnections),
        param("shared_buffers", sharedBuffersPages(sizing.memoryGiB)),
        param("work_mem", (sizing.workMemMB ?? DEFAULT_WORK_MEM_MB) * 1024),
        param("maintenance_work_mem", (sizing.maintenanceWorkMemMB ?? DEFAULT_MAINTENANCE_WORK_MEM_MB) * 1024),
        param("max_parallel_workers_per_gather", DEFAULT_MAX_PARALLEL_WORKERS_PER_GATHER),
        param("max_parallel_workers", DEFAULT_MAX_PARALLEL_WORKERS),
        param("log_min_duration_statement", sizing.logMinDurationMs ?? DEFAULT_LOG_MIN_DURATION_MS),
        param("rds.force_ssl", 1),
    ];
    const overrides = Object.entries(sizing.overrides ?? {}).map(([k, v]) => param(k, v));
    return Object.fromEntries([...base, ...overrides]);
}

/** Parameter group family for a PostgreSQL version: `"17"` / `"17.4"` -> `postgres17`. */
export function parameterGroupFamily(engineVersion: string): string {
    return `postgres${engineVersion.split(".")[0]}`;
}

/** Stable keys of the same-region replicas: `replica-1` .. `replica-N`. */
export function sameRegionReplicaKeys(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `replica-${i + 1}`);
}

/**
 * The instance's RDS identifier: `<name>-<key>` (e.g. `prod-use1-db-primary`, `prod-use1-db-replica-us-west-2`)
 * unless `overrides` names one. Explicit, not auto-named: the CloudWatch log groups must exist, under this
 * identifier, before the instance does.
 */
export function instanceIdentifier(name: string, key: string, overrides: Readonly<Record<string, string>> = {}): string {
    return overrides[key] ?? `${name}-${key}`;
}

/** CloudWatch log group RDS publishes `log` of instance `identifier` to: `/aws/rds/instance/<identifier>/<log>`. */
export function rdsLogGroupName(identifier: string, log: string): string {
    return `/aws/rds/instance/${identifier}/${log}`;
}

/**
 * Which instances `reader.<zone>` resolves to in `region`: `replica-<k>` keys of the same-region replicas,
 * `replica-<region>` for a cross-region replica, or `writer` when there is nothing else.
 * Primary region: its same-region replicas, else the writer. Secondary region: its own cross-region
 * replica, else the primary region's readers.
 */
export function readerTargets(region: string, primaryRegion: string, readReplicas: number, crossRegionReplicas: readonly string[]): string[] {
    if (region !== primaryRegion && crossRegionReplicas.includes(region)) {
        return [`replica-${region}`];
    }
    return readReplicas > 0 ? sameRegionReplicaKeys(readReplicas) : ["writer"];
}

/** Address ranges `allowedCidrBlocks` may come from: RFC 1918 and the shared (CGNAT) range VPCs may also use. */
export const PRIVATE_IPV4_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] as const;

/** True when `cidr` is an aligned IPv4 CIDR that lies entirely inside one of `PRIVATE_IPV4_RANGES`. */
export function isPrivateIpv4Cidr(cidr: string): boolean {
    const c = parseCidr(cidr);
    return c !== undefined && PRIVATE_IPV4_RANGES.some((range) => {
        const r = parseCidr(range)!;
        return c.prefix >= r.prefix && Math.floor(c.base / 2 ** (32 - r.prefix)) === r.base / 2 ** (32 - r.prefix);
    });
}

const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
const PG_IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;
/** Role names RDS or PostgreSQL keep for themselves. */
const RESERVED_USERNAMES = new Set(["rdsadmin", "rdsrepladmin", "rds_superuser", "rds_replication", "rds_iam", "public"]);

function isWhole(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n);
}

/** Checks plain Database args; returns every problem found (empty when valid). */
export function validateDatabaseArgs(name: string, args: DatabaseArgs): Problems {
    const p = new Problems();
    p.check(INSTANCE_CLASS.test(args.instanceClass), "instanceClass", `must be an RDS instance class such as "db.m7g.large" (starting with "db."), got ${show(args.instanceClass)}`);
    p.check(typeof args.memoryGiB === "number" && args.memoryGiB > 0, "memoryGiB", `must be the instance class's memory in GiB (> 0), got ${show(args.memoryGiB)}`);
    const version = args.engineVersion ?? DEFAULT_POSTGRES_VERSION;
    if (p.check(/^\d{2}(\.\d+)?$/.test(version), "engineVersion", `must be a PostgreSQL major ("17") or major.minor ("17.4"), got ${show(version)}`)) {
        p.check(Number(version.split(".")[0]) >= 13, "engineVersion", `must be PostgreSQL 13 or later (older majors are out of RDS standard support), got ${show(version)}`);
    }
    const allocated = args.allocatedStorageGiB ?? DEFAULT_ALLOCATED_STORAGE_GIB;
    p.check(isWhole(allocated) && allocated >= 20 && allocated <= 65536, "allocatedStorageGiB", `must be a whole number of GiB from 20 (the gp3 minimum) to 65536, got ${show(allocated)}`);
    const maxAllocated = args.maxAllocatedStorageGiB;
    if (maxAllocated !== undefined) {
        p.check(isWhole(maxAllocated) && maxAllocated >= allocated && maxAllocated <= 65536, "maxAllocatedStorageGiB", `must be a whole number of GiB from allocatedStorageGiB (${allocated}) to 65536, got ${show(maxAllocated)}`);
    }
    const maxConnections = args.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    p.check(isWhole(maxConnections) && maxConnections >= 20 && maxConnections <= 5000, "maxConnections", `must be a whole number from 20 to 5000, got ${show(maxConnections)}`);
    const interval = args.monitoringIntervalSeconds ?? DEFAULT_MONITORING_INTERVAL_SECONDS;
    p.check((MONITORING_INTERVALS as readonly number[]).includes(interval), "monitoringIntervalSeconds", `must be one of ${MONITORING_INTERVALS.join(", ")}, got ${show(interval)}`);

    const dbName = args.databaseName ?? DEFAULT_DATABASE_NAME;
    p.check(PG_IDENTIFIER.test(dbName), "databaseName", `must start with a letter and hold only letters, digits and '_' (max 63), got ${show(dbName)}`);
    const user = args.masterUsername ?? DEFAULT_MASTER_USERNAME;
    if (p.check(PG_IDENTIFIER.test(user), "masterUsername", `must start with a letter and hold only letters, digits and '_' (max 63), got ${show(user)}`)) {
        p.check(!RESERVED_USERNAMES.has(user.toLowerCase()), "masterUsername", `${show(user)} is reserved by RDS or PostgreSQL; choose another name such as "app_admin"`);
    }
    const appUser = args.appUsername ?? DEFAULT_APP_USERNAME;
    if (p.check(PG_IDENTIFIER.test(appUser), "appUsername", `must start with a letter and hold only letters, digits and '_' (max 63), got ${show(appUser)}`)) {
        p.check(!RESERVED_USERNAMES.has(appUser.toLowerCase()), "appUsername", `${show(appUser)} is reserved by RDS or PostgreSQL; choose another name such as "app"`);
        p.check(appUser.toLowerCase() !== user.toLowerCase(), "appUsername", `must differ from masterUsername (${show(user)}): the application never connects as the master user`);
    }
    const source = args.masterPassword ?? DEFAULT_MASTER_PASSWORD;
    if (p.check(source === "generated" || source === "managed", "masterPassword", `must be "generated" or "managed", got ${show(source)}`) && source === "managed") {
        const count = (isWhole(args.readReplicas) ? args.readReplicas : 0) + (args.crossRegionReplicas ?? Object.keys(args.regions ?? {})).length;
        p.check(count === 0, "masterPassword", `"managed" cannot be used with read replicas (${count} requested): RDS does not create replicas of a source whose master password it manages in Secrets Manager (RDS User Guide, "Password management with Amazon RDS and AWS Secrets Manager", Limitations); use "generated" or remove the replicas`);
    }
    p.check(args.iamAuthentication !== false, "iamAuthentication", "must be true: the application role logs in with IAM tokens only (the proxy's end-to-end IAM authentication needs it on the instance)");

    const retention = args.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    p.check(isWhole(retention) && retention >= 0 && retention <= 35, "backupRetentionDays", `must be a whole number of days from 0 to 35, got ${show(retention)}`);

    const replicas = args.readReplicas ?? 0;
    p.check(isWhole(replicas) && replicas >= 0 && replicas <= MAX_READ_REPLICAS, "readReplicas", `must be a whole number from 0 to ${MAX_READ_REPLICAS} (the RDS limit per source), got ${show(replicas)}`);

    const regions = args.regions ?? {};
    const crossRegion = args.crossRegionReplicas ?? Object.keys(regions);
    crossRegion.forEach((r, i) => {
        if (r === args.region) {
            p.add(`crossRegionReplicas[${i}]`, `${show(r)} is the primary's own region; same-region replicas are set with readReplicas`);
        } else if (!(r in regions)) {
            const known = Object.keys(regions);
            p.add(`crossRegionReplicas[${i}]`, `${show(r)} is not one of the stack's other regions (${known.length ? known.join(", ") : "none given in regions"}); add it to regions with its provider and network, or remove it`);
        }
    });
    p.check(new Set(crossRegion).size === crossRegion.length, "crossRegionReplicas", `must not name a region twice, got ${show(crossRegion)}`);
    p.check(!(args.region in regions), "regions", `must list only the other regions, but includes the primary region ${show(args.region)}`);
    const totalReplicas = (isWhole(replicas) ? replicas : 0) + crossRegion.length;
    if (totalReplicas > 0) {
        p.check(retention > 0, "backupRetentionDays", `must be > 0 when the database has read replicas (${totalReplicas} requested): RDS replicates from the automated backups' WAL, got ${show(retention)}`);
    }

    if (args.activeRegion !== undefined && args.activeRegion !== args.region) {
        p.check(crossRegion.includes(args.activeRegion), "activeRegion",
            `${show(args.activeRegion)} holds no cross-region replica to promote (replicas in: ${crossRegion.join(", ") || "none"}); fail over only to a region listed in crossRegionReplicas whose replica has caught up`);
    }

    const pooling = args.pooling ?? {};
    const pct = pooling.maxConnectionsPercent ?? DEFAULT_POOL_MAX_CONNECTIONS_PERCENT;
    p.check(isWhole(pct) && pct >= 1 && pct <= 100, "pooling.maxConnectionsPercent", `must be a whole number from 1 to 100, got ${show(pct)}`);
    const idlePct = pooling.maxIdleConnectionsPercent ?? Math.min(DEFAULT_POOL_MAX_IDLE_CONNECTIONS_PERCENT, pct);
    p.check(isWhole(idlePct) && idlePct >= 0 && idlePct <= pct, "pooling.maxIdleConnectionsPercent", `must be a whole number from 0 to maxConnectionsPercent (${pct}), got ${show(idlePct)}`);
    const idle = pooling.idleClientTimeoutSeconds ?? DEFAULT_POOL_IDLE_CLIENT_TIMEOUT_SECONDS;
    p.check(isWhole(idle) && idle >= 1 && idle <= 28800, "pooling.idleClientTimeoutSeconds", `must be 1-28800 seconds, got ${show(idle)}`);

    const zone = args.privateZoneName ?? DEFAULT_PRIVATE_ZONE;
    p.check(DNS_NAME.test(zone), "privateZoneName", `must be a lower-case DNS name such as "db.internal", got ${show(zone)}`);

    for (const [key, cidr] of Object.entries(args.allowedCidrBlocks ?? {})) {
        p.check(DNS_LABEL.test(key), `allowedCidrBlocks.${key}`, `key must be a stable name of lower-case letters, digits and '-' such as "us-west-2a" (it names the rule), got ${show(key)}`);
        if (p.check(typeof cidr === "string" && parseCidr(cidr) !== undefined, `allowedCidrBlocks.${key}`, `must be an aligned IPv4 CIDR such as "10.20.0.0/19", got ${show(cidr)}`)) {
            p.check(isPrivateIpv4Cidr(cidr), `allowedCidrBlocks.${key}`, `must lie in a private range (${PRIVATE_IPV4_RANGES.join(", ")}): the database never admits public addresses; list the peered VPC's private subnets, got ${show(cidr)}`);
        }
    }

    const keys = ["primary", ...sameRegionReplicaKeys(isWhole(replicas) ? Math.min(Math.max(replicas, 0), MAX_READ_REPLICAS) : 0), ...crossRegion.map((r) => `replica-${r}`)];
    const overrides = args.identifiers ?? {};
    for (const key of Object.keys(overrides)) {
        p.check(keys.includes(key), `identifiers.${key}`, `is not an instance of this database; keys are ${keys.join(", ")}`);
    }
    const badNames: string[] = [];
    for (const key of keys) {
        const id = instanceIdentifier(name, key, overrides);
        if (!(RDS_IDENTIFIER.test(id) && id.length <= RDS_IDENTIFIER_MAX)) {
            badNames.push(id);
            if (key in overrides) {
                p.add(`identifiers.${key}`, `must be an RDS identifier (1-${RDS_IDENTIFIER_MAX} lower-case letters, digits or single hyphens, a letter first), got ${show(id)}`);
            }
        }
    }
    const derived = badNames.filter((id) => !Object.values(overrides).includes(id));
    p.check(derived.length === 0, "name", `${show(name)} makes invalid RDS instance identifiers (${derived.join(", ")}): they must be 1-${RDS_IDENTIFIER_MAX} lower-case letters, digits or single hyphens starting with a letter; use a shorter lower-case component name`);
    const logRetention = args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
    p.check((CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(logRetention), "logRetentionDays", `must be one of the periods CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), got ${show(logRetention)}`);
    for (const [key, net] of [["", args] as const, ...Object.entries(regions).map(([r, n]) => [`regions.${r}.`, n] as const)]) {
        p.check(net.subnetIds.length >= 2, `${key}subnetIds`, `must list private subnets in at least two AZs (RDS subnet groups need two), got ${net.subnetIds.length}`);
        p.check(Object.keys(net.allowedSecurityGroupIds).length >= 1, `${key}allowedSecurityGroupIds`, "must name at least one client security group (e.g. { nodes: <node SG id> }); nothing else may connect");
    }
    return p;
}

// ---------------------------------------------------------------------------------------------
// Component.
// ---------------------------------------------------------------------------------------------

/** Endpoints of one region, `host:port`. */
export interface DatabaseRegionEndpoints {
    /** The pooler in front of the writer (or the writer itself when pooling is off). */
    readonly writer: pulumi.Output<string>;
    /** `reader.<zone>:5432`, resolving to the region's readers. */
    readonly reader: pulumi.Output<string>;
}

/** What one region holds: network pieces, key and (in replica regions) parameter group. */
interface RegionalBase {
    readonly key: aws.kms.Key;
    readonly subnetGroup: aws.rds.SubnetGroup;
    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly parameterGroup: aws.rds.ParameterGroup;
}

/**
 * PostgreSQL on RDS across the stack's regions: see the module comment for the design.
 *
 * Pass the primary region's `aws.Provider` in `opts.provider`; pieces in other regions go through the
 * provider given for that region in `args.regions`.
 */
export class Database extends pulumi.ComponentResource {
    public readonly primary: aws.rds.Instance;
    /** Same-region replicas keyed `replica-1..N`, cross-region ones keyed `replica-<region>`. */
    public readonly replicas: Readonly<Record<string, aws.rds.Instance>>;
    public readonly proxy?: aws.rds.Proxy;
    public readonly instanceId: pulumi.Output<string>;
    public readonly instanceArn: pulumi.Output<string>;
    /** Writer `host:port` (the pooler). */
    public readonly writerEndpoint: pulumi.Output<string>;
    /** Writer and reader per region of the stack, keyed by region name. */
    public readonly endpoints: Readonly<Record<string, DatabaseRegionEndpoints>>;
    /** Replica identifiers per region (for replication-lag alarms). */
    public readonly replicaIds: Readonly<Record<string, pulumi.Output<string>[]>>;
    /** Instance addresses behind each region's reader record (for `sslmode=verify-full`). */
    public readonly readerAddresses: Readonly<Record<string, pulumi.Output<string>[]>>;
    public readonly databaseName: string;
    /** The master user (only the bootstrap Job logs in as it). */
    public readonly username: string;
    /** The application's login role (IAM authentication). */
    public readonly appUsername: string;
    /** ARN of the Secrets Manager secret holding the master credentials (primary region; JSON with `username`, `password`). */
    public readonly secretArn: pulumi.Output<string>;
    /** Who generated the master password. */
    public readonly masterPassword: MasterPasswordSource;
    /** The primary instance's own address (the bootstrap Job connects there directly, not through the proxy). */
    public readonly primaryAddress: pulumi.Output<string>;
    /**
     * Every `rds-db:connect` resource a client of the application role needs: the proxy's
     * `dbuser:prx-<id>/<app user>` and each replica's `dbuser:db-<resource id>/<app user>` (and the primary's when
     * pooling is off).
     */
    public readonly clientConnectArns: pulumi.Output<string[]>;
    /** Customer KMS key per region. */
    public readonly kmsKeyArns: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly securityGroupIds: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly maxConnections: number;
    public readonly parameters: Readonly<Record<string, PostgresParameter>>;
    /** Region of the writer: `region`, or `activeRegion` after a failover. */
    public readonly activeRegion: string;
    /** The instance that takes writes: `primary`, or the promoted replica after a failover. */
    public readonly writer: aws.rds.Instance;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        validateDatabaseArgs(name, args).throwIfAny(`Database "${name}"`);
        super("scaled-web:data:Database", name, {}, opts);

        const tags = { ...(args.tags ?? {}) };
        const version = args.engineVersion ?? DEFAULT_POSTGRES_VERSION;
        const allocated = args.allocatedStorageGiB ?? DEFAULT_ALLOCATED_STORAGE_GIB;
        const maxAllocated = args.maxAllocatedStorageGiB ?? allocated * DEFAULT_STORAGE_AUTOSCALING_FACTOR;
        const maxConnections = args.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
        const interval = args.monitoringIntervalSeconds ?? DEFAULT_MONITORING_INTERVAL_SECONDS;
        const performanceInsights = args.performanceInsights ?? true;
        const iamAuth = args.iamAuthentication ?? true;
        const protectData = args.protectData ?? true;
        const multiAz = args.multiAz ?? true;
        const retention = args.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
        const readReplicas = args.readReplicas ?? 0;
        const regions = args.regions ?? {};
        const crossRegion = [...(args.crossRegionReplicas ?? Object.keys(regions))];
        const pooling = args.pooling ?? {};
        const zoneName = args.privateZoneName ?? DEFAULT_PRIVATE_ZONE;
        const parameters = postgresParameters({ memoryGiB: args.memoryGiB, maxConnections, overrides: args.parameters });

        this.databaseName = args.databaseName ?? DEFAULT_DATABASE_NAME;
        this.username = args.masterUsername ?? DEFAULT_MASTER_USERNAME;
        this.appUsername = args.appUsername ?? DEFAULT_APP_USERNAME;
        this.maxConnections = maxConnections;
        this.parameters = parameters;

        const here = { parent: this };
        const inRegion = (region: string): pulumi.CustomResourceOptions =>
            region === args.region ? here : { parent: this, provider: regions[region].provider };
        const suffix = (region: string): string => (region === args.region ? "" : `-${region}`);

        // Per-region base: KMS key, subnet group, security group, parameter group. Created in the primary
        // region and in every region that holds a cross-region replica, through that region's provider:
        // a cross-region replica needs a key and a subnet group *in the destination*.
        const regional = (region: string, net: DatabaseNetwork): RegionalBase => {
            const o = inRegion(region);
            const s = suffix(region);
            const key = new aws.kms.Key(`${name}-kms${s}`, {
                description: `${name}: RDS storage, Performance Insights and credentials in ${region}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                tags,
            }, o);
            new aws.kms.Alias(`${name}-kms${s}`, { name: `alias/${name}${s}`, targetKeyId: key.keyId }, o);
            const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets${s}`, {
                description: `${name}: private subnets in ${region}`,
                subnetIds: net.subnetIds,
                tags,
            }, o);
            const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg${s}`, {
                vpcId: net.vpcId,
                description: `${name}: PostgreSQL ${POSTGRES_PORT} from the cluster nodes only`,
                tags: { ...tags, Name: `${name}-sg${s}` },
            }, o);
            for (const [client, sg] of Object.entries(net.allowedSecurityGroupIds)) {
                new aws.vpc.SecurityGroupIngressRule(`${name}-sg${s}-from-${client}`, {
                    securityGroupId: securityGroup.id,
                    referencedSecurityGroupId: sg,
                    ipProtocol: "tcp",
                    fromPort: POSTGRES_PORT,
                    toPort: POSTGRES_PORT,
                    description: `PostgreSQL from ${client}`,
                }, o);
            }
            const parameterGroup = new aws.rds.ParameterGroup(`${name}-params${s}`, {
                family: parameterGroupFamily(version),
                description: `${name}: PostgreSQL ${version} tuned after seeds 001/003`,
                parameters: Object.entries(parameters).map(([n, v]) => ({ name: n, value: v.value, applyMethod: v.applyMethod })),
                tags,
            }, o);
            return { key, subnetGroup, securityGroup, parameterGroup };
        };
        const bases: Record<string, RegionalBase> = { [args.region]: regional(args.region, args) };
        for (const r of crossRegion) {
            bases[r] = regional(r, regions[r]);
        }

        // IAM is global: one enhanced-monitoring role serves every region.
        let monitoringRoleArn: pulumi.Output<string> | undefined;
        if (interval > 0) {
            const role = new aws.iam.Role(`${name}-monitoring`, {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            }, here);
            const attachment = new aws.iam.RolePolicyAttachment(`${name}-monitoring`, { role: role.name, policyArn: ENHANCED_MONITORING_POLICY_ARN }, here);
            monitoringRoleArn = pulumi.all([role.arn, attachment.id]).apply(([arn]) => arn);
        }

        /** The contract primary and replicas share (CONVENTIONS #7); `base` places it in a region. */
        const shared = (base: RegionalBase): Partial<aws.rds.InstanceArgs> => ({
            instanceClass: args.instanceClass,
            storageType: "gp3",
            maxAllocatedStorage: maxAllocated,
            storageEncrypted: true,
            dbSubnetGroupName: base.subnetGroup.name,
            vpcSecurityGroupIds: [base.securityGroup.id],
            parameterGroupName: base.parameterGroup.name,
            publiclyAccessible: false,
            port: POSTGRES_PORT,
            iamDatabaseAuthenticationEnabled: iamAuth,
            performanceInsightsEnabled: performanceInsights,
            performanceInsightsKmsKeyId: performanceInsights ? base.key.arn : undefined,
            performanceInsightsRetentionPeriod: performanceInsights ? DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS : undefined,
            monitoringInterval: interval,
            monitoringRoleArn,
            enabledCloudwatchLogsExports: [...LOG_EXPORTS],
            autoMinorVersionUpgrade: true,
            copyTagsToSnapshot: true,
            deletionProtection: protectData,
            maintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
            tags,
        });

        // Log groups first, under the identifiers the instances will get, so RDS publishes into groups that
        // expire (RDS creates missing ones itself, without retention).
        const logRetention = args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
        const identifiers = args.identifiers ?? {};
        const logGroups = (key: string, region: string): aws.cloudwatch.LogGroup[] =>
            LOG_EXPORTS.map((log) => new aws.cloudwatch.LogGroup(`${name}-${key}-${log}-logs`, {
                name: rdsLogGroupName(instanceIdentifier(name, key, identifiers), log),
                retentionInDays: logRetention,
                tags,
            }, inRegion(region)));

        const primaryBase = bases[args.region];
        const managedPassword = (args.masterPassword ?? DEFAULT_MASTER_PASSWORD) === "managed";
        // Generated master credentials: random, secret in the state, stored encrypted in Secrets Manager below.
        const password = managedPassword ? undefined : new random.RandomPassword(`${name}-master`, { length: 40, special: false }, here);
        this.primary = new aws.rds.Instance(`${name}-primary`, {
            ...shared(primaryBase),
            identifier: instanceIdentifier(name, "primary", identifiers),
            kmsKeyId: primaryBase.key.arn,
            instanceClass: args.instanceClass,
            engine: "postgres",
            engineVersion: version,
            allocatedStorage: allocated,
            dbName: this.databaseName,
            username: this.username,
            ...(managedPassword
                // RDS generates the master password and keeps it in a Secrets Manager secret encrypted with this key
                // (CreateDBInstance ManageMasterUserPassword / MasterUserSecretKmsKeyId); it never enters the program.
                ? { manageMasterUserPassword: true, masterUserSecretKmsKeyId: primaryBase.key.arn }
                : { password: password!.result }),
            multiAz,
            backupRetentionPeriod: retention,
            backupWindow: DEFAULT_BACKUP_WINDOW,
            deleteAutomatedBackups: !protectData,
            skipFinalSnapshot: !protectData,
            finalSnapshotIdentifier: protectData ? `${name}-final` : undefined,
        }, {
            ...here,
            protect: protectData,
            // order: RDS creates the export log groups itself (without retention or KMS) when they do not
            // exist yet; ours must exist first. The instance references no log group.
            dependsOn: logGroups("primary", args.region),
        });
        this.instanceId = this.primary.identifier;
        this.instanceArn = this.primary.arn;

        // Read replicas. No engine, version, user, password or database name: they come from the source.
        // PostgreSQL replicas take no automated backups (RDS does not support them) and no final snapshot.
        // KMS key: only a cross-region replica names one (a key of its own region). CreateDBInstanceReadReplica,
        // KmsKeyId: "If you create an encrypted read replica in the same Amazon Web Services Region as the source
        // DB instance [...], don't specify a value for this parameter. A read replica in the same Region is always
        // encrypted with the same KMS key as the source" (RDS API Reference); RDS answers a same-region request
        // that carries one with InvalidParameterCombination ("Your request does not require the KMS key
        // parameter", cloudposse/terraform-aws-rds-replica#5).
        const replica = (key: string, region: string, source: pulumi.Input<string>, replicaMultiAz: boolean): aws.rds.Instance =>
            new aws.rds.Instance(`${name}-${key}`, {
                ...shared(bases[region]),
                identifier: instanceIdentifier(name, key, identifiers),
                kmsKeyId: region === args.region ? undefined : bases[region].key.arn,
                instanceClass: args.instanceClass,
                replicateSourceDb: source,
                multiAz: replicaMultiAz,
                backupRetentionPeriod: 0,
                skipFinalSnapshot: true,
            }, {
                ...inRegion(region),
                // order: as for the primary, the replica's log groups before RDS would create them. The
                // primary itself needs no entry: replicateSourceDb already references it.
                dependsOn: logGroups(key, region),
            });
        const replicas: Record<string, aws.rds.Instance> = {};
        for (const key of sameRegionReplicaKeys(readReplicas)) {
            // Same region: the source by identifier; replicas spread reads, the primary's standby gives HA.
            replicas[key] = replica(key, args.region, this.primary.identifier, false);
        }
        const drMultiAz = args.crossRegionReplicaMultiAz ?? DEFAULT_CROSS_REGION_REPLICA_MULTI_AZ;
        const active = args.activeRegion ?? args.region;
        // The promoted replica keeps every input that forces a replacement (identifier, kmsKeyId, storageEncrypted;
        // terraform-provider-aws internal/service/rds/instance.go marks them ForceNew, replicate_source_db is not:
        // clearing it calls PromoteReadReplica with backup_retention_period and backup_window). It gains a
        // primary's settings, all updatable in place.
        const promoted = (key: string, region: string): aws.rds.Instance =>
            new aws.rds.Instance(`${name}-${key}`, {
                ...shared(bases[region]),
                identifier: instanceIdentifier(name, key, identifiers),
                kmsKeyId: bases[region].key.arn,
                instanceClass: args.instanceClass,
                multiAz,
                backupRetentionPeriod: retention,
                backupWindow: DEFAULT_BACKUP_WINDOW,
                deleteAutomatedBackups: !protectData,
                skipFinalSnapshot: !protectData,
                finalSnapshotIdentifier: protectData ? `${name}-${key}-final` : undefined,
                // order: as before the promotion (unchanged, so Pulumi does not touch the ordering): created after the
                // primary it replicated and after its log groups, which it names by identifier only.
            }, { ...inRegion(region), protect: protectData, dependsOn: [this.primary, ...logGroups(key, region)] });
        for (const r of crossRegion) {
            // Cross region: the source by ARN, through the destination's provider, with its key, subnet group
            // and security group. Single-AZ unless asked: Multi-AZ doubles the cost of a copy that only serves
            // reads until it is promoted.
            replicas[`replica-${r}`] = r === active ? promoted(`replica-${r}`, r) : replica(`replica-${r}`, r, this.primary.arn, drMultiAz);
        }
        this.replicas = replicas;
        this.activeRegion = active;
        this.writer = active === args.region ? this.primary : replicas[`replica-${active}`];

        if (password) {
            const secret = new aws.secretsmanager.Secret(`${name}-master`, {
                description: `${name}: master credentials (read only by the in-cluster bootstrap Job)`,
                kmsKeyId: primaryBase.key.arn,
                recoveryWindowInDays: protectData ? 30 : 7,
                replicas: crossRegion.map((r) => ({ region: r, kmsKeyId: bases[r].key.arn })),
                tags,
            }, here);
            new aws.secretsmanager.SecretVersion(`${name}-master`, {
                secretId: secret.id,
                secretString: pulumi.secret(pulumi.all([password.result, this.primary.address]).apply(([pw, host]) => JSON.stringify({
                    engine: "postgres",
                    host,
                    port: POSTGRES_PORT,
                    dbname: this.databaseName,
                    username: this.username,
                    password: pw,
                }))),
            }, here);
            this.secretArn = secret.arn;
        } else {
            this.secretArn = this.primary.masterUserSecrets.apply((secrets) => {
                const arn = secrets?.[0]?.secretArn;
                if (!arn) {
                    throw new Error(`Database "${name}": RDS reported no managed master user secret (manageMasterUserPassword)`);
                }
                return arn;
            });
        }
        this.masterPassword = managedPassword ? "managed" : "generated";
        this.primaryAddress = this.primary.address;
        // arn:<partition>:rds:<region>:<account>:db:<id> -> the pieces of the rds-db ARNs.
        const arnParts = this.primary.arn.apply((arn) => {
            const [, partition, , , account] = arn.split(":");
            return { partition, account };
        });
        const dbuserArn = (region: string, resourceId: pulumi.Input<string>, user: string): pulumi.Output<string> =>
            pulumi.all([arnParts, resourceId]).apply(([a, id]) => `arn:${a.partition}:rds-db:${region}:${a.account}:dbuser:${id}/${user}`);
        const replicaRegion = (key: string): string => (/^replica-\d+$/.test(key) ? args.region : key.slice("replica-".length));

        // Clients no security group can name (peered VPCs in other regions) are admitted by CIDR, and only at
        // the writer's front door: the proxy when pooling is on, else the primary's own group.
        const admitCidrs = (sgName: string, securityGroupId: pulumi.Input<string>): void => {
            for (const [key, cidr] of Object.entries(args.allowedCidrBlocks ?? {})) {
                new aws.vpc.SecurityGroupIngressRule(`${sgName}-cidr-${key}`, {
                    securityGroupId,
                    cidrIpv4: cidr,
                    ipProtocol: "tcp",
                    fromPort: POSTGRES_PORT,
                    toPort: POSTGRES_PORT,
                    description: `PostgreSQL from ${key} (${cidr})`,
                }, here);
            }
        };
        const pooled = pooling.enabled ?? true;
        if (!pooled) {
            admitCidrs(`${name}-sg`, primaryBase.securityGroup.id);
        }
        let proxyResourceId: pulumi.Output<string> | undefined;
        // RDS Proxy in front of a writer. `s` is "" for the primary region's (its resource names unchanged since
        // before failover existed) and `-<region>` for the one a failover creates in front of the promoted replica.
        interface ProxyPlacement {
            readonly s: string;
            readonly region: string;
            readonly net: DatabaseNetwork;
            readonly base: RegionalBase;
            readonly target: aws.rds.Instance;
            readonly admitCidrs: boolean;
        }
        const buildProxy = (at: ProxyPlacement): aws.rds.Proxy => {
            const o = inRegion(at.region);
            const proxySg = new aws.ec2.SecurityGroup(`${name}-proxy-sg${at.s}`, {
                vpcId: at.net.vpcId,
                description: `${name}: RDS Proxy ${POSTGRES_PORT} from the cluster nodes only`,
                tags: { ...tags, Name: `${name}-proxy-sg${at.s}` },
            }, o);
            for (const [client, sg] of Object.entries(at.net.allowedSecurityGroupIds)) {
                new aws.vpc.SecurityGroupIngressRule(`${name}-proxy-sg${at.s}-from-${client}`, {
                    securityGroupId: proxySg.id,
                    referencedSecurityGroupId: sg,
                    ipProtocol: "tcp",
                    fromPort: POSTGRES_PORT,
                    toPort: POSTGRES_PORT,
                    description: `PostgreSQL from ${client}`,
                }, o);
            }
            if (at.admitCidrs) {
                admitCidrs(`${name}-proxy-sg`, proxySg.id);
            }
            new aws.vpc.SecurityGroupEgressRule(`${name}-proxy-sg${at.s}-to-db`, {
                securityGroupId: proxySg.id,
                referencedSecurityGroupId: at.base.securityGroup.id,
                ipProtocol: "tcp",
                fromPort: POSTGRES_PORT,
                toPort: POSTGRES_PORT,
                description: "PostgreSQL to the writer",
            }, o);
            new aws.vpc.SecurityGroupIngressRule(`${name}-sg${at.s}-from-proxy`, {
                securityGroupId: at.base.securityGroup.id,
                referencedSecurityGroupId: proxySg.id,
                ipProtocol: "tcp",
                fromPort: POSTGRES_PORT,
                toPort: POSTGRES_PORT,
                description: "PostgreSQL from the RDS Proxy",
            }, o);

            const proxyRole = new aws.iam.Role(`${name}-proxy${at.s}`, {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            }, here);
            // End-to-end IAM authentication: the proxy logs in to its writer as the application role with its
            // own IAM token, so its role may connect as that user on that writer only.
            const proxyPolicy = new aws.iam.RolePolicy(`${name}-proxy${at.s}`, {
                role: proxyRole.id,
                policy: dbuserArn(at.region, at.target.resourceId, this.appUsername).apply((arn) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Sid: "ConnectAsAppUser", Effect: "Allow", Action: ["rds-db:connect"], Resource: arn }],
                })),
            }, here);

            const proxy = new aws.rds.Proxy(`${name}-proxy${at.s}`, {
                engineFamily: "POSTGRESQL",
                requireTls: true,
                debugLogging: false,
                idleClientTimeout: pooling.idleClientTimeoutSeconds ?? DEFAULT_POOL_IDLE_CLIENT_TIMEOUT_SECONDS,
                roleArn: proxyRole.arn,
                vpcSubnetIds: at.net.subnetIds,
                vpcSecurityGroupIds: [proxySg.id],
                // IAM_AUTH: clients and the proxy-to-database leg both use IAM; no `auths` (Secrets Manager) entries
                // (CreateDBProxy DefaultAuthScheme; @pulumi/aws rds.Proxy `defaultAuthScheme`: "auths ... Required
                // when defaultAuthScheme is NONE or unspecified").
                defaultAuthScheme: "IAM_AUTH",
                tags,
            }, {
                ...o,
                // order: the proxy opens its pool with its role's rds-db:connect grant; the policy is attached to the
                // role by a separate resource that the proxy's inputs do not reference.
                dependsOn: [proxyPolicy],
            });
            const maxPct = pooling.maxConnectionsPercent ?? DEFAULT_POOL_MAX_CONNECTIONS_PERCENT;
            const targetGroup = new aws.rds.ProxyDefaultTargetGroup(`${name}-proxy${at.s}`, {
                dbProxyName: proxy.name,
                connectionPoolConfig: {
                    maxConnectionsPercent: maxPct,
                    maxIdleConnectionsPercent: pooling.maxIdleConnectionsPercent ?? Math.min(DEFAULT_POOL_MAX_IDLE_CONNECTIONS_PERCENT, maxPct),
                    connectionBorrowTimeout: DEFAULT_POOL_BORROW_TIMEOUT_SECONDS,
                },
            }, o);
            new aws.rds.ProxyTarget(`${name}-proxy${at.s}`, {
                dbProxyName: proxy.name,
                targetGroupName: targetGroup.name,
                dbInstanceIdentifier: at.target.identifier,
            }, o);
            return proxy;
        };

        let writerHost: pulumi.Output<string> = this.primary.address;
        if (pooled) {
            const proxy = buildProxy({
                s: "", region: args.region, net: args, base: primaryBase, target: this.primary, admitCidrs: true,
            });
            this.proxy = proxy;
            writerHost = proxy.endpoint;
            // arn:aws:rds:<region>:<account>:db-proxy:prx-<id> -> prx-<id>, the proxy's rds-db resource id.
            proxyResourceId = proxy.arn.apply((arn) => arn.split(":").pop() ?? "");
        }
        if (active !== args.region) {
            // Failover: a proxy in the active region in front of the promoted writer. It logs in with IAM like the
            // primary's (no credentials secret); the master secret is already replicated to this region.
            if (pooled) {
                const proxy = buildProxy({
                    s: suffix(active), region: active, net: regions[active], base: bases[active],
                    target: this.writer, admitCidrs: false,
                });
                this.proxy = proxy;
                writerHost = proxy.endpoint;
                proxyResourceId = proxy.arn.apply((arn) => arn.split(":").pop() ?? "");
            } else {
                writerHost = this.writer.address;
            }
        }
        this.writerEndpoint = pulumi.interpolate`${writerHost}:${POSTGRES_PORT}`;

        // Private DNS per region: reader and writer records.
        const addressOf = (key: string): pulumi.Output<string> => (key === "writer" ? writerHost : replicas[key].address);
        const endpoints: Record<string, DatabaseRegionEndpoints> = {};
        const replicaIds: Record<string, pulumi.Output<string>[]> = {};
        const readerAddresses: Record<string, pulumi.Output<string>[]> = {};
        for (const [region, vpcId] of [[args.region, args.vpcId] as const, ...Object.entries(regions).map(([r, n]) => [r, n.vpcId] as const)]) {
            const o = inRegion(region);
            const s = suffix(region);
            const zone = new aws.route53.Zone(`${name}-zone${s}`, {
                name: zoneName,
                comment: `${name}: private database names in ${region}`,
                vpcs: [{ vpcId, vpcRegion: region }],
                tags,
            }, o);
            const targets = readerTargets(region, args.region, readReplicas, crossRegion);
            // One target: a plain record. Several: equal weights, each behind a health check on its
            // replica's lag alarm, so a failed or lagging replica stops receiving reads.
            const readerRecords = targets.length === 1
                ? [new aws.route53.Record(`${name}-reader${s}-${targets[0]}`, {
                    zoneId: zone.zoneId,
                    name: `reader.${zoneName}`,
                    type: "CNAME",
                    ttl: READER_RECORD_TTL_SECONDS,
                    records: [addressOf(targets[0])],
                }, o)]
                : targets.map((key) => {
                    const replicaRegion = key === "writer" || /^replica-\d+$/.test(key) ? args.region : key.slice("replica-".length);
                    const lagAlarm = new aws.cloudwatch.MetricAlarm(`${name}-reader-lag${s}-${key}`, {
                        name: `${name}-reader-lag${s}-${key}`,
                        alarmDescription: `${key} of ${name} lags more than ${READER_MAX_LAG_SECONDS} s or reports nothing; it leaves reader.${zoneName} in ${region}`,
                        namespace: "AWS/RDS",
                        metricName: "ReplicaLag",
                        dimensions: { DBInstanceIdentifier: replicas[key].identifier },
                        statistic: "Maximum",
                        period: 60,
                        evaluationPeriods: 2,
                        threshold: READER_MAX_LAG_SECONDS,
                        comparisonOperator: "GreaterThanThreshold",
                        treatMissingData: "breaching",
                        tags,
                    }, inRegion(replicaRegion));
                    const healthCheck = new aws.route53.HealthCheck(`${name}-reader${s}-${key}`, {
                        type: "CLOUDWATCH_METRIC",
                        cloudwatchAlarmName: lagAlarm.name,
                        cloudwatchAlarmRegion: replicaRegion,
                        insufficientDataHealthStatus: "LastKnownStatus",
                        tags: { ...tags, Name: `${name}-reader${s}-${key}` },
                    }, o);
                    return new aws.route53.Record(`${name}-reader${s}-${key}`, {
                        zoneId: zone.zoneId,
                        name: `reader.${zoneName}`,
                        type: "CNAME",
                        ttl: READER_RECORD_TTL_SECONDS,
                        setIdentifier: key,
                        weightedRoutingPolicies: [{ weight: 1 }],
                        healthCheckId: healthCheck.id,
                        records: [addressOf(key)],
                    }, o);
                });
            new aws.route53.Record(`${name}-writer${s}`, {
                zoneId: zone.zoneId,
                name: `writer.${zoneName}`,
                type: "CNAME",
                ttl: READER_RECORD_TTL_SECONDS,
                records: [writerHost],
            }, o);
            endpoints[region] = {
                // The pooler's own name, not `writer.<zone>`: its TLS certificate names the proxy endpoint.
                writer: this.writerEndpoint,
                reader: pulumi.all(readerRecords.map((r) => r.name)).apply((names) => `${names[0]}:${POSTGRES_PORT}`),
            };
            replicaIds[region] = Object.entries(replicas)
                .filter(([key]) => (region === args.region ? /^replica-\d+$/.test(key) : key === `replica-${region}`))
                .map(([, inst]) => inst.identifier);
            readerAddresses[region] = targets.map(addressOf);
        }
        this.endpoints = endpoints;
        this.clientConnectArns = pulumi.all([
            proxyResourceId ? dbuserArn(active, proxyResourceId, this.appUsername) : dbuserArn(active, this.writer.resourceId, this.appUsername),
            ...Object.entries(replicas).map(([key, inst]) => dbuserArn(replicaRegion(key), inst.resourceId, this.appUsername)),
        ]);
        this.replicaIds = replicaIds;
        this.readerAddresses = readerAddresses;
        this.kmsKeyArns = Object.fromEntries(Object.entries(bases).map(([r, b]) => [r, b.key.arn]));
        this.securityGroupIds = Object.fromEntries(Object.entries(bases).map(([r, b]) => [r, b.securityGroup.id]));

        this.registerOutputs({
            instanceId: this.instanceId,
            instanceArn: this.instanceArn,
            writerEndpoint: this.writerEndpoint,
            endpoints: this.endpoints,
            replicaIds: this.replicaIds,
            secretArn: this.secretArn,
            clientConnectArns: this.clientConnectArns,
            kmsKeyArns: this.kmsKeyArns,
        });
    }
}
