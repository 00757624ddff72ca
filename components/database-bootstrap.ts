/**
 * The in-cluster Job that creates the application's database role (`app/src/bootstrap.js`, `APP_ROLE=db-bootstrap`):
 * a ServiceAccount bound through EKS Pod Identity to a role that may read one secret (the master credentials) and
 * decrypt it through Secrets Manager, and a Job running the application image in that role. The master password is read
 * by the container at run time from Secrets Manager; no Kubernetes object carries it.
 *
 * The Job connects to the primary instance's own address (RDS Proxy admits only the application role), verifying
 * the instance certificate against the image's RDS CA bundle (`sslmode=verify-full`). Pulumi waits for the Job to
 * complete (the Kubernetes provider's Job await), so a failed bootstrap fails the update. Any change to its spec
 * (image, names) replaces the Job, which runs again; the statements are idempotent.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodIdentityRole } from "./pod-identity";
import { DNS_LABEL, Problems, show } from "./validation";
import {
    PART_OF, WorkloadResources, checkedImage, containerEnv, containerSecurityContext, podSecurityContext, tmpVolume, tmpVolumeMount, validateImage, validateResources,
    containerResources,
} from "./workload-spec";

export const DEFAULT_BOOTSTRAP_SERVICE_ACCOUNT = "db-bootstrap";
export const DEFAULT_APP_SCHEMA = "app";
/** Attempts before the Job fails (database not reachable yet, credentials not yet propagated). */
export const DEFAULT_BOOTSTRAP_BACKOFF_LIMIT = 6;
/** The whole Job, retries included, must finish within this (seconds). */
export const DEFAULT_BOOTSTRAP_DEADLINE_SECONDS = 900;
export const DEFAULT_BOOTSTRAP_RESOURCES: WorkloadResources = {
    requests: { cpu: "50m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
};
const PG_IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

/**
 * The bootstrap role's policy: read the one master secret, and decrypt it with its key only through Secrets Manager in
 * the secret's region (`kms:ViaService`).
 */
export function databaseBootstrapPolicy(secretArn: string, kmsKeyArn: string, region: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secretArn },
            {
                Sid: "DecryptMasterSecret",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: kmsKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
            },
        ],
    };
}

/** The application role's policy: `rds-db:connect` on exactly the given `dbuser` ARNs (`Database.clientConnectArns`). */
export function databaseConnectPolicy(dbuserArns: readonly string[]): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "ConnectAsAppUser", Effect: "Allow", Action: ["rds-db:connect"], Resource: [...dbuserArns] }],
    };
}

export interface DatabaseBootstrapArgs {
    /** Namespace of the ServiceAccount and the Job. */
    readonly namespace: pulumi.Input<string>;
    /** The application image (it has the `db-bootstrap` role and the RDS CA bundle). */
    readonly image: pulumi.Input<string>;
    /** The cluster the Pod Identity association is created in. */
    readonly clusterName: pulumi.Input<string>;
    /** The bootstrap role (policy: `databaseBootstrapPolicy`), associated with the Job's service account here. */
    readonly role: PodIdentityRole;
    /** The region's AWS provider (the association lives in the cluster's region). */
    readonly awsProvider?: pulumi.ProviderResource;
    /** Region of the master secret (the primary region). */
    readonly region: string;
    /** ARN of the master credentials secret (`Database.secretArn`). */
    readonly masterSecretArn: pulumi.Input<string>;
    /** The primary instance's address (`Database.primaryAddress`). */
    readonly host: pulumi.Input<string>;
    /** @default 5432 */
    readonly port?: number;
    readonly databaseName: string;
    /** The application's login role to create. */
    readonly appUsername: string;
    /** Schema the application role may use (created, owned by the master user). @default "app" */
    readonly schema?: string;
    /** @default "db-bootstrap" */
    readonly serviceAccountName?: string;
    /** @default DEFAULT_BOOTSTRAP_RESOURCES */
    readonly resources?: WorkloadResources;
    readonly labels?: Readonly<Record<string, string>>;
    readonly tags?: Readonly<Record<string, string>>;
}

