import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, show } from "./validation";

/** The EKS managed add-ons every cluster runs (`aws.eks.Addon` names). */
export const EKS_ADDON_NAMES = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns"] as const;
export type EksAddonName = (typeof EKS_ADDON_NAMES)[number];
/** Kubernetes minors the platform supports (and `EKS_ADDON_VERSIONS` has a row for). */
export const SUPPORTED_KUBERNETES_VERSIONS = ["1.31", "1.32", "1.33"] as const;
export type SupportedKubernetesVersion = (typeof SUPPORTED_KUBERNETES_VERSIONS)[number];
export type EksAddonVersions = Readonly<Record<EksAddonName, string>>;

/**
 * Where each column of `EKS_ADDON_VERSIONS` was read: the "latest version of the Amazon EKS add-on type for each
 * Kubernetes version" tables of the EKS User Guide, as stored in the documentation corpus. The Pod Identity agent
 * has no such table; its pin is the agent's release line used by current public Terraform modules.
 */
export const EKS_ADDON_VERSION_SOURCES: Readonly<Record<EksAddonName, string>> = {
    "vpc-cni": "docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html \"Amazon VPC CNI versions\" (1.27-1.33: v1.20.1-eksbuild.3)",
    "kube-proxy": "docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html \"kube-proxy versions\" (1.33: v1.33.5-eksbuild.2, 1.32: v1.32.9-eksbuild.2, 1.31: v1.31.13-eksbuild.2)",
    "eks-pod-identity-agent": "aws eks describe-addon-versions --addon-name eks-pod-identity-agent lists one line for every supported minor; v1.3.8-eksbuild.2 as pinned by public modules (terraform aws_eks_addon examples); check it with that command before a bump",
    coredns: "docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html \"CoreDNS versions\" (1.33: v1.12.4-eksbuild.1, 1.32 and 1.31: v1.11.4-eksbuild.24)",
};

/**
 * Pinned add-on versions per Kubernetes minor. An upgrade is one reviewed change: bump `cluster.kubernetesVersion`
 * and the row it selects moves with it; a single add-on moves with `cluster.addonVersions.<name>` in the stack file
 * (see README "Upgrading a cluster"). Sources: `EKS_ADDON_VERSION_SOURCES`.
 */
export const EKS_ADDON_VERSIONS: Readonly<Record<SupportedKubernetesVersion, EksAddonVersions>> = {
    "1.31": { "vpc-cni": "v1.20.1-eksbuild.3", "kube-proxy": "v1.31.13-eksbuild.2", "eks-pod-identity-agent": "v1.3.8-eksbuild.2", coredns: "v1.11.4-eksbuild.24" },
    "1.32": { "vpc-cni": "v1.20.1-eksbuild.3", "kube-proxy": "v1.32.9-eksbuild.2", "eks-pod-identity-agent": "v1.3.8-eksbuild.2", coredns: "v1.11.4-eksbuild.24" },
    "1.33": { "vpc-cni": "v1.20.1-eksbuild.3", "kube-proxy": "v1.33.5-eksbuild.2", "eks-pod-identity-agent": "v1.3.8-eksbuild.2", coredns: "v1.12.4-eksbuild.1" },
};

/** `v1.33.5-eksbuild.2`: the form EKS add-on versions take. */
export const EKS_ADDON_VERSION = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;

/**
 * How an update resolves fields changed outside Pulumi: `OVERWRITE` puts EKS's values (and this stack's
 * `configurationValues`) back, so the stack file stays the one source of truth and a hand edit with kubectl cannot
 * silently survive an upgrade. `PRESERVE` would keep such edits and `NONE` would fail the update on them.
 */
export const RESOLVE_CONFLICTS_ON_UPDATE = "OVERWRITE";
/**
 * On create, `OVERWRITE` adopts an add-on that is already installed self-managed (a cluster created with
 * `bootstrapSelfManagedAddons: true`); `NONE` would fail there.
 */
export const RESOLVE_CONFLICTS_ON_CREATE = "OVERWRITE";

