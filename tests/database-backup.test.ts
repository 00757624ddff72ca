import * as aws from "@pulumi/aws";
import { DatabaseBackup, DatabaseBackupArgs, backupIntervalHours, validateDatabaseBackupArgs } from "../components/database-backup";
import { StackRun, runComponent } from "./harness";

const T = {
    vault: "aws:backup/vault:Vault",
    lock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    plan: "aws:backup/plan:Plan",
    selection: "aws:backup/selection:Selection",
    key: "aws:kms/key:Key",
    attach: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
} as const;

describe.each([
    ["cron(0 5 ? * * *)", 24],
    ["cron(30 */6 ? * * *)", 6],
    ["cron(0 3,15 ? * * *)", 12],
    ["cron(0 1,5 ? * * *)", 20],
    ["rate(12 hours)", 12],
    ["rate(1 day)", 24],
    ["cron(0 5 ? * SUN *)", undefined],
])("backupIntervalHours(%s)", (schedule, hours) => {
    test(`is ${hours}`, () => expect(backupIntervalHours(schedule)).toBe(hours));
});

describe("validateDatabaseBackupArgs", () => {
    const base: DatabaseBackupArgs = { region: "us-east-1", resourceArns: [] };
    const west = { region: "us-west-2", provider: {} as aws.Provider };
    test("accepts the defaults", () => expect(validateDatabaseBackupArgs(base).count).toBe(0));
    test.each([
        [{ schedule: "0 5 * * *" }, "schedule", /schedule expression/],
        [{ retentionDays: 0 }, "retentionDays", />= 1/],
        [{ copyTo: { ...west, region: "us-east-1" } }, "copyTo.region", /survives no regional outage/],
        [{ vaultLock: { minRetentionDays: 7, maxRetentionDays: 3 } }, "vaultLock.maxRetentionDays", /between minRetentionDays \(7\)/],
        [{ vaultLock: { minRetentionDays: 7, maxRetentionDays: 35, changeableForDays: 1 } }, "vaultLock.changeableForDays", />= 3 for compliance mode/],
        [{ retentionDays: 40, vaultLock: { minRetentionDays: 7, maxRetentionDays: 35 } }, "retentionDays", /within the vault lock's 7-35 days/],
        [{ copyTo: west, copyRetentionDays: 3, vaultLock: { minRetentionDays: 7, maxRetentionDays: 35 } }, "copyRetentionDays", /within the vault lock's/],
    ])("refuses %j", (over, path, reason) => {
        const problems = validateDatabaseBackupArgs({ ...base, ...over }).list;
        // The named problem comes first; a bad value may also fail a check that depends on it (copy retention
        // defaults to the retention, the lock range to its bounds).
        expect(problems[0]?.propertyPath).toBe(path);
        expect(problems[0].reason).toMatch(reason);
    });
});

describe("DatabaseBackup with a copy region and a compliance lock", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const west = new aws.Provider("west", { region: "us-west-2" });
            new DatabaseBackup("prod-db-backup", {
                region: "us-east-1", resourceArns: ["arn:aws:rds:us-east-1:123456789012:db:prod-use1-db-primary"],
                retentionDays: 35, copyTo: { region: "us-west-2", provider: west }, copyRetentionDays: 14,
                vaultLock: { minRetentionDays: 7, maxRetentionDays: 35, changeableForDays: 3 },
            }, { provider: east });
        });
    });

    test("one vault per region, each with its own key there, protected", () => {
        const vaults = run.ofType(T.vault);
        expect(vaults.map((v) => [v.name, v.region, v.protect])).toEqual([["prod-db-backup", "us-east-1", true], ["prod-db-backup-copy", "us-west-2", true]]);
        for (const v of vaults) {
            expect(v.inputs.kmsKeyArn).toBe(run.get(T.key, v.name).state.arn);
            expect(run.get(T.key, v.name).region).toBe(v.region);
        }
    });
    test("daily rule into the primary vault, copied to the other region's vault with its own retention", () => {
        const rule = run.ofType(T.plan)[0].inputs.rules[0];
        expect(rule).toMatchObject({ schedule: "cron(0 5 ? * * *)", targetVaultName: "prod-db-backup", lifecycle: { deleteAfter: 35 } });
        expect(rule.enableContinuousBackup).toBeUndefined();
        expect(rule.copyActions).toEqual([{ destinationVaultArn: run.get(T.vault, "prod-db-backup-copy").state.arn, lifecycle: { deleteAfter: 14 } }]);
    });
    test("compliance-mode lock on both vaults", () => {
        expect(run.ofType(T.lock).map((l) => [l.region, l.inputs.backupVaultName, l.inputs.changeableForDays])).toEqual([
            ["us-east-1", "prod-db-backup", 3], ["us-west-2", "prod-db-backup-copy", 3],
        ]);
    });
    test("selection names the instance, waits for the role's managed policies", () => {
        const sel = run.ofType(T.selection)[0];
        expect(sel.inputs.resources).toEqual(["arn:aws:rds:us-east-1:123456789012:db:prod-use1-db-primary"]);
        const attachments = run.ofType(T.attach);
        expect(attachments.map((a) => a.inputs.policyArn)).toEqual([
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        ]);
        expect(sel.dependencies).toEqual(expect.arrayContaining(attachments.map((a) => a.urn)));
    });
});

test("without a copy region: no copy action, no second vault, no lock", async () => {
    const run = await runComponent(() => new DatabaseBackup("dev-db-backup", { region: "us-east-1", resourceArns: ["arn"], protectData: false }));
    expect(run.ofType(T.vault)).toHaveLength(1);
    expect(run.ofType(T.lock)).toHaveLength(0);
    expect(run.ofType(T.plan)[0].inputs.rules[0]).toMatchObject({ copyActions: [], lifecycle: { deleteAfter: 7 } });
});
