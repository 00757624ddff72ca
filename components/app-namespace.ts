import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, Problems, show } from "./validation";
import { PART_OF, PodSecurityLevel, URL_WITH_CREDENTIALS, podSecurityLabels } from "./workload-spec";

/** Pod Security Standard the namespace enforces by default: what every workload of this package complies with. */
export const DEFAULT_POD_SECURITY_LEVEL: PodSecurityLevel = "restricted";

/** A key of a Secret or ConfigMap. */
export const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** A DNS subdomain (RFC 1123), the rule for Secret and ConfigMap names. */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface AppNamespaceArgs {
    /** Name of the Namespace (a DNS label), e.g. `"scaled-web"`. */
    readonly namespace: string;
    /**
     * Secrets to create in the namespace: Secret name -> key -> value. Values are usually secret Outputs
     * (database passwords, cache auth tokens); each Secret's `stringData` is stored as a Pulumi secret
     * whatever its values are. @default {}
     */
    readonly secrets?: Readonly<Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>>;
    /**
     * ConfigMaps to create: ConfigMap name -> key -> value. Only non-secret settings: plain values that
     * contain a URL with credentials are rejected. @default {}
     */
    readonly configMaps?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
    /**
     * Pod Security Standard the namespace enforces (Pod Security Admission `enforce`, `warn`, `audit`).
     * @default "restricted"
     */
    readonly podSecurity?: PodSecurityLevel;
    /** Extra labels on every object. @default {} */
    readonly labels?: Readonly<Record<string, string>>;
    /**
     * Labels on the Namespace only, e.g. `{ "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" }` (the AWS Load
     * Balancer Controller then injects ALB readiness gates into pods behind a TargetGroupBinding). @default {}
     */
    readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** Checks plain AppNamespace args; returns the problems found (empty when valid). */
export function validateAppNamespaceArgs(args: AppNamespaceArgs): Problems {
    const problems = new Problems();
    if (typeof args.namespace !== "string" || !DNS_LABEL.test(args.namespace)) {
        problems.add("namespace", `must be a DNS label (lower-case letters, digits, '-', at most 63 characters) such as "scaled-web", got ${show(args.namespace)}`);
    }
    if (args.podSecurity !== undefined && args.podSecurity !== "restricted" && args.podSecurity !== "baseline") {
        problems.add("podSecurity", `must be "restricted" or "baseline" ("privileged" is not offered), got ${show(args.podSecurity)}`);
    }
    const names = new Map<string, string>();
    const checkName = (kind: "secrets" | "configMaps", name: string): void => {
        if (!DNS_SUBDOMAIN.test(name)) {
            problems.add(`${kind}.${name}`, `must be a Kubernetes object name (lower-case DNS subdomain) such as "app-config", got ${show(name)}`);
        }
        const other = names.get(name);
        if (other === kind) {
            problems.add(`${kind}.${name}`, "is given twice");
        }
        names.set(name, kind);
    };
    for (const name of Object.keys(args.secrets ?? {})) {
        checkName("secrets", name);
    }
    for (const [name, data] of Object.entries(args.configMaps ?? {})) {
        checkName("configMaps", name);
        for (const [key, value] of Object.entries(data ?? {})) {
            if (!CONFIG_KEY.test(key)) {
                problems.add(`configMaps.${name}.${key}`, `must be a ConfigMap key (letters, digits, '-', '_', '.'), got ${show(key)}`);
            }
            if (typeof value === "string" && URL_WITH_CREDENTIALS.test(value)) {
                problems.add(`configMaps.${name}.${key}`, "is a URL with credentials in it; put it in a Secret (args.secrets), ConfigMaps are readable in plain text");
            }
        }
    }
    return problems;
}

/**
 * A namespace for an application and its settings: the Namespace (enforcing the restricted Pod Security
 * Standard), Secrets built from secret Outputs (their `stringData` is a Pulumi secret, so it is
 * encrypted in the state and never shown in a diff) and ConfigMaps for the non-secret settings. Workloads
 * read them with `envFrom` / `secretKeyRef`, so no credential appears in a Deployment's manifest.
 *
 * Pass the cluster's `k8s.Provider` in `opts.provider` (or `opts.providers`); every child uses it.
 */
export class AppNamespace extends pulumi.ComponentResource {
    public readonly namespaceResource: k8s.core.v1.Namespace;
    /** The namespace's name (resolves once the Namespace exists). */
    public readonly namespace: pulumi.Output<string>;
    /** Secrets keyed by name. */
    public readonly secrets: Readonly<Record<string, k8s.core.v1.Secret>>;
    /** ConfigMaps keyed by name. */
    public readonly configMaps: Readonly<Record<string, k8s.core.v1.ConfigMap>>;
    /** Secret names keyed by name (resolve once each Secret exists: depend on them through these). */
    public readonly secretNames: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly configMapNames: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        validateAppNamespaceArgs(args).throwIfAny(`AppNamespace "${name}"`);
        super("scaled-web:workloads:AppNamespace", name, {}, opts);

        const child = { parent: this };
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };

        this.namespaceResource = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: args.namespace, labels: { ...(args.namespaceLabels ?? {}), ...labels, ...podSecurityLabels(args.podSecurity ?? DEFAULT_POD_SECURITY_LEVEL) } },
        }, child);
        this.namespace = this.namespaceResource.metadata.name;

        const secrets: Record<string, k8s.core.v1.Secret> = {};
        for (const [secretName, data] of Object.entries(args.secrets ?? {})) {
            secrets[secretName] = new k8s.core.v1.Secret(`${name}-${secretName}`, {
                metadata: { name: secretName, namespace: this.namespace, labels },
                type: "Opaque",
                stringData: pulumi.secret(data),
            }, child);
        }
        const configMaps: Record<string, k8s.core.v1.ConfigMap> = {};
        for (const [mapName, data] of Object.entries(args.configMaps ?? {})) {
            configMaps[mapName] = new k8s.core.v1.ConfigMap(`${name}-${mapName}`, {
                metadata: { name: mapName, namespace: this.namespace, labels },
                data,
            }, child);
        }

        this.secrets = secrets;
        this.configMaps = configMaps;
        this.secretNames = Object.fromEntries(Object.entries(secrets).map(([k, s]) => [k, s.metadata.name]));
        this.configMapNames = Object.fromEntries(Object.entries(configMaps).map(([k, c]) => [k, c.metadata.name]));

        this.registerOutputs({
            namespace: this.namespace,
            secretNames: this.secretNames,
            configMapNames: this.configMapNames,
        });
    }
}