/** The version rows a Kubernetes minor resolves to, `undefined` outside `SUPPORTED_KUBERNETES_VERSIONS`. */
export function defaultAddonVersions(kubernetesVersion: string): EksAddonVersions | undefined {
    return (EKS_ADDON_VERSIONS as Record<string, EksAddonVersions>)[kubernetesVersion];
}

/**
 * The add-on versions for a cluster: the pinned row of its Kubernetes minor with `overrides` on top. Throws for a
 * minor without a row unless every add-on is overridden.
 */
export function resolveAddonVersions(kubernetesVersion: string, overrides: Partial<EksAddonVersions> = {}): EksAddonVersions {
    const row = defaultAddonVersions(kubernetesVersion);
    const resolved: Partial<Record<EksAddonName, string>> = {};
    for (const name of EKS_ADDON_NAMES) {
        const v = overrides[name] ?? row?.[name];
        if (v === undefined) {
            throw new Error(`no pinned ${name} version for Kubernetes ${kubernetesVersion} (pinned: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}); set addonVersions.${name}`);
        }
        resolved[name] = v;
    }
    return resolved as EksAddonVersions;
}

/**
 * The Kubernetes minor an add-on version was built for, where the version says so: kube-proxy tracks Kubernetes
 * (`v1.33.5-eksbuild.2` -> "1.33"). Other add-ons are versioned on their own and return `undefined`.
 */
export function addonKubernetesMinor(name: EksAddonName, version: string): string | undefined {
    if (name !== "kube-proxy") {
        return undefined;
    }
    const m = /^v(\d+)\.(\d+)\./.exec(version);
    return m ? `${m[1]}.${m[2]}` : undefined;
}

/**
 * Whether `version` is a known pin for `kubernetesVersion`: it appears in that minor's row (a version pinned for
 * another minor only counts when the tables list it for this one too) or, for kube-proxy, its minor matches.
 */
export function addonVersionFits(name: EksAddonName, version: string, kubernetesVersion: string): boolean {
    const kubeMinor = addonKubernetesMinor(name, version);
    if (kubeMinor !== undefined) {
        return kubeMinor === kubernetesVersion;
    }
    const row = defaultAddonVersions(kubernetesVersion);
    if (row === undefined) {
        return false;
    }
    if (row[name] === version) {
        return true;
    }
    // A version pinned only for other minors was not listed for this one.
    const pinnedElsewhere = Object.entries(EKS_ADDON_VERSIONS).some(([k, r]) => k !== kubernetesVersion && r[name] === version);
    return !pinnedElsewhere;
}

/**
 * `configurationValues` of the vpc-cni add-on: the network policy agent on (`enableNetworkPolicy` is a string in the
 * add-on schema, as in the aws-vpc-cni chart values at v1.20.1, charts/aws-vpc-cni/values.yaml `enableNetworkPolicy:
 * "false"`, and the EKS User Guide "Enable the network policy parameter for the add-on": `{"enableNetworkPolicy":
 * "true"}`). Policies are enforced in the agent's standard mode: a new pod starts default-allow until its policies
 * are programmed, then the namespace's default deny holds.
 */
export function vpcCniConfiguration(networkPolicy: boolean): Record<string, unknown> {
    return { enableNetworkPolicy: networkPolicy ? "true" : "false" };
}

