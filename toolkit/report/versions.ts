/**
 * Versions per region and the skew an upgrade leaves pending: the control plane's Kubernetes minor and support
 * policy, each EKS managed add-on against the version pinned for that minor (components/eks-addons.ts), and each
 * node pool's AMI (its launch template's `scaled-web/ami-*` tags, components/node-pool.ts) against the control plane.
 */
import { EKS_ADDON_NAMES, EksAddonName, addonVersionFits, defaultAddonVersions } from "../../components/eks-addons";
import { AMI_KUBERNETES_VERSION_TAG, AMI_RELEASE_TAG } from "../../components/node-pool";
import type { RegisteredResource } from "../offline";
import { ResourceGraph } from "./graph";

const T = {
    cluster: "aws:eks/cluster:Cluster",
    addon: "aws:eks/addon:Addon",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
} as const;

export interface AddonVersionLine {
    readonly name: string;
    readonly version: string;
    /** The version pinned for the control plane's minor, when there is a pinned row. */
    readonly pinned?: string;
}

export interface NodeImageLine {
    /** Launch template (node pool) name. */
    readonly launchTemplate: string;
    /** Kubernetes minor of the AMI; undefined when the pool names an AMI id without a version. */
    readonly kubernetesVersion?: string;
    /** amazon-eks-ami release, `recommended` (unpinned) or undefined (an AMI id). */
    readonly release?: string;
}

export interface RegionVersions {
    readonly region: string;
    readonly cluster: string;
    readonly kubernetesVersion?: string;
    readonly supportType?: string;
    readonly addons: readonly AddonVersionLine[];
    readonly nodeImages: readonly NodeImageLine[];
}

export interface VersionReport {
    readonly regions: readonly RegionVersions[];
    /** Pending version skew and unpinned versions, one sentence each; empty when everything matches. */
    readonly skew: readonly string[];
}

function minorOrdinal(v: string): number {
    const [major, minor] = v.split(".").map(Number);
    return major * 100 + minor;
}

/** The engine's unknown (toolkit/offline.ts `UNKNOWN`), repeated so the report stays free of the Pulumi runtime. */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const known = (v: unknown): v is string => typeof v === "string" && v !== UNKNOWN_VALUE;

export function buildVersionReport(graph: ResourceGraph): VersionReport {
    const regions: RegionVersions[] = [];
    const skew: string[] = [];
    for (const cluster of graph.ofType(T.cluster)) {
        const region = graph.regionLabel(cluster);
        const version = known(cluster.inputs.version) ? cluster.inputs.version : undefined;
        const supportType = cluster.inputs.upgradePolicy?.supportType;
        const sameRegion = (r: RegisteredResource): boolean => graph.regionLabel(r) === region;
        const row = version ? defaultAddonVersions(version) : undefined;

        const addons: AddonVersionLine[] = graph.ofType(T.addon).filter(sameRegion).map((a) => {
            const name = String(a.inputs.addonName);
            const pinned = (EKS_ADDON_NAMES as readonly string[]).includes(name) ? row?.[name as EksAddonName] : undefined;
            return { name, version: String(a.inputs.addonVersion ?? "default"), ...(pinned ? { pinned } : {}) };
        }).sort((a, b) => a.name.localeCompare(b.name));
        for (const a of addons) {
            if (!version || !(EKS_ADDON_NAMES as readonly string[]).includes(a.name)) {
                continue;
            }
            if (!addonVersionFits(a.name as EksAddonName, a.version, version)) {
                skew.push(`${region}: add-on ${a.name} ${a.version} is not a version for Kubernetes ${version}${a.pinned ? ` (pinned: ${a.pinned}); drop the cluster.addonVersions.${a.name} override or move it` : ""}`);
            }
        }
        const missing = EKS_ADDON_NAMES.filter((n) => !addons.some((a) => a.name === n));
        if (missing.length > 0) {
            skew.push(`${region}: no managed add-on for ${missing.join(", ")} (a self-managed install is not upgraded with the control plane)`);
        }

        const nodeImages: NodeImageLine[] = graph.ofType(T.launchTemplate).filter(sameRegion).map((lt) => {
            const tags = (lt.inputs.tags ?? {}) as Record<string, string>;
            return {
                launchTemplate: lt.name,
                ...(known(tags[AMI_KUBERNETES_VERSION_TAG]) ? { kubernetesVersion: tags[AMI_KUBERNETES_VERSION_TAG] } : {}),
                ...(known(tags[AMI_RELEASE_TAG]) ? { release: tags[AMI_RELEASE_TAG] } : {}),
            };
        });
        for (const n of nodeImages) {
            if (version && n.kubernetesVersion && minorOrdinal(n.kubernetesVersion) < minorOrdinal(version)) {
                skew.push(`${region}: nodes of ${n.launchTemplate} run the Kubernetes ${n.kubernetesVersion} AMI, the control plane ${version}: move cluster.nodeAmi.kubernetesVersion to ${version} (with a release built for it) and let the instance refresh roll the nodes`);
            }
            if (n.release === "recommended") {
                skew.push(`${region}: nodes of ${n.launchTemplate} follow SSM's recommended AMI, which moves with every AWS release: pin cluster.nodeAmi.release`);
            }
        }
        regions.push({ region, cluster: cluster.name, ...(version ? { kubernetesVersion: version } : {}), ...(supportType ? { supportType } : {}), addons, nodeImages });
    }
    return { regions, skew };
}
