import { Cluster, ClusterArgs, NODE_ADDONS } from "../components/cluster";
import {
    EKS_ADDON_NAMES, EKS_ADDON_VERSION, EKS_ADDON_VERSIONS, EksAddons, RESOLVE_CONFLICTS_ON_CREATE, RESOLVE_CONFLICTS_ON_UPDATE,
    SUPPORTED_KUBERNETES_VERSIONS, addonKubernetesMinor, addonVersionFits, resolveAddonVersions, vpcCniConfiguration,
} from "../components/eks-addons";
import { NodePool } from "../components/node-pool";
import { DEFAULT_KUBERNETES_VERSION } from "../platform/config";
import { runComponent } from "./harness";

const ARGS: ClusterArgs = { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b", "subnet-c"] };
const ADDON = "aws:eks/addon:Addon";

describe("EKS managed add-on versions", () => {
    test("every supported Kubernetes minor has a full row of well-formed versions", () => {
        expect(Object.keys(EKS_ADDON_VERSIONS).sort()).toEqual([...SUPPORTED_KUBERNETES_VERSIONS]);
        for (const row of Object.values(EKS_ADDON_VERSIONS)) {
            expect(Object.keys(row).sort()).toEqual([...EKS_ADDON_NAMES].sort());
            for (const v of Object.values(row)) {
                expect(v).toMatch(EKS_ADDON_VERSION);
            }
        }
    });

    test("the platform's default Kubernetes version has a row", () => {
        expect(EKS_ADDON_VERSIONS).toHaveProperty([DEFAULT_KUBERNETES_VERSION]);
    });

    test.each(SUPPORTED_KUBERNETES_VERSIONS)("kube-proxy of %s is built for that minor", (k8s) => {
        expect(addonKubernetesMinor("kube-proxy", EKS_ADDON_VERSIONS[k8s]["kube-proxy"])).toBe(k8s);
    });

    test("overrides win over the pinned row; an unpinned minor needs every add-on named", () => {
        expect(resolveAddonVersions("1.33", { coredns: "v1.12.4-eksbuild.9" }).coredns).toBe("v1.12.4-eksbuild.9");
        expect(resolveAddonVersions("1.33")["kube-proxy"]).toBe("v1.33.5-eksbuild.2");
        expect(() => resolveAddonVersions("1.34")).toThrow(/no pinned vpc-cni version for Kubernetes 1.34/);
    });

    test("version fit: kube-proxy follows its minor, others must not be a pin of another minor", () => {
        expect(addonVersionFits("kube-proxy", "v1.32.9-eksbuild.2", "1.33")).toBe(false);
        expect(addonVersionFits("kube-proxy", "v1.33.5-eksbuild.2", "1.33")).toBe(true);
        expect(addonVersionFits("coredns", "v1.11.4-eksbuild.24", "1.33")).toBe(false);
        expect(addonVersionFits("coredns", "v1.12.4-eksbuild.1", "1.33")).toBe(true);
        expect(addonVersionFits("vpc-cni", "v1.20.1-eksbuild.3", "1.31")).toBe(true);
    });

    test("the VPC CNI's network policy flag is the string the add-on schema takes", () => {
        expect(vpcCniConfiguration(true)).toEqual({ enableNetworkPolicy: "true" });
        expect(vpcCniConfiguration(false)).toEqual({ enableNetworkPolicy: "false" });
    });
});

describe("Cluster with managed add-ons", () => {
    test("installs vpc-cni (network policy on), kube-proxy and the Pod Identity agent at the pinned versions", async () => {
        const run = await runComponent(() => new Cluster("c", ARGS));
        const addons = run.ofType(ADDON);
        expect(addons.map((a) => a.inputs.addonName).sort()).toEqual([...NODE_ADDONS].sort());
        const row = EKS_ADDON_VERSIONS["1.33"];
        for (const a of addons) {
            expect(a.inputs.addonVersion).toBe(row[a.inputs.addonName as keyof typeof row]);
            expect(a.inputs.resolveConflictsOnUpdate).toBe(RESOLVE_CONFLICTS_ON_UPDATE);
            expect(a.inputs.resolveConflictsOnCreate).toBe(RESOLVE_CONFLICTS_ON_CREATE);
            expect(a.inputs.preserve).toBe(true);
            expect(a.inputs.clusterName).toBe("c");
        }
        const cni = addons.find((a) => a.inputs.addonName === "vpc-cni")!;
        expect(JSON.parse(cni.inputs.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
        expect(addons.find((a) => a.inputs.addonName === "kube-proxy")!.inputs.configurationValues).toBeUndefined();
    });

    test("the control plane installs no self-managed add-ons and names its support policy (standard by default)", async () => {
        const run = await runComponent(() => new Cluster("c", ARGS));
        const cluster = run.get("aws:eks/cluster:Cluster", "c-cluster");
        expect(cluster.inputs.bootstrapSelfManagedAddons).toBe(false);
        expect(cluster.inputs.upgradePolicy).toEqual({ supportType: "STANDARD" });
    });

    test("extended support and add-on overrides reach the resources", async () => {
        const run = await runComponent(() => new Cluster("c", {
            ...ARGS, kubernetesVersion: "1.32", supportType: "EXTENDED", addonVersions: { "vpc-cni": "v1.20.4-eksbuild.1" }, networkPolicy: false,
        }));
        expect(run.get("aws:eks/cluster:Cluster", "c-cluster").inputs.upgradePolicy).toEqual({ supportType: "EXTENDED" });
        const cni = run.get(ADDON, "c-managed-vpc-cni");
        expect(cni.inputs.addonVersion).toBe("v1.20.4-eksbuild.1");
        expect(JSON.parse(cni.inputs.configurationValues)).toEqual({ enableNetworkPolicy: "false" });
        expect(run.get(ADDON, "c-managed-kube-proxy").inputs.addonVersion).toBe("v1.32.9-eksbuild.2");
    });

    test("node pools launch only after the node add-ons and the node access entry", async () => {
        const run = await runComponent(() => {
            const cluster = new Cluster("c", ARGS);
            new NodePool("p", {
                cluster, poolName: "general", capacityType: "on-demand", instanceTypes: ["m7i.large"], minSize: 2, maxSize: 4,
                subnetIds: ["subnet-a", "subnet-b"], availabilityZones: ["us-east-1a", "us-east-1b"],
            });
        });
        const addonUrns = run.ofType(ADDON).map((a) => a.urn);
        const entry = run.get("aws:eks/accessEntry:AccessEntry", "c-nodes").urn;
        for (const asg of run.ofType("aws:autoscaling/group:Group")) {
            expect(asg.dependencies).toEqual(expect.arrayContaining([...addonUrns, entry]));
        }
    });

    test.each<[string, Partial<ClusterArgs>, RegExp]>([
        ["a Kubernetes minor without pinned add-ons", { kubernetesVersion: "1.34" }, /kubernetesVersion: "1.34" has no pinned add-on versions \(pinned: 1.31, 1.32, 1.33\); .* set addonVersions for \["vpc-cni","kube-proxy","eks-pod-identity-agent"\]/],
        ["a malformed add-on version", { addonVersions: { coredns: "1.12.4" } }, /addonVersions.coredns: must be an EKS add-on version such as "v1.20.1-eksbuild.3", got "1.12.4"/],
        ["an unknown support type", { supportType: "LTS" as never }, /supportType: must be one of STANDARD, EXTENDED, got "LTS"/],
    ])("rejects %s", (_label, patch, expected) => {
        expect(() => new Cluster("c", { ...ARGS, ...patch })).toThrow(expected);
    });

    test("an unpinned minor is accepted when every node add-on is named", async () => {
        const run = await runComponent(() => new Cluster("c", {
            ...ARGS, kubernetesVersion: "1.34",
            addonVersions: { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.34.1-eksbuild.2", "eks-pod-identity-agent": "v1.3.8-eksbuild.2" },
        }));
        expect(run.get(ADDON, "c-managed-kube-proxy").inputs.addonVersion).toBe("v1.34.1-eksbuild.2");
    });
});

describe("EksAddons (CoreDNS after the node pools)", () => {
    test("waits for what it is given and pins the row's CoreDNS", async () => {
        const run = await runComponent(() => {
            const cluster = new Cluster("c", ARGS);
            new EksAddons("dns", { clusterName: cluster.clusterName, kubernetesVersion: "1.31", addons: ["coredns"], after: [cluster.nodeAccessEntry] });
        });
        const dns = run.get(ADDON, "dns-coredns");
        expect(dns.inputs.addonVersion).toBe("v1.11.4-eksbuild.24");
        expect(dns.dependencies).toContain(run.get("aws:eks/accessEntry:AccessEntry", "c-nodes").urn);
    });
});

describe("NodePool AMI pinning", () => {
    const pool = (patch: Record<string, unknown>) => async () => runComponent(() => {
        const cluster = new Cluster("c", ARGS);
        new NodePool("p", {
            cluster, poolName: "general", capacityType: "on-demand", instanceTypes: ["m7g.large"], minSize: 2, maxSize: 4,
            subnetIds: ["subnet-a", "subnet-b"], availabilityZones: ["us-east-1a", "us-east-1b"], ...patch,
        });
    });

    test("a release is read from its own SSM parameter and tagged on the launch template", async () => {
        const run = await pool({ amiRelease: "v20260714", amiKubernetesVersion: "1.32" })();
        const names = run.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter").map((i) => i.inputs.name);
        expect(names).toEqual(["/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.32-v20260714/image_id"]);
        expect(run.get("aws:ec2/launchTemplate:LaunchTemplate", "p-lt").inputs.tags).toMatchObject({ "scaled-web/ami-kubernetes-version": "1.32", "scaled-web/ami-release": "v20260714" });
    });

    test("unpinned pools read SSM's recommended parameter and say so in the tags", async () => {
        const run = await pool({})();
        expect(run.invokes.find((i) => i.token === "aws:ssm/getParameter:getParameter")!.inputs.name).toMatch(/\/1\.33\/amazon-linux-2023\/arm64\/standard\/recommended\/image_id$/);
        expect(run.get("aws:ec2/launchTemplate:LaunchTemplate", "p-lt").inputs.tags["scaled-web/ami-release"]).toBe("recommended");
    });

    test("instance refresh can be turned off", async () => {
        const run = await pool({ instanceRefresh: false })();
        for (const g of run.ofType("aws:autoscaling/group:Group")) {
            expect(g.inputs.instanceRefresh).toBeUndefined();
        }
    });

    test.each<[string, Record<string, unknown>, RegExp]>([
        ["a malformed release", { amiRelease: "20260714" }, /amiRelease: must be an amazon-eks-ami release such as "v20260714", got "20260714"/],
        ["an AMI minor newer than the control plane", { amiKubernetesVersion: "1.34" }, /amiKubernetesVersion: must be the control plane's minor \(1.33\) or up to three older/],
        ["an AMI minor four behind", { amiKubernetesVersion: "1.29" }, /amiKubernetesVersion: must be the control plane's minor \(1.33\) or up to three older .* got "1.29"/],
    ])("rejects %s", async (_label, patch, expected) => {
        await expect(pool(patch)()).rejects.toThrow(expected);
    });
});
