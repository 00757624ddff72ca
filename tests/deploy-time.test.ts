/**
 * The first-deploy estimate (toolkit/report/deploy-time.ts): how resources wait for each other as the SDK
 * orders registrations, and the prod stack's critical path with and without explicit dependsOn edges.
 */
import { RegisteredResource } from "../toolkit/offline";
import { CREATION_TIMES, creationTimeOf, estimateDeploy, formatDuration } from "../toolkit/report";
import { StackRun, runStack } from "./harness";

const urn = (type: string, name: string): string => `urn:pulumi:test::p::${type}::${name}`;

function res(type: string, name: string, o: Partial<RegisteredResource> = {}): RegisteredResource {
    return {
        urn: urn(type, name), type, name, inputs: {}, state: {}, custom: o.custom ?? true, protect: false, dependencies: [], secretInputs: [], ...o,
    };
}

const COMPONENT = "my:index:Component";
const VPC = "aws:ec2/vpc:Vpc"; // 10 s ("other AWS")
const EKS = "aws:eks/cluster:Cluster"; // 15 min
const NAT = "aws:ec2/natGateway:NatGateway"; // 2 min

describe("deploy-time model", () => {
    it("a data dependency and an explicit dependsOn both make a resource wait; only the data one counts in the data-only figure", () => {
        const vpc = res(VPC, "vpc");
        const eks = res(EKS, "eks", { dependencies: [vpc.urn], propertyDependencies: { vpcConfig: [vpc.urn] } });
        const nat = res(NAT, "nat", { dependencies: [eks.urn] }); // explicit only
        const e = estimateDeploy([vpc, eks, nat]);
        expect(e.totalSeconds).toBe(10 + 15 * 60 + 2 * 60);
        expect(e.dataOnlySeconds).toBe(15 * 60 + 10);
        expect(e.criticalPath.map((s) => [s.name, s.waitedVia])).toEqual([["vpc", undefined], ["eks", "data"], ["nat", "explicit"]]);
        expect(e.explicitEdges).toEqual([{ from: "nat", to: "eks" }]);
        expect(e.explicitOnPath).toBe(1);
    });

    it("children wait for a component parent's dependsOn, not for its other children (registerOutputs blocks nothing)", () => {
        const eks = res(EKS, "eks");
        const comp = res(COMPONENT, "comp", { custom: false, dependencies: [eks.urn] });
        const child = res(VPC, "child", { parent: comp.urn });
        const slowSibling = res(NAT, "sibling", { parent: comp.urn });
        const free = res(VPC, "free", { parent: res(COMPONENT, "other", { custom: false }).urn });
        const other = res(COMPONENT, "other", { custom: false });
        const e = estimateDeploy([eks, comp, child, slowSibling, free, other]);
        expect(e.totalSeconds).toBe(15 * 60 + 2 * 60); // eks, then the slow child; the fast one does not add
        const path = e.criticalPath.map((s) => [s.name, s.waitedVia]);
        expect(path).toEqual([["eks", undefined], ["comp", "explicit"], ["sibling", "parent"]]);
        // Without the component's dependsOn nothing waits for the cluster.
        expect(e.dataOnlySeconds).toBe(15 * 60);
    });

    it("a resource waits for a custom parent's creation and for its provider", () => {
        const provider = res("pulumi:providers:kubernetes", "k8s", { dependencies: [urn(EKS, "eks")], propertyDependencies: { kubeconfig: [urn(EKS, "eks")] } });
        const eks = res(EKS, "eks");
        const release = res("kubernetes:helm.sh/v3:Release", "keda", { provider: `${provider.urn}::id` });
        const e = estimateDeploy([provider, eks, release]);
        expect(e.totalSeconds).toBe(15 * 60 + 1 + 2 * 60);
        expect(e.criticalPath.map((s) => s.waitedVia)).toEqual([undefined, "data", "provider"]);
    });

    it("figures: each names a source or says estimate; RDS variants by inputs", () => {
        for (const f of Object.values(CREATION_TIMES)) {
            expect([f.label, f.source.length > 0 && (/^estimate/.test(f.source) || /https:\/\//.test(f.source) || f.seconds === 0)]).toEqual([f.label, true]);
        }
        const rds = (inputs: Record<string, unknown>): string => creationTimeOf(res("aws:rds/instance:Instance", "db", { inputs })).key;
        expect([rds({ multiAz: true }), rds({ multiAz: false }), rds({ replicateSourceDb: "db-primary" }), rds({ replicateSourceDb: "arn:aws:rds:us-east-1:1:db:x" })])
            .toEqual(["rdsMultiAz", "rdsSingleAz", "rdsReplica", "rdsCrossRegionReplica"]);
        expect([formatDuration(45), formatDuration(17 * 60), formatDuration(62 * 60)]).toEqual(["45 s", "17 min", "1 h 02 min"]);
    });
});

describe("prod's first deploy", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("prod");
    });

    it("the critical path equals the path data dependencies alone force", () => {
        const e = estimateDeploy(run.resources);
        // The database chain: Multi-AZ primary, then the cross-region replica (which needs the primary's ARN).
        const slow = e.criticalPath.filter((s) => s.seconds >= 10 * 60).map((s) => s.type);
        expect(slow).toEqual(["aws:rds/instance:Instance", "aws:rds/instance:Instance"]);
        expect(e.totalSeconds).toBe(e.dataOnlySeconds);
        expect(e.explicitOnPath).toBe(0);
        expect(e.totalSeconds).toBeGreaterThan(30 * 60);
    });

    it("the explicit-only edges are the recorded ones (each site carries an // order: reason, tests/depends-on.test.ts)", () => {
        const e = estimateDeploy(run.resources);
        const from = [...new Set(e.explicitEdges.map((x) => x.from.replace(/^prod-(use1|usw2)-/, "")))].sort();
        expect(from).toEqual([
            // issue 19: the metrics add-ons (kube-state-metrics, node exporter) wait for the node pools.
            "amp-kube-state-metrics", "amp-prometheus-node-exporter",
            // api/ws: KEDA objects wait for the KEDA release, TargetGroupBindings for the controller's release.
            "api", "api-aws-auth", "api-scaler", "api-tgb",
            "db-backup", "db-bootstrap-job", "db-primary", "db-proxy", "db-replica-1", "db-replica-2", "db-replica-us-west-2",
            "deploy-runner-project", "edge-alb", "edge-logs", "eks-addons",
            // Helm releases wait for their Pod Identity association (credentials reach only pods created after it).
            "eks-addons-aws-node-termination-handler", "eks-addons-cluster-autoscaler", "eks-addons-keda", "eks-addons-lbc-release",
            "eks-cluster", "eks-dns-coredns", "eks-k8s", "eks-nodes",
            "eks-pool-general-asg-us-east-1a", "eks-pool-general-asg-us-east-1b", "eks-pool-general-asg-us-east-1c",
            "eks-pool-general-asg-us-west-2a", "eks-pool-general-asg-us-west-2b", "eks-pool-general-asg-us-west-2c",
            "eks-pool-workers-asg", "eso-eso", "images-replication",
            "net-nat-us-east-1a", "net-nat-us-east-1b", "net-nat-us-east-1c", "net-nat-us-west-2a", "net-nat-us-west-2b", "net-nat-us-west-2c",
            "prod-static-cdn", "prod-static-logs", "prod-static-origin", "prod-static-origin-replica", "prod-static-origin-replication",
            "prod-uploads", "prod-uploads-replica", "prod-uploads-replication",
            "secrets-store",
            // issue 19: the trace collector's release waits for its Pod Identity association.
            "traces-release",
            "workers", "ws", "ws-aws-auth", "ws-scaler", "ws-tgb",
        ]);
        // The worker pool waits for the KEDA release only, not for every add-on.
        const workers = e.explicitEdges.filter((x) => x.from === "prod-use1-workers");
        expect(workers.map((x) => x.to)).toEqual(["prod-use1-eks-addons-keda"]);
        // The k8s provider waits for what its kubeconfig cannot show (ingress rules, admin access), not the cluster.
        expect(e.explicitEdges.filter((x) => x.from === "prod-use1-eks-k8s" && x.to === "prod-use1-eks-cluster")).toEqual([]);
    });
});
