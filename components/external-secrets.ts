/**
 * Secrets from AWS Secrets Manager into Kubernetes through the External Secrets Operator (ESO).
 *
 * - `ExternalSecretsOperator`: the ESO Helm chart, pinned, in one cluster; the controller's service account is bound to
 *   an IAM role through EKS Pod Identity (`PodIdentityRole`, one role for the stack, created by the caller). The
 *   association is created before the chart so the controller pod starts with the Pod Identity credentials.
 * - `SecretsManagerStore`: a namespaced `SecretStore` (provider `aws`, service `SecretsManager`, the region's own
 *   endpoint, no `auth` block: the controller's Pod Identity credentials) and one `ExternalSecret` per workload,
 *   each listing only the keys that workload reads.
 *
 * Facts relied on (external-secrets/external-secrets at tag helm-chart-0.19.2, commit 1c60db34):
 * - docs/snippets/provider-aws-access.md, "EKS Pod Identity Setup": no `auth` section in the SecretStore; the chart's
 *   `serviceAccount.name` is the service account the association names; `serviceAccountRef` cannot be combined
 *   with Pod Identity;
 * - pkg/provider/aws/secretsmanager/secretsmanager.go: reading a `remoteRef` (`fetch` -> `constructSecretValue`) calls
 *   `GetSecretValue` only, so the role needs no `DescribeSecret`/`ListSecrets` (those serve `find`, PushSecret and
 *   deletion, which this platform does not use);
 * - deploy/charts/external-secrets/values.yaml: `installCRDs`, `serviceAccount.name`, `processClusterStore`,
 *   `processClusterExternalSecret`, `processPushSecret`, `processClusterPushSecret`;
 * - config/crds/bases/external-secrets.io_{externalsecrets,secretstores}.yaml: API `external-secrets.io/v1` (served and
 *   stored; v1beta1 is no longer served). tests/fixtures/external-secrets-0.19.2-crds.json holds these schemas.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEY } from "./app-namespace";
import type { HelmChart, AddonCompatibility } from "./cluster-addons";
import { PodIdentityRole } from "./pod-identity";
import { DNS_LABEL, Problems, show } from "./validation";
import { PART_OF } from "./workload-spec";

/** The pinned chart (https://charts.external-secrets.io, chart version 0.19.2, appVersion v0.19.2). */
export const EXTERNAL_SECRETS_CHART: HelmChart = { chart: "external-secrets", version: "0.19.2", repo: "https://charts.external-secrets.io" };

/**
 * Kubernetes versions ESO 0.19.x is tested on, from its own table: docs/introduction/stability-support.md at
 * helm-chart-0.19.2 lists "0.19.x | 1.33". The project tests only the versions in that table; 1.31 and 1.32 were last
 * listed for 0.13.x (1.19-1.31) and 0.14-0.16 (1.32), whose CRDs are older (v1beta1). So 1.33 is what this pin
 * supports; a stack on 1.31/1.32 is refused by the config rule that reads this entry.
 */
export const EXTERNAL_SECRETS_COMPATIBILITY: AddonCompatibility = {
    chartVersion: "0.19.2", appVersion: "v0.19.2", minKubernetes: "1.33", maxKubernetes: "1.33",
    source: "external-secrets/external-secrets@helm-chart-0.19.2: docs/introduction/stability-support.md (0.19.x: Kubernetes 1.33), deploy/charts/external-secrets/Chart.yaml appVersion v0.19.2",
};

export const EXTERNAL_SECRETS_NAMESPACE = "external-secrets";
/** The controller's service account (chart value `serviceAccount.name`), which the Pod Identity association names. */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = "external-secrets";
export const EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1";
/** How often ESO re-reads Secrets Manager; a rotated value reaches the Kubernetes Secret within this time. */
export const DEFAULT_REFRESH_INTERVAL = "1h";

/**
 * The controller role's policy: `secretsmanager:GetSecretValue` on the given secret ARN patterns only (e.g. every
 * region's `arn:aws:secretsmanager:*:<account>:secret:<stack prefix>/*`), and `kms:Decrypt` through Secrets Manager
 * when the secrets use customer keys.
 */
export function externalSecretsPolicy(secretArnPatterns: readonly string[], kmsKeyArns: readonly string[] = []): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadStackSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...secretArnPatterns] },
            ...(kmsKeyArns.length > 0 ? [{
                Sid: "DecryptThroughSecretsManager",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: [...kmsKeyArns],
                Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
            }] : []),
        ],
    };
}

