/**
 * Estimated duration of a first `pulumi up` and its critical path, computed over the dependency graph an
 * offline run records, with a typical creation time per resource type (each figure names its source or
 * says "estimate"). Pure: works on any `RegisteredResource[]`.
 *
 * When the engine may start a resource, as the Node.js SDK orders registrations
 * (@pulumi/pulumi 3.248.0 runtime/resource.js `prepareResource`):
 *  - after every resource in its `dependencies` is created: explicit `dependsOn` (a component expanded to
 *    the custom resources under it, runtime/dependsOn.js `getAllTransitivelyReferencedResourceURNs`) and the
 *    resources its input values came from (`propertyDependencies`). The SDK awaits each one's URN, which the
 *    engine answers only once that resource's step is done;
 *  - after its parent is registered (`await parent.urn.promise()`): a custom parent once it is created, a
 *    component once its own registration went out, which waits for the component's `dependsOn`
 *    (registerOutputs does not hold children back);
 *  - after its provider is created (`ProviderResource.register` awaits the provider's URN and id).
 * Components take no time of their own. The engine runs independent steps in parallel (unbounded here).
 */
import type { RegisteredResource } from "../offline";
import { STACK_TYPE } from "./graph";

/** One typical creation time. */
export interface CreationTime {
    /** What it applies to, e.g. `aws:eks/cluster:Cluster`, or `aws:rds/instance:Instance (Multi-AZ)`. */
    readonly label: string;
    readonly seconds: number;
    /** Where the figure comes from; "estimate" when no published figure was found. */
    readonly source: string;
}

const MIN = 60;
const ESTIMATE = "estimate";

/** Typical creation times by resource type (first match wins; see `creationTimeOf`). */
export const CREATION_TIMES: Readonly<Record<string, CreationTime>> = {
    eksCluster: {
        label: "aws:eks/cluster:Cluster", seconds: 15 * MIN,
        source: "measured 13-16 min across 21 regions (15:00 in us-west-2), https://easontechtalk.com/unofficial-eks-cluster-creation-performance-across-aws-regions",
    },
    rdsMultiAz: {
        label: "aws:rds/instance:Instance (Multi-AZ)", seconds: 20 * MIN,
        source: "15-20 min Multi-AZ vs 5-10 min single-AZ from RDS events, https://github.com/hashicorp/terraform/issues/498",
    },
    rdsSingleAz: {
        label: "aws:rds/instance:Instance (single-AZ)", seconds: 10 * MIN,
        source: "5-10 min from RDS events, https://github.com/hashicorp/terraform/issues/498",
    },
    rdsReplica: { label: "aws:rds/instance:Instance (same-region read replica)", seconds: 15 * MIN, source: ESTIMATE },
    rdsCrossRegionReplica: { label: "aws:rds/instance:Instance (cross-region read replica)", seconds: 25 * MIN, source: ESTIMATE },
    rdsProxy: {
        label: "aws:rds/proxy:Proxy", seconds: 5 * MIN,
        source: "estimate; a create log still running after 2.5 min: https://github.com/turbot/steampipe-plugin-aws/pull/1414",
    },
    cache: {
        label: "aws:elasticache/replicationGroup:ReplicationGroup", seconds: 15 * MIN,
        source: "estimate (the AWS provider's default create timeout is 60 min: https://github.com/hashicorp/terraform-provider-aws/pull/4093)",
    },
    natGateway: {
        label: "aws:ec2/natGateway:NatGateway", seconds: 2 * MIN,
        source: "estimate; an apply log shows 3+ min: https://github.com/hashicorp/terraform/issues/8687",
    },
    asg: { label: "aws:autoscaling/group:Group (waits for capacity)", seconds: 4 * MIN, source: ESTIMATE },
    loadBalancer: { label: "aws:lb/loadBalancer:LoadBalancer", seconds: 3 * MIN, source: ESTIMATE },
    certValidation: { label: "aws:acm/certificateValidation:CertificateValidation", seconds: 5 * MIN, source: ESTIMATE },
    helm: { label: "kubernetes:helm.sh/v3:Release (atomic: waits for pods)", seconds: 2 * MIN, source: ESTIMATE },
    k8sWorkload: { label: "kubernetes:apps/v1:Deployment (waits for rollout)", seconds: 1 * MIN, source: ESTIMATE },
    peering: { label: "aws:ec2/vpcPeeringConnection*", seconds: 1 * MIN, source: ESTIMATE },
    codebuild: { label: "aws:codebuild/project:Project", seconds: 30, source: ESTIMATE },
    ampScraper: {
        label: "aws:amp/scraper:Scraper", seconds: 10 * MIN,
        source: "estimate: CreateScraper makes a network interface per subnet and a service role, then reports CREATING until ACTIVE (AMP API reference CreateScraper, ScraperStatus); \"several minutes\" in third-party provider docs",
    },
    grafanaWorkspace: { label: "aws:grafana/workspace:Workspace", seconds: 5 * MIN, source: ESTIMATE },
    otherAws: { label: "other AWS resources (API calls)", seconds: 10, source: ESTIMATE },
    otherK8s: { label: "other Kubernetes objects", seconds: 5, source: ESTIMATE },
    other: { label: "providers, random values, anything else", seconds: 1, source: ESTIMATE },
    component: { label: "component resources", seconds: 0, source: "no cloud work (the engine registers them at once)" },
};

