/**
 * components/external-secrets.ts and components/database-bootstrap.ts under the mock runtime: the ESO chart and its
 * Pod Identity association, the SecretStore/ExternalSecrets checked against the pinned CRDs (and a wrong field caught),
 * the bootstrap Job's spec, the least-privilege policies, and argument rejections.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { DatabaseBootstrap, databaseBootstrapPolicy, databaseConnectPolicy, validateDatabaseBootstrapArgs } from "../components/database-bootstrap";
import {
    EXTERNAL_SECRETS_CHART, EXTERNAL_SECRETS_COMPATIBILITY, ExternalSecretsOperator, SecretsManagerStore, SecretsManagerStoreArgs,
    externalSecretSpec, externalSecretsPolicy, secretArnPattern, validateSecretsManagerStoreArgs,
} from "../components/external-secrets";
import { PodIdentityRole } from "../components/pod-identity";
import { crdSchemaErrors } from "./crd-schema";
import { StackRun, runComponent } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

const ES = "kubernetes:external-secrets.io/v1:ExternalSecret";
const STORE = "kubernetes:external-secrets.io/v1:SecretStore";

describe("the CRD fixture", () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "external-secrets-0.19.2-crds.json"), "utf8"));

    test("names its source at the pinned chart's tag and holds both schemas", () => {
        expect(fixture.source).toContain("helm-chart-0.19.2");
        expect(fixture.chartVersion).toBe(EXTERNAL_SECRETS_CHART.version);
        expect(Object.keys(fixture.schemas).sort()).toEqual(["external-secrets.io/v1/ExternalSecret", "external-secrets.io/v1/SecretStore"]);
    });

    test("a valid ExternalSecret passes; a misspelt field, a bad enum or a missing remote key fails", () => {
        const ok = { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "api-secrets" }, spec: externalSecretSpec("store", "api-secrets", { A: { remoteKey: "k", property: "url" } }) };
        expect(crdSchemaErrors(ES, ok)).toEqual([]);
        const typo = JSON.parse(JSON.stringify(ok));
        typo.spec.secretStoreRef.kindd = "SecretStore";
        expect(crdSchemaErrors(ES, typo)!.join("\n")).toMatch(/kindd/);
        const badKind = JSON.parse(JSON.stringify(ok));
        badKind.spec.secretStoreRef.kind = "VaultStore";
        expect(crdSchemaErrors(ES, badKind)!.join("\n")).toMatch(/secretStoreRef\/kind: must be equal to one of the allowed values/);
        const noKey = JSON.parse(JSON.stringify(ok));
        delete noKey.spec.data[0].remoteRef.key;
        expect(crdSchemaErrors(ES, noKey)!.join("\n")).toMatch(/must have required property 'key'/);
        const badPolicy = JSON.parse(JSON.stringify(ok));
        badPolicy.spec.target.creationPolicy = "Always";
        expect(crdSchemaErrors(ES, badPolicy)!.length).toBeGreaterThan(0);
    });

    test("a SecretStore with an unknown AWS service fails", () => {
        const store = { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "s" }, spec: { provider: { aws: { service: "SecretsManager", region: "us-east-1" } } } };
        expect(crdSchemaErrors(STORE, store)).toEqual([]);
        store.spec.provider.aws.service = "KMS";
        expect(crdSchemaErrors(STORE, store)!.join("\n")).toMatch(/service: must be equal to one of the allowed values/);
    });
});

describe("ExternalSecretsOperator and SecretsManagerStore", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const k8sProvider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const role = new PodIdentityRole("eso", { description: "eso", policy: externalSecretsPolicy([secretArnPattern("aws", "123456789012", "app/dev/")]), sourceAccount: "123456789012" });
            const operator = new ExternalSecretsOperator("use1-eso", { k8sProvider, clusterName: "dev-use1-eks", role });
            new SecretsManagerStore("use1-secrets", {
                namespace: "app",
                region: "us-east-1",
                operator,
                secrets: {
                    "ws-secrets": { SOCKET_IO_REDIS_URL: { remoteKey: "app/dev/cache-sessions", property: "url" } },
                    "queue-scaler-auth": { address: { remoteKey: "app/dev/cache-queue", property: "address" }, password: { remoteKey: "app/dev/cache-queue", property: "password" } },
                },
            }, { provider: k8sProvider });
            return {};
        });
    });

    test("the chart is pinned and its compatibility entry names the same version", () => {
        const release = run.get("kubernetes:helm.sh/v3:Release", "use1-eso-eso");
        expect(release.inputs).toMatchObject({ chart: "external-secrets", version: "0.19.2", namespace: "external-secrets", createNamespace: true });
        expect(EXTERNAL_SECRETS_COMPATIBILITY.chartVersion).toBe(EXTERNAL_SECRETS_CHART.version);
        expect([EXTERNAL_SECRETS_COMPATIBILITY.minKubernetes, EXTERNAL_SECRETS_COMPATIBILITY.maxKubernetes]).toEqual(["1.33", "1.33"]);
    });

    test("the controller role reads only the stack's secrets, GetSecretValue only", () => {
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "eso").inputs.policy);
        expect(policy.Statement).toEqual([{ Sid: "ReadStackSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:aws:secretsmanager:*:123456789012:secret:app/dev/*"] }]);
        expect(JSON.stringify(policy)).not.toMatch(/"\*"|ListSecrets|DescribeSecret/);
    });

    test("objects validate against the pinned CRDs and wait for the release", () => {
        const report = assertKubernetesSchemas(run.resources);
        expect([...report.validated].sort()).toEqual([`${ES} use1-secrets-queue-scaler-auth`, `${ES} use1-secrets-ws-secrets`, `${STORE} use1-secrets-store`]);
        const release = run.get("kubernetes:helm.sh/v3:Release", "use1-eso-eso");
        expect(run.get(STORE, "use1-secrets-store").dependencies).toContain(release.urn);
        expect(release.dependencies).toContain(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "eso-use1-eso-controller").urn);
    });

    test("each ExternalSecret lists exactly its keys", () => {
        expect(run.get(ES, "use1-secrets-queue-scaler-auth").inputs.spec.data).toEqual([
            { secretKey: "address", remoteRef: { key: "app/dev/cache-queue", property: "address" } },
            { secretKey: "password", remoteRef: { key: "app/dev/cache-queue", property: "password" } },
        ]);
    });
});

describe("SecretsManagerStore rejects", () => {
    const base: SecretsManagerStoreArgs = { namespace: "app", region: "us-east-1", secrets: { "api-secrets": { QUEUE_REDIS_URL: { remoteKey: "app/dev/cache-queue", property: "url" } } } };
    test.each<[string, Partial<SecretsManagerStoreArgs>, RegExp]>([
        ["a bad region", { region: "virginia" }, /region: must be an AWS region/],
        ["a bad refresh interval", { refreshInterval: "hourly" }, /refreshInterval: must be a Go duration/],
        ["no secret", { secrets: {} }, /secrets: must name at least one Secret/],
        ["a secret with no key", { secrets: { "ws-secrets": {} } }, /secrets.ws-secrets: lists no key/],
        ["a bad Secret name", { secrets: { Api_Secrets: { A: { remoteKey: "x" } } } }, /secrets.Api_Secrets: must be a Kubernetes object name/],
        ["a bad key", { secrets: { "api-secrets": { "QUEUE URL": { remoteKey: "x" } } } }, /secrets.api-secrets.QUEUE URL: must be a Secret key/],
        ["an empty remote key", { secrets: { "api-secrets": { A: { remoteKey: "" } } } }, /remoteKey: must name a Secrets Manager secret/],
    ])("%s", (_what, patch, message) => {
        expect(validateSecretsManagerStoreArgs({ ...base, ...patch }).list.map((p) => `${p.propertyPath}: ${p.reason}`).join("\n")).toMatch(message);
    });
});

describe("DatabaseBootstrap", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const k8sProvider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const role = new PodIdentityRole("boot", {
                description: "boot",
                policy: databaseBootstrapPolicy("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-master-AbCdEf", "arn:aws:kms:us-east-1:123456789012:key/k", "us-east-1"),
                sourceAccount: "123456789012",
            });
            new DatabaseBootstrap("use1-db-bootstrap", {
                namespace: "app", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0.0", clusterName: "dev-use1-eks", role, region: "us-east-1",
                masterSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-master-AbCdEf", host: "db-primary.abc.us-east-1.rds.amazonaws.com",
                databaseName: "app", appUsername: "app",
            }, { provider: k8sProvider });
            return {};
        });
    });

    test("the Job runs the app's db-bootstrap role with names only, under a restricted pod spec, after its association", () => {
        const job = run.get("kubernetes:batch/v1:Job", "use1-db-bootstrap-job");
        const pod = job.inputs.spec.template.spec;
        expect(job.inputs.spec).toMatchObject({ backoffLimit: 6, activeDeadlineSeconds: 900 });
        expect(pod).toMatchObject({ serviceAccountName: "db-bootstrap", restartPolicy: "Never", automountServiceAccountToken: false, securityContext: { runAsNonRoot: true } });
        const c = pod.containers[0];
        expect(Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]))).toEqual({
            APP_ROLE: "db-bootstrap", AWS_REGION: "us-east-1", MASTER_SECRET_ID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-master-AbCdEf",
            DATABASE_HOST: "db-primary.abc.us-east-1.rds.amazonaws.com", DATABASE_PORT: "5432", DATABASE_NAME: "app", APP_DB_USER: "app", APP_DB_SCHEMA: "app",
        });
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(c.envFrom).toBeUndefined();
        const assoc = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "boot-use1-db-bootstrap-sa");
        expect(assoc.inputs).toMatchObject({ clusterName: "dev-use1-eks", namespace: "app", serviceAccount: "db-bootstrap" });
        expect(job.dependencies).toContain(assoc.urn);
        expect(assertKubernetesSchemas(run.resources).validated).toHaveLength(2);
    });

    test("its role reads one secret and decrypts it only through Secrets Manager in that region", () => {
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "boot").inputs.policy);
        expect(policy.Statement).toEqual([
            { Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-master-AbCdEf" },
            { Sid: "DecryptMasterSecret", Effect: "Allow", Action: ["kms:Decrypt"], Resource: "arn:aws:kms:us-east-1:123456789012:key/k", Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } } },
        ]);
    });

    test("the client policy names exactly the dbuser ARNs it is given", () => {
        const arns = ["arn:aws:rds-db:us-east-1:123456789012:dbuser:prx-abc/app", "arn:aws:rds-db:us-west-2:123456789012:dbuser:db-XYZ/app"];
        expect(databaseConnectPolicy(arns)).toEqual({ Version: "2012-10-17", Statement: [{ Sid: "ConnectAsAppUser", Effect: "Allow", Action: ["rds-db:connect"], Resource: arns }] });
    });

    test.each<[string, Record<string, unknown>, RegExp]>([
        ["a user that is not an identifier", { appUsername: "app; DROP ROLE x" }, /appUsername: must be a PostgreSQL identifier/],
        ["a bad schema", { schema: "1app" }, /schema: must be a PostgreSQL identifier/],
        ["a bad region", { region: "east" }, /region: must be an AWS region/],
        ["a bad service account", { serviceAccountName: "DB_Boot" }, /serviceAccountName: must be a DNS label/],
        ["a bad port", { port: 70000 }, /port: must be a TCP port/],
    ])("rejects %s", (_what, patch, message) => {
        const args = {
            namespace: "app", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0.0", clusterName: "c", role: {} as PodIdentityRole, region: "us-east-1",
            masterSecretArn: "arn", host: "h", databaseName: "app", appUsername: "app", ...patch,
        };
        expect(validateDatabaseBootstrapArgs(args as never).list.map((p) => `${p.propertyPath}: ${p.reason}`).join("\n")).toMatch(message);
    });
});
