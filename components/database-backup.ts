/**
 * AWS Backup for the database: a vault with its own KMS key, a plan with one scheduled rule and a selection naming
 * the instances, and a copy of every recovery point to a vault in another region (its own key there), so a lost
 * region or a deleted instance still leaves snapshots elsewhere. Optionally AWS Backup Vault Lock on both vaults.
 *
 * This is in addition to RDS's own automated backups (point-in-time restore within `backupRetentionDays`), which stay
 * as they are: the plan takes snapshot recovery points, not continuous backups (`enableContinuousBackup` would hand
 * the instance's automated backups to AWS Backup).
 *
 * Sources: AWS Backup Developer Guide, "Creating a backup copy across AWS Regions" (a rule's CopyActions name the
 * destination vault ARN; the copy is re-encrypted with the destination vault's key), "AWS Backup Vault Lock"
 * (governance mode without ChangeableForDays, compliance mode with it, at least 3 days; jobs whose retention falls
 * outside [MinRetentionDays, MaxRetentionDays] fail), "Assigning resources" (the selection's role; the managed
 * policies `AWSBackupServiceRolePolicyForBackup` / `...ForRestores`); argument names from @pulumi/aws 7.48.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, show } from "./validation";

/** Daily at 05:00 UTC, after the RDS backup window (03:00-04:00) and maintenance window. */
export const DEFAULT_BACKUP_SCHEDULE = "cron(0 5 ? * * *)";
export const DEFAULT_BACKUP_PLAN_RETENTION_DAYS = 7;
/** What the reference program keeps in prod: five weeks of daily recovery points. */
export const PROD_BACKUP_PLAN_RETENTION_DAYS = 35;
/** Minutes AWS Backup has to start a job, and to finish it. */
export const BACKUP_START_WINDOW_MINUTES = 60;
export const BACKUP_COMPLETION_WINDOW_MINUTES = 360;
/** Compliance-mode vault lock cooling-off period: at least 3 days (PutBackupVaultLockConfiguration). */
export const MIN_CHANGEABLE_FOR_DAYS = 3;
const BACKUP_POLICY_ARNS = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
] as const;

export interface BackupCopyRegion {
    readonly region: string;
    readonly provider: aws.Provider;
}

export interface VaultLockArgs {
    /** Recovery points must be kept at least this long. */
    readonly minRetentionDays: number;
    /** ... and at most this long. */
    readonly maxRetentionDays: number;
    /**
     * Compliance mode: the lock becomes immutable after this many days (>= 3); nobody, root included, can then
     * remove it or delete a recovery point early. Omitted: governance mode (users with the IAM permission can
     * remove the lock).
     */
    readonly changeableForDays?: number;
}

export interface DatabaseBackupArgs {
    /** Region of the vault and plan (the provider in `opts`; where the instances are). */
    readonly region: string;
    /** ARNs of the RDS instances to back up. */
    readonly resourceArns: pulumi.Input<string>[];
    /** AWS Backup schedule expression (`cron(...)` in UTC, or `rate(...)`). @default "cron(0 5 ? * * *)" */
    readonly schedule?: string;
    /** Days each recovery point is kept in the primary vault. @default 7 */
    readonly retentionDays?: number;
    /** Copy every recovery point to a vault in this region. @default none */
    readonly copyTo?: BackupCopyRegion;
    /** Days each copy is kept. @default retentionDays */
    readonly copyRetentionDays?: number;
    /** AWS Backup Vault Lock on both vaults. @default none */
    readonly vaultLock?: VaultLockArgs;
    /** `protect` on the vaults and keys, 30-day key deletion window. @default true */
    readonly protectData?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Hours between two scheduled backups, for the plan report's RPO: `rate(N hours|days)`, or a cron whose minute and
 * hour are single numbers and day-of-month/day-of-week every day (`*` / `?`) = 24, hours given as a list or `a/b` step
 * count per day. Undefined for schedules it cannot read (weekly, monthly).
 */
export function backupIntervalHours(schedule: string): number | undefined {
    const rate = /^rate\((\d+) (hour|hours|day|days|minute|minutes)\)$/.exec(schedule);
    if (rate) {
        const n = Number(rate[1]);
        return rate[2].startsWith("day") ? n * 24 : rate[2].startsWith("hour") ? n : n / 60;
    }
    const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(schedule);
    if (!cron) {
        return undefined;
    }
    const [, minute, hour, dom, month, dow] = cron;
    if (!/^\d+$/.test(minute) || !["*", "?"].includes(dom) || month !== "*" || !["*", "?"].includes(dow)) {
        return undefined;
    }
    if (/^\d+$/.test(hour)) {
        return 24;
    }
    const step = /^(\d+|\*)\/(\d+)$/.exec(hour);
    if (step) {
        return Number(step[2]);
    }
    const list = hour.split(",");
    if (list.every((h) => /^\d+$/.test(h))) {
        const hours = list.map(Number).sort((a, b) => a - b);
        return Math.max(...hours.map((h, i) => (i === 0 ? h + 24 - hours[hours.length - 1] : h - hours[i - 1])));
    }
    return undefined;
}

export function validateDatabaseBackupArgs(args: DatabaseBackupArgs): Problems {
    const p = new Problems();
    const schedule = args.schedule ?? DEFAULT_BACKUP_SCHEDULE;
    p.check(/^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/.test(schedule), "schedule",
        `must be an AWS Backup schedule expression such as "cron(0 5 ? * * *)" (6 fields, UTC) or "rate(12 hours)" (got ${show(args.schedule)})`);
    const days = args.retentionDays ?? DEFAULT_BACKUP_PLAN_RETENTION_DAYS;
    const copyDays = args.copyRetentionDays ?? days;
    p.check(Number.isInteger(days) && days >= 1, "retentionDays", `must be a whole number of days >= 1 (got ${show(args.retentionDays)})`);
    p.check(Number.isInteger(copyDays) && copyDays >= 1, "copyRetentionDays", `must be a whole number of days >= 1 (got ${show(args.copyRetentionDays)})`);
    if (args.copyTo) {
        p.check(args.copyTo.region !== args.region, "copyTo.region", `must be another region than the vault's ${args.region} (got ${show(args.copyTo.region)}); a copy in the same region survives no regional outage`);
    }
    const lock = args.vaultLock;
    if (lock) {
        p.check(Number.isInteger(lock.minRetentionDays) && lock.minRetentionDays >= 1, "vaultLock.minRetentionDays", `must be a whole number of days >= 1 (got ${show(lock.minRetentionDays)})`);
        p.check(Number.isInteger(lock.maxRetentionDays) && lock.maxRetentionDays >= lock.minRetentionDays && lock.maxRetentionDays <= 36500, "vaultLock.maxRetentionDays",
            `must be a whole number of days between minRetentionDays (${lock.minRetentionDays}) and 36500 (got ${show(lock.maxRetentionDays)})`);
        if (lock.changeableForDays !== undefined) {
            p.check(Number.isInteger(lock.changeableForDays) && lock.changeableForDays >= MIN_CHANGEABLE_FOR_DAYS, "vaultLock.changeableForDays",
                `must be a whole number of days >= ${MIN_CHANGEABLE_FOR_DAYS} for compliance mode (got ${show(lock.changeableForDays)}); omit it for governance mode`);
        }
        for (const [path, d] of [["retentionDays", days], ...(args.copyTo ? [["copyRetentionDays", copyDays] as const] : [])] as const) {
            p.check(d >= lock.minRetentionDays && d <= lock.maxRetentionDays, path,
                `must lie within the vault lock's ${lock.minRetentionDays}-${lock.maxRetentionDays} days, or every backup job fails (got ${d})`);
        }
    }
    return p;
}

export class DatabaseBackup extends pulumi.ComponentResource {
    readonly planId: pulumi.Output<string>;
    readonly vaultArn: pulumi.Output<string>;
    readonly copyVaultArn?: pulumi.Output<string>;
    /** Hours between recovery points (undefined for schedules `backupIntervalHours` cannot read). */
    readonly intervalHours?: number;
    readonly retentionDays: number;
    readonly copyRegion?: string;

