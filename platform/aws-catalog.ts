/**
 * Which instance classes exist for what this program runs (issue 17: "RDS and ElastiCache instance classes and
 * EC2 types must be real and available for the engine"). Checked before anything is registered, so a typo such as
 * `db.m7g.larg` or `cache.m7.large` fails the plan instead of the deployment.
 *
 * What the tables reflect, and what they do not:
 * - EC2: the `InstanceType` enum of @pulumi/aws 7.48.0 (node_modules/@pulumi/aws/types/enums/ec2), which the
 *   provider generates from EC2's instance type list; a type newer than that release is refused until the
 *   provider is upgraded (the message says so). Regional availability is not checked.
 * - RDS for PostgreSQL DB instances (this program creates `aws.rds.Instance`, not Multi-AZ DB clusters): the
 *   Amazon RDS User Guide, "Supported DB engines for DB instance classes", PostgreSQL column, read in
 *   awsdocs/amazon-rds-user-guide doc_source/Concepts.DBInstanceClass.md @0219b24 (the archived copy, PostgreSQL 14
 *   era): db.t3, db.t4g, db.m5, db.m6g, db.m6i, db.r5, db.r5b, db.r6g, db.r6i, db.x2g with the sizes listed there.
 *   Left out as that page says: db.m5d, db.m6gd, db.r5d, db.r6gd ("PostgreSQL 13.4 Multi-AZ DB clusters" only),
 *   db.m4, db.r4, db.t2, db.m3, db.r3 ("Lower than PostgreSQL 13"), db.x1, db.x1e, db.z1d ("No").
 *   Added after that copy, from AWS's announcements and not checked against the page here (RDS_NEWER_FAMILIES):
 *   db.m7g, db.r7g (Graviton3), db.m7i, db.r7i, db.m8g, db.r8g. Per-version and per-region availability
 *   (`aws rds describe-orderable-db-instance-options --engine postgres`) is not checked.
 * - ElastiCache (Valkey / Redis OSS): the ElastiCache API Reference, data type "CacheNode", node type list (current
 *   generation, general purpose: M7g, M6g, M5, M4, T4g, T3; read 2026-12-01), without T2, which the ElastiCache
 *   User Guide "Supported node types" says new clusters can no longer use. The memory-optimized and network-optimized
 *   families (R7g, R6g, R6gd, R5, C7gn) are from the same page's later part, which the excerpt read here did not
 *   show: ELASTICACHE_UNVERIFIED_FAMILIES. Regional availability is not checked.
 */
import { InstanceType as Ec2InstanceTypes } from "@pulumi/aws/types/enums/ec2";

/** Every EC2 instance type @pulumi/aws 7.48.0 knows. */
export const EC2_INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(Ec2InstanceTypes) as string[]);
export const EC2_CATALOG_SOURCE = "the EC2 instance types of @pulumi/aws 7.48.0 (aws.ec2.InstanceType)";

