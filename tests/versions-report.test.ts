/**
 * The plan report's versions section (pending version skew during an upgrade) and the extended-support price.
 */
import { EKS_ADDON_NAMES, EKS_ADDON_VERSIONS } from "../components/eks-addons";
import { DEFAULT_METRICS_ADDON_VERSIONS } from "../components/managed-prometheus";
import { INSTANCE_REFRESH_PREFERENCES } from "../components/node-pool";
import { parseConfig } from "../platform/config";
import { readStackConfig } from "../toolkit/offline";
import { FIXED } from "../toolkit/prices";
import { buildPlanReport, renderMarkdown, renderText } from "../toolkit/report";
import { StackRun, runStack } from "./harness";

function configOf(stack: string, overrides: Record<string, unknown> = {}) {
    const { config } = readStackConfig(stack);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
        const key = k.replace(/^scaled-web:/, "");
        try {
            raw[key] = JSON.parse(v);
        } catch {
            raw[key] = v;
        }
    }
    return parseConfig({ ...raw, ...overrides }, stack);
}

function report(run: StackRun, stack: string, overrides: Record<string, unknown> = {}) {
    return buildPlanReport({ project: "scaled-web", stack, resources: run.resources, config: configOf(stack, overrides) });
}

describe("versions in the plan report", () => {
    let dev: StackRun;
    let upgrading: StackRun;
    const upgradingCluster = {
        nodeAmi: { release: "v20260714", kubernetesVersion: "1.32" },
        addonVersions: { "kube-proxy": "v1.32.9-eksbuild.2", coredns: "v1.11.4-eksbuild.24" },
        supportType: "EXTENDED",
    };
    beforeAll(async () => {
        dev = await runStack("dev");
        upgrading = await runStack("dev", { "scaled-web:cluster": upgradingCluster });
    }, 240_000);

    test("dev as committed: 1.33, the pinned add-ons, the pinned AMI release, no skew", () => {
        const r = report(dev, "dev");
        expect(r.versions.regions).toHaveLength(1);
        const [use1] = r.versions.regions;
        expect(use1).toMatchObject({ region: "us-east-1", kubernetesVersion: "1.33", supportType: "STANDARD" });
        // The managed add-ons of the cluster, plus (issue 19) the metrics community add-ons at their pins.
        expect(Object.fromEntries(use1.addons.map((a) => [a.name, a.version]))).toEqual({ ...EKS_ADDON_VERSIONS["1.33"], ...DEFAULT_METRICS_ADDON_VERSIONS });
        expect(use1.nodeImages.length).toBeGreaterThan(0);
        for (const n of use1.nodeImages) {
            expect(n).toMatchObject({ kubernetesVersion: "1.33", release: "v20260714" });
        }
        expect(r.versions.skew).toEqual([]);
        expect(renderText(r)).toMatch(/VERSIONS\n {2}us-east-1 +Kubernetes 1\.33 \(standard support\); add-ons coredns v1\.12\.4-eksbuild\.1, eks-pod-identity-agent .*; node AMIs 1\.33 v20260714\n {2}no pending version skew/);
        expect(renderMarkdown(r)).toMatch(/#### Versions\n\n- \*\*us-east-1\*\*: Kubernetes 1\.33/);
    });

    test("mid-upgrade: nodes and add-ons behind the control plane are listed as pending skew", () => {
        const r = report(upgrading, "dev", { cluster: upgradingCluster });
        const skew = r.versions.skew.join("\n");
        expect(skew).toMatch(/us-east-1: add-on kube-proxy v1\.32\.9-eksbuild\.2 is not a version for Kubernetes 1\.33 \(pinned: v1\.33\.5-eksbuild\.2\)/);
        expect(skew).toMatch(/us-east-1: add-on coredns v1\.11\.4-eksbuild\.24 is not a version for Kubernetes 1\.33 \(pinned: v1\.12\.4-eksbuild\.1\)/);
        expect(skew).toMatch(/us-east-1: nodes of .*-lt run the Kubernetes 1\.32 AMI, the control plane 1\.33: move cluster\.nodeAmi\.kubernetesVersion to 1\.33/);
        expect(skew).not.toMatch(/vpc-cni/);
        expect(renderText(r)).toMatch(/pending skew\n {4}- us-east-1: add-on coredns/);
    });

    test("the pinned release's own SSM parameter is read, for the AMI's minor and architecture", () => {
        const names = upgrading.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter").map((i) => i.inputs.name);
        expect(names.length).toBeGreaterThan(0);
        for (const n of names) {
            expect(n).toMatch(/^\/aws\/service\/eks\/optimized-ami\/1\.32\/amazon-linux-2023\/(x86_64|arm64)\/standard\/amazon-eks-node-al2023-(x86_64|arm64)-standard-1\.32-v20260714\/image_id$/);
        }
        expect(dev.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter").some((i) => /recommended/.test(i.inputs.name))).toBe(false);
    });

    test("extended support is priced at its rate; standard at the standard rate", () => {
        const line = (r: ReturnType<typeof report>) => r.cost.lines.find((l) => /EKS control plane/.test(l.detail))!;
        expect(line(report(dev, "dev")).detail).toBe(`EKS control plane $${FIXED.eksClusterHour}/h`);
        const extended = line(report(upgrading, "dev", { cluster: upgradingCluster }));
        expect(extended.detail).toMatch(/EKS control plane, extended support \$0\.6\/h/);
        expect(extended.monthly).toBeCloseTo(FIXED.eksClusterExtendedHour * 730, 0);
        expect(upgrading.get("aws:eks/cluster:Cluster", "dev-use1-eks-cluster").inputs.upgradePolicy).toEqual({ supportType: "EXTENDED" });
    });

    test("every node group rolls by instance refresh: launch before terminate, checkpoints, skip matching", () => {
        const groups = dev.ofType("aws:autoscaling/group:Group");
        expect(groups.length).toBeGreaterThan(0);
        for (const g of groups) {
            expect(g.inputs.instanceRefresh).toEqual({ strategy: "Rolling", preferences: { ...INSTANCE_REFRESH_PREFERENCES, checkpointPercentages: [50, 100] } });
            expect(g.inputs.instanceRefresh.preferences.minHealthyPercentage).toBe(100);
            expect(g.inputs.instanceRefresh.preferences.maxHealthyPercentage).toBeGreaterThan(100);
        }
        // Each group keeps its drain lifecycle hook, which replaced instances pass through.
        expect(dev.ofType("aws:autoscaling/lifecycleHook:LifecycleHook")).toHaveLength(groups.length);
    });

    test("CoreDNS waits for the node pools; every pool waits for the node add-ons", () => {
        const dns = dev.ofType("aws:eks/addon:Addon").find((a) => a.inputs.addonName === "coredns")!;
        const asgs = dev.ofType("aws:autoscaling/group:Group");
        // A dependency on a component reaches the engine as its custom-resource descendants: every pool's ASGs.
        expect(asgs.length).toBeGreaterThan(0);
        for (const g of asgs) {
            expect(dns.dependencies).toContain(g.urn);
        }
        // The cluster's own managed add-ons (not the metrics add-ons of issue 19, which wait for the pools themselves).
        const nodeAddons = dev.ofType("aws:eks/addon:Addon")
            .filter((a) => a.inputs.addonName !== "coredns" && (EKS_ADDON_NAMES as readonly string[]).includes(a.inputs.addonName)).map((a) => a.urn);
        expect(nodeAddons).toHaveLength(3);
        for (const g of asgs) {
            expect(g.dependencies).toEqual(expect.arrayContaining(nodeAddons));
        }
    });
});