    constructor(name: string, args: DatabaseBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("scaled-web:data:DatabaseBackup", name, {}, opts);
        validateDatabaseBackupArgs(args).throwIfAny(`DatabaseBackup "${name}"`);
        const tags = { ...(args.tags ?? {}) };
        const protectData = args.protectData ?? true;
        const here: pulumi.CustomResourceOptions = { parent: this };
        const schedule = args.schedule ?? DEFAULT_BACKUP_SCHEDULE;
        this.retentionDays = args.retentionDays ?? DEFAULT_BACKUP_PLAN_RETENTION_DAYS;
        const copyDays = args.copyRetentionDays ?? this.retentionDays;

        const vault = (suffix: string, region: string, o: pulumi.CustomResourceOptions): aws.backup.Vault => {
            const key = new aws.kms.Key(`${name}${suffix}`, {
                description: `${name}: AWS Backup vault in ${region}`,
                enableKeyRotation: true,
                deletionWindowInDays: protectData ? 30 : 7,
                tags,
            }, { ...o, protect: protectData });
            const v = new aws.backup.Vault(`${name}${suffix}`, {
                name: `${name}${suffix}`,
                kmsKeyArn: key.arn,
                forceDestroy: !protectData,
                tags,
            }, { ...o, protect: protectData });
            if (args.vaultLock) {
                new aws.backup.VaultLockConfiguration(`${name}${suffix}`, {
                    backupVaultName: v.name,
                    minRetentionDays: args.vaultLock.minRetentionDays,
                    maxRetentionDays: args.vaultLock.maxRetentionDays,
                    changeableForDays: args.vaultLock.changeableForDays,
                }, o);
            }
            return v;
        };
        const primary = vault("", args.region, here);
        const copy = args.copyTo ? vault("-copy", args.copyTo.region, { parent: this, provider: args.copyTo.provider }) : undefined;

        const plan = new aws.backup.Plan(name, {
            name,
            rules: [{
                ruleName: "scheduled",
                targetVaultName: primary.name,
                schedule,
                startWindow: BACKUP_START_WINDOW_MINUTES,
                completionWindow: BACKUP_COMPLETION_WINDOW_MINUTES,
                lifecycle: { deleteAfter: this.retentionDays },
                copyActions: copy ? [{ destinationVaultArn: copy.arn, lifecycle: { deleteAfter: copyDays } }] : [],
                recoveryPointTags: tags,
            }],
            tags,
        }, here);
        const role = new aws.iam.Role(`${name}-backup`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        }, here);
        const attachments = BACKUP_POLICY_ARNS.map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-backup-${i}`, { role: role.name, policyArn }, here));
        new aws.backup.Selection(name, {
            name,
            planId: plan.id,
            iamRoleArn: role.arn,
            resources: args.resourceArns,
            // order: the role's permissions come from attachments the selection does not reference; a job started
            // before they exist fails with AccessDenied.
        }, { ...here, dependsOn: attachments });

        this.planId = plan.id;
        this.vaultArn = primary.arn;
        this.copyVaultArn = copy?.arn;
        this.intervalHours = backupIntervalHours(schedule);
        this.copyRegion = args.copyTo?.region;
        this.registerOutputs({ planId: this.planId, vaultArn: this.vaultArn, ...(this.copyVaultArn ? { copyVaultArn: this.copyVaultArn } : {}) });
    }
}