/** `arn:<partition>:secretsmanager:*:<account>:secret:<prefix>*`: every secret whose name starts with `prefix`, in any region. */
export function secretArnPattern(partition: string, account: string, namePrefix: string): string {
    return `arn:${partition}:secretsmanager:*:${account}:secret:${namePrefix}*`;
}

export interface ExternalSecretsOperatorArgs {
    /** The cluster's Kubernetes provider. */
    readonly k8sProvider: k8s.Provider;
    /** The cluster the Pod Identity association is created in. */
    readonly clusterName: pulumi.Input<string>;
    /** The stack's ESO role (see `externalSecretsPolicy`); associated with the controller's service account here. */
    readonly role: PodIdentityRole;
    /** The region's AWS provider (the association lives in the cluster's region). */
    readonly awsProvider?: pulumi.ProviderResource;
    /** Another chart (a newer pin after reading its CRDs and compatibility). @default EXTERNAL_SECRETS_CHART */
    readonly chart?: HelmChart;
    /** Extra chart values merged over the component's. @default {} */
    readonly values?: Readonly<Record<string, unknown>>;
    readonly tags?: Readonly<Record<string, string>>;
}

/** The chart values the component sets (deploy/charts/external-secrets/values.yaml@helm-chart-0.19.2). */
export function externalSecretsValues(): Record<string, unknown> {
    return {
        installCRDs: true,
        serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT },
        // Only namespaced SecretStores/ExternalSecrets are used: a cluster-wide store would let any namespace read
        // through the controller's role, and nothing here pushes secrets back to AWS.
        processClusterStore: false,
        processClusterExternalSecret: false,
        processPushSecret: false,
        processClusterPushSecret: false,
    };
}

/** ESO in one cluster, its controller bound to the stack's role through EKS Pod Identity. */
export class ExternalSecretsOperator extends pulumi.ComponentResource {
    /** The Helm release; SecretStores and ExternalSecrets depend on it (its CRDs). */
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ExternalSecretsOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaled-web:workloads:ExternalSecretsOperator", name, {}, opts);
        const chart = args.chart ?? EXTERNAL_SECRETS_CHART;
        const association = args.role.associate(`${name}-controller`, {
            clusterName: args.clusterName,
            namespace: EXTERNAL_SECRETS_NAMESPACE,
            serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT,
            provider: args.awsProvider,
            parent: this,
            tags: args.tags ? { ...args.tags } : undefined,
        });
        this.release = new k8s.helm.v3.Release(`${name}-eso`, {
            name: "external-secrets",
            chart: chart.chart,
            version: chart.version,
            repositoryOpts: chart.repo ? { repo: chart.repo } : undefined,
            namespace: EXTERNAL_SECRETS_NAMESPACE,
            createNamespace: true,
            atomic: true,
            values: { ...externalSecretsValues(), ...(args.values ?? {}) },
        }, {
            parent: this,
            provider: args.k8sProvider,
            // order: the Pod Identity webhook injects credentials when a pod is created; the association must exist
            // before the controller pod starts, and nothing in the chart's inputs refers to it.
            dependsOn: [association],
        });
        this.registerOutputs({ releaseName: this.release.name });
    }
}

/** One key of a workload's Secret: where ESO reads it. */
export interface ExternalSecretKey {
    /** Secrets Manager secret name (or ARN) in the store's region. */
    readonly remoteKey: pulumi.Input<string>;
    /** JSON property of the secret's value; omitted: the whole value. */
    readonly property?: string;
}

export interface SecretsManagerStoreArgs {
    /** Namespace of the store and of every ExternalSecret. */
    readonly namespace: pulumi.Input<string>;
    /** The region whose Secrets Manager the store reads (the cluster's own region). */
    readonly region: string;
    /** Name of the SecretStore. @default "aws-secrets-manager" */
    readonly storeName?: string;
    /**
     * The Kubernetes Secrets to create: Secret name -> environment key -> where it comes from. One per workload,
     * with only the keys that workload uses.
     */
    readonly secrets: Readonly<Record<string, Readonly<Record<string, ExternalSecretKey>>>>;
    /** @default "1h" */
    readonly refreshInterval?: string;
    /** The operator (its CRDs must exist first). */
    readonly operator?: ExternalSecretsOperator;
    readonly labels?: Readonly<Record<string, string>>;
}

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