export function validateDatabaseBootstrapArgs(args: DatabaseBootstrapArgs): Problems {
    const p = new Problems();
    validateImage(p, "image", args.image);
    if (args.resources !== undefined) {
        validateResources(p, "resources", args.resources);
    }
    p.check(/^[a-z]{2}(-[a-z]+)+-\d$/.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    for (const [key, value] of [["databaseName", args.databaseName], ["appUsername", args.appUsername], ["schema", args.schema ?? DEFAULT_APP_SCHEMA]] as const) {
        p.check(PG_IDENTIFIER.test(value), key, `must be a PostgreSQL identifier (a letter, then letters, digits or '_', at most 63), got ${show(value)}`);
    }
    const sa = args.serviceAccountName ?? DEFAULT_BOOTSTRAP_SERVICE_ACCOUNT;
    p.check(DNS_LABEL.test(sa), "serviceAccountName", `must be a DNS label such as "db-bootstrap", got ${show(sa)}`);
    const port = args.port ?? 5432;
    p.check(Number.isInteger(port) && port >= 1 && port <= 65535, "port", `must be a TCP port, got ${show(port)}`);
    return p;
}

/** Creates the application's database role from inside the cluster (see the module comment). */
export class DatabaseBootstrap extends pulumi.ComponentResource {
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: DatabaseBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
        validateDatabaseBootstrapArgs(args).throwIfAny(`DatabaseBootstrap "${name}"`);
        super("scaled-web:data:DatabaseBootstrap", name, {}, opts);
        const saName = args.serviceAccountName ?? DEFAULT_BOOTSTRAP_SERVICE_ACCOUNT;
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/name": "db-bootstrap", "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };
        this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: saName, namespace: args.namespace, labels },
            automountServiceAccountToken: false,
        }, { parent: this });
        const association = args.role.associate(`${name}-sa`, {
            clusterName: args.clusterName,
            // PodIdentityBinding types `namespace` as a string, but it only flows into the association's Input: the
            // ServiceAccount's namespace Output is passed through unchanged.
            namespace: this.serviceAccount.metadata.namespace as unknown as string,
            serviceAccount: saName,
            provider: args.awsProvider,
            parent: this,
            tags: args.tags ? { ...args.tags } : undefined,
        });
        const resources = args.resources ?? DEFAULT_BOOTSTRAP_RESOURCES;
        this.job = new k8s.batch.v1.Job(`${name}-job`, {
            metadata: { name: "db-bootstrap", namespace: args.namespace, labels },
            spec: {
                backoffLimit: DEFAULT_BOOTSTRAP_BACKOFF_LIMIT,
                activeDeadlineSeconds: DEFAULT_BOOTSTRAP_DEADLINE_SECONDS,
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: this.serviceAccount.metadata.name,
                        // The Pod Identity webhook mounts its own projected token; the API token is not needed.
                        automountServiceAccountToken: false,
                        restartPolicy: "Never",
                        securityContext: podSecurityContext(),
                        containers: [{
                            name: "db-bootstrap",
                            image: checkedImage(args.image, `DatabaseBootstrap "${name}"`),
                            imagePullPolicy: "IfNotPresent",
                            env: containerEnv({
                                APP_ROLE: "db-bootstrap",
                                AWS_REGION: args.region,
                                MASTER_SECRET_ID: args.masterSecretArn,
                                DATABASE_HOST: args.host,
                                DATABASE_PORT: String(args.port ?? 5432),
                                DATABASE_NAME: args.databaseName,
                                APP_DB_USER: args.appUsername,
                                APP_DB_SCHEMA: args.schema ?? DEFAULT_APP_SCHEMA,
                            }),
                            resources: containerResources(resources),
                            securityContext: containerSecurityContext(),
                            volumeMounts: [tmpVolumeMount()],
                        }],
                        volumes: [tmpVolume()],
                    },
                },
            },
        }, {
            parent: this,
            deleteBeforeReplace: true,
            // order: the Pod Identity webhook injects credentials when the pod is created, so the association must exist
            // first; the Job's inputs do not refer to it.
            dependsOn: [association],
        });
        this.registerOutputs({ jobName: this.job.metadata.name });
    }
}
