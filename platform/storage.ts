/**
 * Stage storage (issue 18): the uploads bucket. One `UploadsBucket` per stack in the primary region, replicated to
 * the first secondary region (`uploads.replicate`). Every region's pods write to the primary's bucket (the replica is
 * a read-only copy for recovery); they learn its name, region and prefix from the app ConfigMap (`UPLOADS_BUCKET`,
 * `UPLOADS_REGION`, `UPLOADS_PREFIX`, see platform/workloads.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { UploadsBucket } from "../components/uploads-bucket";
import { PlatformConfig } from "./config";
import { StorageRegion } from "./contracts";
import type { RegionContext } from "./program";

export interface StorageOutputs {
    /** Undefined when `uploads.enabled` is false. */
    readonly uploads?: UploadsBucket;
    /** What each region's workloads get (the same bucket everywhere). */
    readonly regions: ReadonlyMap<string, StorageRegion>;
}

export function wireStorage(config: PlatformConfig, regions: readonly RegionContext[]): StorageOutputs {
    if (!config.uploads.enabled) {
        return { regions: new Map() };
    }
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const secondary = regions.find((r) => r !== primary);
    const u = config.uploads;
    const uploads = new UploadsBucket(`${config.environment}-uploads`, {
        region: primary.region.name,
        prefix: u.prefix,
        replica: u.replicate && secondary ? { region: secondary.region.name, provider: secondary.provider } : undefined,
        noncurrentVersionDays: u.noncurrentVersionDays,
        abortIncompleteMultipartDays: u.abortIncompleteMultipartDays,
        protectData: config.protectData,
        tags: config.tags,
    }, { provider: primary.provider });
    const contract: StorageRegion = { uploadsBucket: uploads.bucketName, uploadsRegion: uploads.region, uploadsPrefix: uploads.prefix };
    return { uploads, regions: new Map(regions.map((r) => [r.region.name, contract])) };
}

/**
 * Gives the application's workload roles (EKS Pod Identity roles from components/pod-identity.ts, keyed by
 * workload, e.g. `{ api: role.roleName, worker: ... }`) read/write on the uploads prefix. platform/program.ts calls
 * it with the app roles of platform/identity.ts.
 */
export function grantUploadsAccess(storage: StorageOutputs, roleNames: Readonly<Record<string, pulumi.Input<string>>>): void {
    for (const [key, roleName] of Object.entries(roleNames)) {
        storage.uploads?.grant(key, roleName);
    }
}