/** The figure for one resource. */
export function creationTimeOf(r: RegisteredResource): { key: keyof typeof CREATION_TIMES } & CreationTime {
    const pick = (key: keyof typeof CREATION_TIMES): { key: keyof typeof CREATION_TIMES } & CreationTime => ({ key, ...CREATION_TIMES[key] });
    if (!r.custom || r.type === STACK_TYPE) {
        return pick("component");
    }
    const t = r.type;
    if (t === "aws:eks/cluster:Cluster") return pick("eksCluster");
    if (t === "aws:rds/instance:Instance") {
        const source = r.inputs?.replicateSourceDb;
        if (typeof source === "string" && source !== "") {
            // A cross-region replica names its source by ARN; a same-region one by identifier.
            return pick(source.startsWith("arn:") ? "rdsCrossRegionReplica" : "rdsReplica");
        }
        return pick(r.inputs?.multiAz ? "rdsMultiAz" : "rdsSingleAz");
    }
    if (t === "aws:rds/proxy:Proxy") return pick("rdsProxy");
    if (t === "aws:elasticache/replicationGroup:ReplicationGroup") return pick("cache");
    if (t === "aws:ec2/natGateway:NatGateway") return pick("natGateway");
    if (t === "aws:autoscaling/group:Group") return pick("asg");
    if (t === "aws:lb/loadBalancer:LoadBalancer") return pick("loadBalancer");
    if (t === "aws:acm/certificateValidation:CertificateValidation") return pick("certValidation");
    if (t === "kubernetes:helm.sh/v3:Release") return pick("helm");
    if (t === "kubernetes:apps/v1:Deployment") return pick("k8sWorkload");
    if (t.startsWith("aws:ec2/vpcPeeringConnection")) return pick("peering");
    if (t === "aws:codebuild/project:Project") return pick("codebuild");
    if (t === "aws:amp/scraper:Scraper") return pick("ampScraper");
    if (t === "aws:grafana/workspace:Workspace") return pick("grafanaWorkspace");
    if (t.startsWith("pulumi:providers:")) return pick("other");
    if (t.startsWith("aws:")) return pick("otherAws");
    if (t.startsWith("kubernetes:")) return pick("otherK8s");
    return pick("other");
}

/** Why a resource had to wait for the one before it on the path. */
export type WaitKind = "data" | "explicit" | "parent" | "provider";

export interface PathStep {
    readonly name: string;
    readonly type: string;
    readonly startSeconds: number;
    readonly seconds: number;
    /** How this step waited for the previous one (absent on the first step). */
    readonly waitedVia?: WaitKind;
}

/** An explicit `dependsOn` edge no input value gives: `from` waits for `to`. */
export interface ExplicitEdge {
    readonly from: string;
    readonly to: string;
}

export interface DeployEstimate {
    /** Estimated wall time of a first `pulumi up` (all creates), seconds. */
    readonly totalSeconds: number;
    /** The same with every explicit-only `dependsOn` edge dropped: what data dependencies alone force. */
    readonly dataOnlySeconds: number;
    /** The longest chain, first resource first. */
    readonly criticalPath: readonly PathStep[];
    /** Explicit-only ordering edges (resource names), by the waiting resource. */
    readonly explicitEdges: readonly ExplicitEdge[];
    /** Explicit-only edges that lie on the critical path. */
    readonly explicitOnPath: number;
    /** The figures used, with their sources, for the types present. */
    readonly figures: readonly (CreationTime & { readonly count: number })[];
}

interface Node {
    readonly r: RegisteredResource;
    /** URNs it waits for, with the kind of wait. */
    readonly waits: { urn: string; kind: WaitKind }[];
}

