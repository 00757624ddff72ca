/**
 * Recovery points per data store (issue 18): how much data a restore can lose (RPO) and from what, read from the
 * registered resources alone (no config needed), so the plan shows what the stack really gives.
 *
 * - RDS automated backups: point-in-time restore to within about 5 minutes ("RDS uploads transaction logs for DB
 *   instances to Amazon S3 every five minutes", RDS User Guide, "Introduction to backups"), kept
 *   `backupRetentionPeriod` days; none when it is 0.
 * - AWS Backup plan: one recovery point per schedule interval (`backupIntervalHours`), kept `lifecycle.deleteAfter`
 *   days, copied to another region when a copy action names one.
 * - Cross-region read replica: asynchronous; what it lacks is its replica lag (alarm threshold `READER_MAX_LAG_SECONDS`
 *   of the reader records, typically seconds).
 * - ElastiCache: one automatic snapshot a day when `snapshotRetentionLimit` > 0 (RPO 24 h), else none (rebuilt from
 *   the database or lost: a cache, a queue).
 * - S3 (uploads, CDN origin): versioning keeps overwritten and deleted objects; replication is asynchronous (most
 *   objects within 15 minutes per S3 RTC's SLA when RTC is on; no SLA without it).
 */
import { backupIntervalHours } from "../../components/database-backup";
import { READER_MAX_LAG_SECONDS } from "../../components/database";
import type { RegisteredResource } from "../offline";
import type { ResourceGraph } from "./graph";

export interface RecoveryPoint {
    /** The store: a database instance, a cache group, a bucket. */
    readonly store: string;
    readonly region: string;
    /** What gives the recovery point. */
    readonly mechanism: string;
    /** Data a restore from it may lose, in words (`~5 min`, `24 h`, `seconds (replica lag, alarm at 30 s)`). */
    readonly rpo: string;
    /** How long recovery points are kept, or where the copy lives. */
    readonly retention: string;
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : undefined);

function hours(h: number | undefined): string {
    return h === undefined ? "per schedule (not a daily/hourly pattern)" : h >= 24 && h % 24 === 0 ? `${h / 24 === 1 ? "24 h" : `${h / 24} days`}` : `${h} h`;
}

export function recoveryPointsOf(graph: ResourceGraph): RecoveryPoint[] {
    const out: RecoveryPoint[] = [];
    const rds = graph.ofType("aws:rds/instance:Instance");
    const primaries = rds.filter((r) => !r.inputs?.replicateSourceDb);
    for (const db of primaries) {
        const days = num(db.inputs?.backupRetentionPeriod) ?? 0;
        out.push({
            store: db.name, region: graph.regionLabel(db), mechanism: "RDS automated backups (point-in-time restore)",
            rpo: days > 0 ? "~5 min" : "none", retention: days > 0 ? `${days} days` : "off (backupRetentionPeriod 0)",
        });
    }
    for (const plan of graph.ofType("aws:backup/plan:Plan")) {
        const rules: any[] = Array.isArray(plan.inputs?.rules) ? plan.inputs.rules : [];
        for (const rule of rules) {
            const schedule = typeof rule?.schedule === "string" ? rule.schedule : "";
            const copies: any[] = Array.isArray(rule?.copyActions) ? rule.copyActions : [];
            const copyRegions = copies.map((c) => copyRegion(graph, plan, c?.destinationVaultArn)).filter((r): r is string => r !== undefined);
            out.push({
                store: `${plan.name} (${rule?.ruleName ?? "rule"})`, region: graph.regionLabel(plan), mechanism: `AWS Backup ${schedule || "(no schedule)"}`,
                rpo: hours(backupIntervalHours(schedule)),
                retention: `${num(rule?.lifecycle?.deleteAfter) ?? "forever"} days` + (copies.length
                    ? `; copy in ${copyRegions.join(", ") || "another vault"} kept ${copies.map((c) => num(c?.lifecycle?.deleteAfter) ?? "forever").join("/")} days`
                    : "; no cross-region copy"),
            });
        }
    }
    for (const replica of rds.filter((r) => r.inputs?.replicateSourceDb)) {
        const source = String(replica.inputs.replicateSourceDb);
        const crossRegion = /^arn:/.test(source) || primaries.some((p) => (p.state?.arn === source || p.state?.identifier === source) && graph.regionLabel(p) !== graph.regionLabel(replica));
        if (!crossRegion) {
            continue;
        }
        out.push({
            store: replica.name, region: graph.regionLabel(replica), mechanism: "cross-region read replica (asynchronous)",
            rpo: `seconds (its replica lag; reader alarm at ${READER_MAX_LAG_SECONDS} s)`, retention: "live copy (can be promoted)",
        });
    }
    for (const group of graph.ofType("aws:elasticache/replicationGroup:ReplicationGroup")) {
        const days = num(group.inputs?.snapshotRetentionLimit) ?? 0;
        out.push({
            store: group.name, region: graph.regionLabel(group), mechanism: days > 0 ? "ElastiCache daily snapshot" : "none (in-memory only)",
            rpo: days > 0 ? "24 h" : "all of it (no snapshots; rebuilt, not restored)", retention: days > 0 ? `${days} days` : "-",
        });
    }
    for (const repl of graph.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")) {
        const source = graph.parentOf(repl);
        out.push({
            store: source ? `${source.name} (bucket)` : repl.name, region: graph.regionLabel(repl), mechanism: "S3 versioning + cross-region replication",
            rpo: "minutes (asynchronous replication, no RTC)", retention: "noncurrent versions per lifecycle; replica in the secondary region",
        });
    }
    return out;
}

/** Region of a copy destination: from a known ARN, else the vault (by name/ARN) it names. */
function copyRegion(graph: ResourceGraph, plan: RegisteredResource, arn: unknown): string | undefined {
    if (typeof arn === "string" && arn.startsWith("arn:")) {
        return arn.split(":")[3];
    }
    const vault = graph.ofType("aws:backup/vault:Vault").find((v) => v.state?.arn === arn && arn !== undefined)
        ?? graph.ofType("aws:backup/vault:Vault").find((v) => plan.dependencies.includes(v.urn) && graph.regionLabel(v) !== graph.regionLabel(plan));
    return vault ? graph.regionLabel(vault) : undefined;
}