const SIZES_T = ["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const SIZES_M5 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
const SIZES_G = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const SIZES_6I = [...SIZES_M5, "32xlarge"];
const SIZES_7I = [...SIZES_M5, "48xlarge"];
const SIZES_8G = [...SIZES_M5, "48xlarge"];

/** RDS for PostgreSQL DB instance classes by family (see the file comment for the source and date). */
export const RDS_POSTGRES_CLASSES: Readonly<Record<string, readonly string[]>> = {
    "db.t3": SIZES_T, "db.t4g": SIZES_T,
    "db.m5": SIZES_M5, "db.m6g": SIZES_G, "db.m6i": SIZES_6I,
    "db.r5": SIZES_M5, "db.r5b": SIZES_M5, "db.r6g": SIZES_G, "db.r6i": SIZES_6I,
    "db.x2g": SIZES_G,
    // Newer than the page copy read here (see RDS_NEWER_FAMILIES).
    "db.m7g": SIZES_G, "db.r7g": SIZES_G, "db.m7i": SIZES_7I, "db.r7i": SIZES_7I, "db.m8g": SIZES_8G, "db.r8g": SIZES_8G,
};
/** Families in RDS_POSTGRES_CLASSES that the page copy read here predates. */
export const RDS_NEWER_FAMILIES: readonly string[] = ["db.m7g", "db.r7g", "db.m7i", "db.r7i", "db.m8g", "db.r8g"];
export const RDS_CATALOG_SOURCE = "the Amazon RDS User Guide \"Supported DB engines for DB instance classes\" (PostgreSQL, DB instances), table of 2026-12-01";

/** ElastiCache current-generation node types by family (see the file comment for the source and date). */
export const ELASTICACHE_NODE_TYPES: Readonly<Record<string, readonly string[]>> = {
    "cache.t3": ["micro", "small", "medium"], "cache.t4g": ["micro", "small", "medium"],
    "cache.m4": ["large", "xlarge", "2xlarge", "4xlarge", "10xlarge"],
    "cache.m5": ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"],
    "cache.m6g": SIZES_G, "cache.m7g": SIZES_G,
    // Not shown by the excerpt read here (see ELASTICACHE_UNVERIFIED_FAMILIES).
    "cache.r5": ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"],
    "cache.r6g": SIZES_G, "cache.r7g": SIZES_G,
    "cache.r6gd": ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    "cache.c7gn": SIZES_G,
};
export const ELASTICACHE_UNVERIFIED_FAMILIES: readonly string[] = ["cache.r5", "cache.r6g", "cache.r7g", "cache.r6gd", "cache.c7gn"];
export const ELASTICACHE_CATALOG_SOURCE = "the ElastiCache API Reference \"CacheNode\" node types (current generation), table of 2026-12-01";

function inFamilies(value: string, table: Readonly<Record<string, readonly string[]>>): boolean {
    const dot = value.lastIndexOf(".");
    return dot > 0 && (table[value.slice(0, dot)] ?? []).includes(value.slice(dot + 1));
}

/** Same-family suggestions for a class that is not in `table`: its family's sizes, or the families with a similar name. */
function suggestion(value: string, table: Readonly<Record<string, readonly string[]>>): string {
    const dot = value.lastIndexOf(".");
    const family = dot > 0 ? value.slice(0, dot) : value;
    const sizes = table[family];
    if (sizes) {
        return `${family} comes in ${sizes.join(", ")}`;
    }
    const stem = family.replace(/\d.*$/, "");
    const near = Object.keys(table).filter((f) => f.replace(/\d.*$/, "") === stem);
    return `families: ${(near.length ? near : Object.keys(table)).join(", ")}`;
}

/** Why `value` is not an RDS for PostgreSQL instance class, or undefined when it is one. */
export function rdsPostgresClassProblem(value: string): string | undefined {
    return inFamilies(value, RDS_POSTGRES_CLASSES) ? undefined
        : `${JSON.stringify(value)} is not a DB instance class RDS for PostgreSQL offers (${suggestion(value, RDS_POSTGRES_CLASSES)}; per ${RDS_CATALOG_SOURCE})`;
}

/** Why `value` is not a current ElastiCache node type, or undefined when it is one. */
export function elastiCacheNodeTypeProblem(value: string): string | undefined {
    return inFamilies(value, ELASTICACHE_NODE_TYPES) ? undefined
        : `${JSON.stringify(value)} is not a current-generation ElastiCache node type for Valkey/Redis OSS (${suggestion(value, ELASTICACHE_NODE_TYPES)}; per ${ELASTICACHE_CATALOG_SOURCE})`;
}

/** Why `value` is not an EC2 instance type, or undefined when it is one. */
export function ec2InstanceTypeProblem(value: string): string | undefined {
    if (EC2_INSTANCE_TYPES.has(value)) {
        return undefined;
    }
    const dot = value.indexOf(".");
    const family = dot > 0 ? value.slice(0, dot) : value;
    const sizes = [...EC2_INSTANCE_TYPES].filter((t) => t.startsWith(`${family}.`)).map((t) => t.slice(family.length + 1));
    return `${JSON.stringify(value)} is not an EC2 instance type (${sizes.length ? `${family} comes in ${sizes.join(", ")}` : `no family "${family}"`}; per ${EC2_CATALOG_SOURCE}, a type newer than that provider release needs a provider upgrade)`;
}

/**
 * Engine versions (major.minor) ElastiCache offers for node-based replication groups: the ElastiCache User Guide,
 * "Engine versions and upgrading in ElastiCache" / "Supported engines and versions", read 2026-12-01: Valkey 7.2,
 * 8.0, 8.1, 8.2, 9.0, 9.1; Redis OSS 7.1, 7.0, 6.2, 6.0 (and older 5.0.6/4.0.10, below what the Cache component
 * accepts). A patch version is not set: ElastiCache applies the latest patch of the minor.
 */
export const ELASTICACHE_ENGINE_VERSIONS: Readonly<Record<"valkey" | "redis", readonly string[]>> = {
    valkey: ["7.2", "8.0", "8.1", "8.2", "9.0", "9.1"],
    redis: ["6.0", "6.2", "7.0", "7.1"],
};

/** Why `version` is not an ElastiCache version of `engine`, or undefined when it is one. */
export function elastiCacheEngineVersionProblem(engine: "valkey" | "redis", version: string): string | undefined {
    const known = ELASTICACHE_ENGINE_VERSIONS[engine];
    return known.includes(version) ? undefined
        : `${JSON.stringify(version)} is not a ${engine} version ElastiCache offers (${known.join(", ")}; per the ElastiCache User Guide "Supported engines and versions", 2026-12-01)`;
}