export function validateSecretsManagerStoreArgs(args: SecretsManagerStoreArgs): Problems {
    const p = new Problems();
    p.check(AWS_REGION.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    const store = args.storeName ?? "aws-secrets-manager";
    p.check(DNS_LABEL.test(store), "storeName", `must be a DNS label such as "aws-secrets-manager", got ${show(store)}`);
    const refresh = args.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
    p.check(DURATION.test(refresh), "refreshInterval", `must be a Go duration such as "1h" or "15m", got ${show(refresh)}`);
    p.check(Object.keys(args.secrets).length > 0, "secrets", "must name at least one Secret (one per workload)");
    for (const [secretName, keys] of Object.entries(args.secrets)) {
        p.check(DNS_LABEL.test(secretName), `secrets.${secretName}`, `must be a Kubernetes object name (a DNS label) such as "api-secrets", got ${show(secretName)}`);
        p.check(Object.keys(keys).length > 0, `secrets.${secretName}`, "lists no key; a workload that reads no secret needs no ExternalSecret");
        for (const [key, ref] of Object.entries(keys)) {
            p.check(CONFIG_KEY.test(key), `secrets.${secretName}.${key}`, `must be a Secret key (letters, digits, '-', '_', '.'), got ${show(key)}`);
            if (typeof ref.remoteKey === "string") {
                p.check(ref.remoteKey.length > 0, `secrets.${secretName}.${key}.remoteKey`, "must name a Secrets Manager secret");
            }
        }
    }
    return p;
}

/** The manifest of one ExternalSecret (pure: tests compare it with the CRD schema). */
export function externalSecretSpec(store: string, target: string, keys: Readonly<Record<string, { remoteKey: string; property?: string }>>, refreshInterval = DEFAULT_REFRESH_INTERVAL): Record<string, unknown> {
    return {
        refreshInterval,
        secretStoreRef: { name: store, kind: "SecretStore" },
        // Owner: the Secret is deleted with the ExternalSecret; Merge would leave stale keys of a removed workload.
        target: { name: target, creationPolicy: "Owner", deletionPolicy: "Retain" },
        data: Object.entries(keys).map(([secretKey, ref]) => ({
            secretKey,
            remoteRef: { key: ref.remoteKey, ...(ref.property ? { property: ref.property } : {}) },
        })),
    };
}

/**
 * A namespaced SecretStore over the region's Secrets Manager and one ExternalSecret per workload Secret. The Kubernetes
 * Secrets are created (and refreshed) by ESO, so their values never pass through Pulumi state.
 */
export class SecretsManagerStore extends pulumi.ComponentResource {
    public readonly store: k8s.apiextensions.CustomResource;
    public readonly externalSecrets: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
    /** Secret names keyed by name; each resolves once its ExternalSecret exists (ESO then creates the Secret). */
    public readonly secretNames: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: SecretsManagerStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        validateSecretsManagerStoreArgs(args).throwIfAny(`SecretsManagerStore "${name}"`);
        super("scaled-web:workloads:SecretsManagerStore", name, {}, opts);
        const storeName = args.storeName ?? "aws-secrets-manager";
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };
        // order: the SecretStore/ExternalSecret kinds exist only once the chart has installed its CRDs; no input of
        // these objects refers to the release.
        const crds: pulumi.CustomResourceOptions = { parent: this, ...(args.operator ? { dependsOn: [args.operator.release] } : {}) };
        this.store = new k8s.apiextensions.CustomResource(`${name}-store`, {
            apiVersion: EXTERNAL_SECRETS_API_VERSION,
            kind: "SecretStore",
            metadata: { name: storeName, namespace: args.namespace, labels },
            spec: { provider: { aws: { service: "SecretsManager", region: args.region } } },
        }, crds);
        const externalSecrets: Record<string, k8s.apiextensions.CustomResource> = {};
        const secretNames: Record<string, pulumi.Output<string>> = {};
        for (const [secretName, keys] of Object.entries(args.secrets)) {
            const resolved = pulumi.all(Object.fromEntries(Object.entries(keys).map(([k, ref]) => [k, pulumi.output(ref.remoteKey).apply((remoteKey) => ({ remoteKey, property: ref.property }))])));
            const es = new k8s.apiextensions.CustomResource(`${name}-${secretName}`, {
                apiVersion: EXTERNAL_SECRETS_API_VERSION,
                kind: "ExternalSecret",
                metadata: { name: secretName, namespace: args.namespace, labels },
                spec: pulumi.all([this.store.metadata.name, resolved]).apply(([store, refs]) => externalSecretSpec(store, secretName, refs, args.refreshInterval)),
            }, { parent: this });
            externalSecrets[secretName] = es;
            secretNames[secretName] = es.metadata.name;
        }
        this.externalSecrets = externalSecrets;
        this.secretNames = secretNames;
        this.registerOutputs({ secretNames });
    }
}