export interface EksAddonsArgs {
    /** Name of the EKS cluster the add-ons are installed into. */
    readonly clusterName: pulumi.Input<string>;
    /** Kubernetes minor of the control plane; selects the row of `EKS_ADDON_VERSIONS`. */
    readonly kubernetesVersion: string;
    /**
     * Which add-ons this component installs. The node-side DaemonSets (vpc-cni, kube-proxy,
     * eks-pod-identity-agent) go in before any node joins, CoreDNS (a Deployment that only turns ACTIVE once its
     * pods run) after the node pools: `Cluster` installs the first three, the caller a second `EksAddons` for CoreDNS.
     * @default every add-on in EKS_ADDON_NAMES
     */
    readonly addons?: readonly EksAddonName[];
    /**
     * Per add-on version overrides, e.g. `{ coredns: "v1.12.4-eksbuild.1" }` after `aws eks describe-addon-versions`.
     * @default the pinned row of `kubernetesVersion`
     */
    readonly versions?: Partial<EksAddonVersions>;
    /**
     * Enable the VPC CNI's network policy agent (Kubernetes NetworkPolicy enforcement with eBPF).
     * @default true
     */
    readonly networkPolicy?: boolean;
    /** Resources the add-ons are created after (e.g. the node pools CoreDNS needs). @default [] */
    readonly after?: readonly pulumi.Resource[];
    /** Tags for every add-on. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Checks plain EksAddons args; returns the problems found (empty when valid). */
export function validateEksAddonsArgs(args: EksAddonsArgs): Problems {
    const problems = new Problems();
    for (const [name, version] of Object.entries(args.versions ?? {})) {
        problems.check((EKS_ADDON_NAMES as readonly string[]).includes(name), `versions.${name}`, `is not a managed add-on of the platform (${EKS_ADDON_NAMES.join(", ")})`);
        problems.check(typeof version === "string" && EKS_ADDON_VERSION.test(version), `versions.${name}`, `must be an EKS add-on version such as "v1.20.1-eksbuild.3", got ${show(version)}`);
    }
    const row = defaultAddonVersions(args.kubernetesVersion);
    if (row === undefined) {
        const missing = (args.addons ?? EKS_ADDON_NAMES).filter((n) => args.versions?.[n] === undefined);
        problems.check(missing.length === 0, "kubernetesVersion",
            `${show(args.kubernetesVersion)} has no pinned add-on versions (pinned: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}); use one of those or set versions for ${show(missing)}`);
    }
    return problems;
}

/**
 * EKS managed add-ons (`aws.eks.Addon`), versions pinned per Kubernetes minor, updates resolved with `OVERWRITE`
 * and creation adopting a self-managed install. `vpc-cni` runs with its network policy agent on. Removing the
 * component leaves the software running (`preserve: true`) so deleting an add-on resource never cuts pod
 * networking or DNS. Pass the region's `aws.Provider` in `opts.provider`.
 */
export class EksAddons extends pulumi.ComponentResource {
    public readonly addons: Readonly<Partial<Record<EksAddonName, aws.eks.Addon>>>;
    public readonly versions: EksAddonVersions | Partial<EksAddonVersions>;

    constructor(name: string, args: EksAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        validateEksAddonsArgs(args).throwIfAny(`EksAddons "${name}"`);
        super("scaled-web:compute:EksAddons", name, {}, opts);
        const wanted = args.addons ?? EKS_ADDON_NAMES;
        const row = defaultAddonVersions(args.kubernetesVersion);
        const versions: Partial<Record<EksAddonName, string>> = {};
        const addons: Partial<Record<EksAddonName, aws.eks.Addon>> = {};
        for (const addon of wanted) {
            const version = args.versions?.[addon] ?? row![addon];
            versions[addon] = version;
            const configuration = addon === "vpc-cni" ? vpcCniConfiguration(args.networkPolicy ?? true) : undefined;
            addons[addon] = new aws.eks.Addon(`${name}-${addon}`, {
                clusterName: args.clusterName,
                addonName: addon,
                addonVersion: version,
                ...(configuration ? { configurationValues: JSON.stringify(configuration) } : {}),
                resolveConflictsOnCreate: RESOLVE_CONFLICTS_ON_CREATE,
                resolveConflictsOnUpdate: RESOLVE_CONFLICTS_ON_UPDATE,
                preserve: true,
                tags: { ...(args.tags ?? {}) },
            }, {
                parent: this,
                // order: the caller names what an add-on needs that no input carries, e.g. CoreDNS waits for the node
                // pools (its create only turns ACTIVE once its pods run on a Ready node).
                dependsOn: [...(args.after ?? [])],
            });
        }
        this.addons = addons;
        this.versions = versions;
        this.registerOutputs({ versions });
    }
}