function buildNodes(resources: readonly RegisteredResource[], withExplicit: boolean): Map<string, Node> {
    const byUrn = new Map(resources.filter((r) => r.urn).map((r) => [r.urn, r]));
    const nodes = new Map<string, Node>();
    for (const r of byUrn.values()) {
        const data = new Set(Object.values(r.propertyDependencies ?? {}).flat());
        const waits: Node["waits"] = [];
        for (const urn of data) {
            waits.push({ urn, kind: "data" });
        }
        if (withExplicit) {
            for (const urn of r.dependencies) {
                if (!data.has(urn)) {
                    waits.push({ urn, kind: "explicit" });
                }
            }
        }
        if (r.parent && byUrn.has(r.parent)) {
            waits.push({ urn: r.parent, kind: "parent" });
        }
        const provider = r.provider ? r.provider.slice(0, Math.max(0, r.provider.lastIndexOf("::"))) || r.provider : undefined;
        if (provider && byUrn.has(provider)) {
            waits.push({ urn: provider, kind: "provider" });
        }
        nodes.set(r.urn, { r, waits: waits.filter((w) => w.urn !== r.urn && byUrn.has(w.urn)) });
    }
    return nodes;
}

/** Start and finish of every resource, and the predecessor that set its start. */
function schedule(nodes: Map<string, Node>): { finish: Map<string, number>; start: Map<string, number>; via: Map<string, { urn: string; kind: WaitKind }> } {
    const start = new Map<string, number>();
    const finish = new Map<string, number>();
    const via = new Map<string, { urn: string; kind: WaitKind }>();
    const visiting = new Set<string>();
    const visit = (urn: string): number => {
        const done = finish.get(urn);
        if (done !== undefined) {
            return done;
        }
        if (visiting.has(urn)) {
            throw new Error(`dependency cycle through ${urn}`);
        }
        visiting.add(urn);
        const node = nodes.get(urn)!;
        let s = 0;
        for (const w of node.waits) {
            // A component parent releases its children when it is registered: its start, not its finish
            // (the two are equal: components take no time).
            const t = visit(w.urn);
            if (t > s || (t === s && !via.has(urn) && t > 0)) {
                s = t;
                via.set(urn, w);
            }
        }
        const f = s + creationTimeOf(node.r).seconds;
        start.set(urn, s);
        finish.set(urn, f);
        visiting.delete(urn);
        return f;
    };
    for (const urn of nodes.keys()) {
        visit(urn);
    }
    return { finish, start, via };
}

/** The first-deploy estimate of a run's resources. */
export function estimateDeploy(resources: readonly RegisteredResource[]): DeployEstimate {
    const full = buildNodes(resources, true);
    const { finish, start, via } = schedule(full);
    const dataOnly = schedule(buildNodes(resources, false));
    let last: string | undefined;
    for (const [urn, f] of finish) {
        if (last === undefined || f > finish.get(last)!) {
            last = urn;
        }
    }
    const path: PathStep[] = [];
    const kinds: (WaitKind | undefined)[] = [];
    for (let cur = last; cur !== undefined;) {
        const node = full.get(cur)!;
        const w = via.get(cur);
        path.push({ name: node.r.name, type: node.r.type, startSeconds: start.get(cur)!, seconds: creationTimeOf(node.r).seconds, ...(w ? { waitedVia: w.kind } : {}) });
        kinds.push(w?.kind);
        cur = w?.urn;
    }
    path.reverse();
    const explicitEdges: ExplicitEdge[] = [];
    for (const node of full.values()) {
        for (const w of node.waits) {
            if (w.kind === "explicit") {
                explicitEdges.push({ from: node.r.name, to: full.get(w.urn)!.r.name });
            }
        }
    }
    explicitEdges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    const counts = new Map<string, number>();
    for (const r of resources) {
        if (r.urn && r.type !== STACK_TYPE) {
            const key = creationTimeOf(r).key;
            counts.set(key, (counts.get(key) ?? 0) + 1);
        }
    }
    const figures = Object.entries(CREATION_TIMES).filter(([k]) => counts.has(k)).map(([k, f]) => ({ ...f, count: counts.get(k)! }));
    const max = (m: Map<string, number>): number => Math.max(0, ...m.values());
    return {
        totalSeconds: max(finish),
        dataOnlySeconds: max(dataOnly.finish),
        criticalPath: path.filter((s) => s.type !== STACK_TYPE),
        explicitEdges,
        explicitOnPath: kinds.filter((k) => k === "explicit").length,
        figures,
    };
}

/** `1 h 02 min`, `17 min`, `45 s`. */
export function formatDuration(seconds: number): string {
    if (seconds < 60) {
        return `${Math.round(seconds)} s`;
    }
    const m = Math.round(seconds / 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min` : `${m} min`;
}
