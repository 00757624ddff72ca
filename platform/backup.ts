/**
 * The database's AWS Backup plan (issue 18), wired from the data stage: daily recovery points of the primary kept
 * `backup.retentionDays` (35 in prod, 7 elsewhere), each copied to a vault in `backup.copyToRegion` (the first
 * secondary region), Vault Lock on both vaults when prod asks for it. RDS's own automated backups (point-in-time
 * restore) are unchanged.
 */
import { Database } from "../components/database";
import { DatabaseBackup } from "../components/database-backup";
import { PlatformConfig } from "./config";
import type { RegionContext } from "./program";

export function wireBackup(config: PlatformConfig, primary: RegionContext, regions: readonly RegionContext[], database: Database): DatabaseBackup | undefined {
    const b = config.backup;
    if (!b.enabled) {
        return undefined;
    }
    const copy = b.copyToRegion ? regions.find((r) => r.region.name === b.copyToRegion) : undefined;
    return new DatabaseBackup(`${primary.prefix}-db-backup`, {
        region: primary.region.name,
        resourceArns: [database.instanceArn],
        schedule: b.schedule,
        retentionDays: b.retentionDays,
        copyTo: copy ? { region: copy.region.name, provider: copy.provider } : undefined,
        copyRetentionDays: b.copyRetentionDays,
        vaultLock: b.vaultLock,
        protectData: config.protectData,
        tags: config.tags,
    }, { provider: primary.provider });
}
