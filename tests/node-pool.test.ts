import * as aws from "@pulumi/aws";
import * as YAML from "yaml";
import {
    NTH_MANAGED_TAG, NodePool, NodePoolArgs, NodePoolClusterRef, SPOT_TAINT, amiParameterName, autoscalerTags, instanceArchitecture,
    instancesDistribution, isLabelKey, isPerZone, isRestrictedLabelKey, nodeLabels, nodeTaints, planAutoScalingGroups, renderNodeUserData,
    splitAcrossZones, validateNodePoolArgs,
} from "../components/node-pool";
import { StackRun, runComponent } from "./harness";

const CLUSTER: NodePoolClusterRef = {
    clusterName: "prod-use1-eks",
    endpoint: "https://abc.gr7.us-east-1.eks.amazonaws.com",
    certificateAuthorityData: "Q0EtREFUQQ==",
    serviceIpv4Cidr: "172.20.0.0/16",
    kubernetesVersion: "1.33",
    nodeInstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/nodes",
    nodeSecurityGroupIds: ["sg-nodes", "sg-cluster"],
};
const SUBNETS = ["subnet-a", "subnet-b", "subnet-c"];
const ZONES = ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"];
const SPOT: NodePoolArgs = {
    cluster: CLUSTER, poolName: "workers", capacityType: "spot", subnetIds: SUBNETS,
    instanceTypes: ["m7i.xlarge", "m6i.xlarge", "m6a.xlarge"], minSize: 0, maxSize: 10, desiredSize: 3,
};
const ON_DEMAND: NodePoolArgs = {
    cluster: CLUSTER, poolName: "general", capacityType: "on-demand", subnetIds: SUBNETS, availabilityZones: ZONES,
    instanceTypes: ["m7i.2xlarge"], minSize: 3, maxSize: 12,
};

describe("NodePool validation", () => {
    test.each<[string, NodePoolArgs, RegExp]>([
        ["a spot pool with 2 instance types", { ...SPOT, instanceTypes: ["m7i.xlarge", "m6i.xlarge"] },
            /instanceTypes: a spot pool needs >= 3 instance types of similar size so one spot shortage cannot empty it, got 2 \(\["m7i.xlarge","m6i.xlarge"\]\)/],
        ["min > max", { ...SPOT, minSize: 5, maxSize: 4, desiredSize: undefined }, /minSize: must be <= maxSize \(4\), got 5/],
        ["desired below min", { ...ON_DEMAND, desiredSize: 2 }, /desiredSize: must be within \[minSize, maxSize\] = \[3, 12\], got 2/],
        ["desired above max", { ...SPOT, desiredSize: 11 }, /desiredSize: must be within \[minSize, maxSize\] = \[0, 10\], got 11/],
        ["a pool name that is not a DNS label", { ...SPOT, poolName: "Spot_Workers" }, /poolName: must be a DNS label \(lower-case letters, digits and '-', at most 63 characters\), got "Spot_Workers"/],
        ["an invalid EC2 instance type", { ...ON_DEMAND, instanceTypes: ["m7i-large"] }, /instanceTypes\[0\]: must be an EC2 instance type such as "m7i.large", got "m7i-large"/],
        ["an on-demand pool with min 1", { ...ON_DEMAND, minSize: 1 }, /minSize: an on-demand pool keeps >= 2 nodes so the services on it survive the loss of a node or AZ, got 1/],
        ["mixed instance sizes", { ...SPOT, instanceTypes: ["m7i.xlarge", "m6i.xlarge", "m6a.2xlarge"] }, /instanceTypes: must all be one size/],
        ["mixed architectures", { ...SPOT, instanceTypes: ["m7i.xlarge", "m7g.xlarge", "m6a.xlarge"] }, /instanceTypes: must all be one CPU architecture .* put Graviton types in their own pool/],
        ["a repeated type", { ...SPOT, instanceTypes: ["m7i.xlarge", "m7i.xlarge", "m6a.xlarge"] }, /instanceTypes: must not repeat a type/],
        ["no instance types", { ...ON_DEMAND, instanceTypes: [] }, /instanceTypes: must list at least one EC2 instance type, got \[\]/],
        ["an on-demand base on an on-demand pool", { ...ON_DEMAND, onDemandBaseCapacity: 1 }, /onDemandBaseCapacity: only applies to spot pools/],
        ["an on-demand base above max", { ...SPOT, onDemandBaseCapacity: 11 }, /onDemandBaseCapacity: must be a whole number from 0 to maxSize \(10\), got 11/],
        ["a tiny root volume", { ...SPOT, diskSizeGiB: 8 }, /diskSizeGiB: must be a whole number of GiB from 20 to 16384, got 8/],
        ["a reserved label", { ...SPOT, labels: { "kubernetes.io/role": "worker" } }, /labels.kubernetes.io\/role: the kubelet may not set labels under kubernetes.io\/k8s.io/],
        ["overriding node-type", { ...SPOT, labels: { "node-type": "on-demand" } }, /labels.node-type: is set by the pool from capacityType\/poolName/],
        ["a bad taint effect", { ...SPOT, taints: [{ key: "gpu", value: "true", effect: "NoWay" as any }] }, /taints\[0\].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute, got "NoWay"/],
        ["no subnets", { ...SPOT, subnetIds: [] }, /subnetIds: must list at least one private subnet/],
        ["an on-demand pool without zones (perZone is its default)", { ...ON_DEMAND, availabilityZones: undefined },
            /availabilityZones: is required with perZone \(the default for on-demand pools\): name the zone of each subnetIds entry, e.g. Network.availabilityZones, or set perZone: false/],
        ["zones that do not match the subnets", { ...ON_DEMAND, availabilityZones: ZONES.slice(0, 2) },
            /availabilityZones: must name the zone of each of the 3 subnetIds, in the same order, got 2/],
        ["a repeated zone", { ...ON_DEMAND, availabilityZones: [ZONES[0], ZONES[0], ZONES[1]] }, /availabilityZones: must not repeat a zone/],
        ["a zone name that cannot name a resource", { ...ON_DEMAND, availabilityZones: [ZONES[0], ZONES[1], "AZ C"] }, /availabilityZones\[2\]: must be a zone name such as "us-east-1a"/],
        ["a per-zone pool with less room than zones", { ...ON_DEMAND, minSize: 2, maxSize: 2 },
            /maxSize: must be >= the number of zones \(3\) with perZone, so every zone's ASG can hold a node, got 2/],
        ["a scheduled floor not above the pool's minSize", { ...ON_DEMAND, schedules: [{ name: "day", timezone: "UTC", start: "0 6 * * *", end: "0 22 * * *", minSize: 3 }] },
            /schedules\[0\]\.minSize: must be a whole number above the pool's minSize \(3\) and at most its maxSize \(12\), got 3/],
        ["a scheduled floor above maxSize", { ...SPOT, schedules: [{ name: "day", timezone: "UTC", start: "0 6 * * *", end: "0 22 * * *", minSize: 11 }] },
            /schedules\[0\]\.minSize: must be a whole number above the pool's minSize \(0\) and at most its maxSize \(10\), got 11/],
        ["a schedule time that is not 5-field cron", { ...SPOT, schedules: [{ name: "day", timezone: "UTC", start: "06:00", end: "0 22 * * *", minSize: 4 }] },
            /schedules\[0\]\.start: must be a 5-field cron expression such as "0 6 \* \* 1-5", got "06:00"/],
        ["two schedules with one name", { ...SPOT, schedules: [1, 2].map((h) => ({ name: "day", timezone: "UTC", start: `0 ${h} * * *`, end: "0 22 * * *", minSize: 4 })) },
            /schedules\[1\]\.name: must be unique among the pool's schedules, got "day" twice/],
        ["a detailedMonitoring that is not a boolean", { ...ON_DEMAND, detailedMonitoring: "yes" as any }, /detailedMonitoring: must be true or false, got "yes"/],
    ])("rejects %s", (_label, args, expected) => {
        expect(() => validateNodePoolArgs(args).throwIfAny('NodePool "p"')).toThrow(expected);
        expect(() => new NodePool("p", args)).toThrow(expected);
    });

    test("valid pools pass", () => {
        expect(validateNodePoolArgs(SPOT).count).toBe(0);
        expect(validateNodePoolArgs({ ...ON_DEMAND, instanceTypes: ["m7g.large", "m6g.large"], minSize: 2, labels: { "node.kubernetes.io/role": "web" } }).count).toBe(0);
        // One group over every zone needs no zone names, for either capacity type.
        expect(validateNodePoolArgs({ ...ON_DEMAND, availabilityZones: undefined, perZone: false, maxSize: 2, minSize: 2 }).count).toBe(0);
    });

    test("one error before anything is created", async () => {
        const run = await runComponent(() => {
            try {
                new NodePool("bad", { ...SPOT, instanceTypes: ["m7i.xlarge"] });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/^Invalid arguments for NodePool "bad" \(1 problem\):\n {2}- instanceTypes: a spot pool needs >= 3/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("NodePool helpers", () => {
    test.each([
        ["m7i.large", "x86_64"], ["m6a.xlarge", "x86_64"], ["m7i-flex.large", "x86_64"], ["g5.xlarge", "x86_64"], ["u-6tb1.metal", "x86_64"],
        ["m7g.large", "arm64"], ["c6gn.16xlarge", "arm64"], ["t4g.small", "arm64"], ["r7gd.xlarge", "arm64"], ["a1.large", "arm64"], ["g5g.xlarge", "arm64"],
    ])("instanceArchitecture(%s) = %s", (type, arch) => expect(instanceArchitecture(type)).toBe(arch));

    test.each([
        ["1.33", "x86_64" as const, "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id"],
        ["1.32", "arm64" as const, "/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/standard/recommended/image_id"],
    ])("amiParameterName(%s, %s)", (version, arch, expected) => expect(amiParameterName(version, arch)).toBe(expected));

    test.each([
        ["node-type", true, false], ["example.com/tier", true, false], ["node.kubernetes.io/role", true, false],
        ["kubernetes.io/role", true, true], ["node-role.kubernetes.io/worker", true, true], ["foo.k8s.io/x", true, true],
        ["a/b/c", false, false], ["-bad", false, false],
    ])("label key %s: valid=%s restricted=%s", (key, valid, restricted) => {
        expect(isLabelKey(key)).toBe(valid);
        expect(isRestrictedLabelKey(key)).toBe(restricted);
    });

    test.each([
        ["spot", { "node-type": "spot", "node-pool": "workers" }, [SPOT_TAINT]],
        ["on-demand", { "node-type": "on-demand", "node-pool": "workers" }, []],
    ] as const)("%s pools label node-type and taint only spot", (capacityType, labels, taints) => {
        expect(nodeLabels({ poolName: "workers", capacityType })).toEqual(labels);
        expect(nodeTaints({ capacityType })).toEqual(taints);
    });

    test("a spot pool keeps one spot taint even when the caller repeats it", () => {
        expect(nodeTaints({ capacityType: "spot", taints: [{ key: "spot", value: "yes", effect: "NoExecute" }, { key: "gpu", value: "1", effect: "NoSchedule" }] }))
            .toEqual([SPOT_TAINT, { key: "gpu", value: "1", effect: "NoSchedule" }]);
    });

    test.each([
        [2, 3, [1, 1, 0]], [3, 3, [1, 1, 1]], [12, 3, [4, 4, 4]], [10, 3, [4, 3, 3]], [0, 3, [0, 0, 0]], [5, 2, [3, 2]],
    ])("splitAcrossZones(%i, %i) = %j", (total, zones, expected) => {
        expect(splitAcrossZones(total, zones)).toEqual(expected);
        expect(splitAcrossZones(total, zones).reduce((a, b) => a + b, 0)).toBe(total);
    });

    test("on-demand pools default to one group per zone, spot pools to one group over all zones", () => {
        expect(isPerZone({ capacityType: "on-demand" })).toBe(true);
        expect(isPerZone({ capacityType: "spot" })).toBe(false);
        expect(isPerZone({ capacityType: "on-demand", perZone: false })).toBe(false);
        expect(isPerZone({ capacityType: "spot", perZone: true })).toBe(true);
    });

    test("planAutoScalingGroups splits the pool's totals over its zones and keeps min <= desired <= max per zone", () => {
        expect(planAutoScalingGroups({ ...ON_DEMAND, minSize: 2, desiredSize: 4, maxSize: 10 })).toEqual([
            { key: "general-ap-southeast-2a", zone: "ap-southeast-2a", subnetIndexes: [0], minSize: 1, desiredSize: 2, maxSize: 4, onDemandBase: undefined },
            { key: "general-ap-southeast-2b", zone: "ap-southeast-2b", subnetIndexes: [1], minSize: 1, desiredSize: 1, maxSize: 3, onDemandBase: undefined },
            { key: "general-ap-southeast-2c", zone: "ap-southeast-2c", subnetIndexes: [2], minSize: 0, desiredSize: 1, maxSize: 3, onDemandBase: undefined },
        ]);
        expect(planAutoScalingGroups({ ...SPOT, onDemandBaseCapacity: 1 })).toEqual([
            { key: "workers", subnetIndexes: [0, 1, 2], minSize: 0, desiredSize: 3, maxSize: 10, onDemandBase: 1 },
        ]);
    });

    test("autoscaler tags: discovery plus node-template labels and taints", () => {
        expect(autoscalerTags("c1", { "node-type": "spot" }, [SPOT_TAINT])).toEqual({
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/c1": "owned",
            "k8s.io/cluster-autoscaler/node-template/label/node-type": "spot",
            "k8s.io/cluster-autoscaler/node-template/taint/spot": "true:NoSchedule",
        });
    });

    test.each([
        ["spot", 2, { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized" }],
        ["on-demand", 0, { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100, onDemandAllocationStrategy: "prioritized" }],
    ] as const)("instancesDistribution(%s)", (type, base, expected) => expect(instancesDistribution(type, base)).toEqual(expected));

    test("user data is a MIME nodeadm NodeConfig with the kubelet's labels and taints", () => {
        const text = renderNodeUserData({
            clusterName: "c1", endpoint: "https://e", certificateAuthorityData: "Q0E=", serviceIpv4Cidr: "172.20.0.0/16",
            labels: { "node-type": "spot", "node-pool": "workers" }, taints: [SPOT_TAINT],
        });
        expect(text).toMatch(/^MIME-Version: 1.0\nContent-Type: multipart\/mixed; boundary="==NODEADM=="\n/);
        const part = text.split("--==NODEADM==")[1];
        expect(part).toMatch(/^\nContent-Type: application\/node.eks.aws\n/);
        const doc = YAML.parse(part.split("\n\n").slice(1).join("\n\n"));
        expect(doc).toEqual({
            apiVersion: "node.eks.aws/v1alpha1",
            kind: "NodeConfig",
            spec: {
                cluster: { name: "c1", apiServerEndpoint: "https://e", certificateAuthority: "Q0E=", cidr: "172.20.0.0/16" },
                kubelet: { flags: ["--node-labels=node-type=spot,node-pool=workers", "--register-with-taints=spot=true:NoSchedule"] },
            },
        });
        expect(text.trimEnd().endsWith("--==NODEADM==--")).toBe(true);
    });
});

describe("NodePool scheduled floors under mocks", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-ap-southeast-2", { region: "ap-southeast-2" });
            new NodePool("apse2-pool-workers", SPOT, { provider });
            new NodePool("apse2-pool-sched", { ...ON_DEMAND, poolName: "sched", minSize: 3, maxSize: 12, schedules: [{ name: "daytime", timezone: "Europe/Berlin", start: "0 6 * * 1-5", end: "0 22 * * 1-5", minSize: 7 }] }, { provider });
            new NodePool("apse2-pool-spotsched", { ...SPOT, poolName: "spotsched", schedules: [{ name: "daytime", timezone: "UTC", start: "30 7 * * *", end: "0 20 * * *", minSize: 4 }] }, { provider });
            return {};
        });
    });

    test("scheduled floors: per zone group, a start action raising MinSize to its share and an end action restoring the pool's; max and desired untouched (-1)", () => {
        const actions = run.ofType("aws:autoscaling/schedule:Schedule").filter((a) => a.name.startsWith("apse2-pool-sched-"));
        expect(actions.map((a) => a.name).sort()).toEqual(ZONES.flatMap((z) => [`apse2-pool-sched-sched-daytime-end-${z}`, `apse2-pool-sched-sched-daytime-start-${z}`]).sort());
        // 7 over three zones = 3, 2, 2; the pool's own minimum 3 = 1, 1, 1.
        const byZone = (edge: string): unknown[] => ZONES.map((z) => {
            const a = actions.find((x) => x.name === `apse2-pool-sched-sched-daytime-${edge}-${z}`)!;
            expect(a.inputs).toMatchObject({ timeZone: "Europe/Berlin", maxSize: -1, desiredCapacity: -1, scheduledActionName: `daytime-${edge}`, autoscalingGroupName: `apse2-pool-sched-asg-${z}` });
            return [a.inputs.recurrence, a.inputs.minSize];
        });
        expect(byZone("start")).toEqual([["0 6 * * 1-5", 3], ["0 6 * * 1-5", 2], ["0 6 * * 1-5", 2]]);
        expect(byZone("end")).toEqual([["0 22 * * 1-5", 1], ["0 22 * * 1-5", 1], ["0 22 * * 1-5", 1]]);
        const spot = run.ofType("aws:autoscaling/schedule:Schedule").filter((a) => a.name.startsWith("apse2-pool-spotsched-"));
        expect(spot.map((a) => [a.name, a.inputs.recurrence, a.inputs.minSize, a.inputs.timeZone]).sort()).toEqual([
            ["apse2-pool-spotsched-sched-daytime-end", "0 20 * * *", 0, "UTC"],
            ["apse2-pool-spotsched-sched-daytime-start", "30 7 * * *", 4, "UTC"],
        ]);
        // Pools without schedules get no actions.
        expect(run.ofType("aws:autoscaling/schedule:Schedule").filter((a) => a.name.startsWith("apse2-pool-workers-"))).toEqual([]);
    });

});

describe("NodePool under mocks", () => {
    let run: StackRun<unknown>;
    const tagMap = (tags: { key: string; value: string; propagateAtLaunch: boolean }[]): Record<string, string> => {
        for (const t of tags) {
            expect(t.propagateAtLaunch).toBe(true);
        }
        return Object.fromEntries(tags.map((t) => [t.key, t.value]));
    };

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-ap-southeast-2", { region: "ap-southeast-2" });
            new NodePool("apse2-pool-workers", { ...SPOT, onDemandBaseCapacity: 1, tags: { team: "platform" } }, { provider });
            new NodePool("apse2-pool-general", { ...ON_DEMAND, instanceTypes: ["m7g.2xlarge", "m6g.2xlarge"], drainOnTermination: false }, { provider });
            new NodePool("apse2-pool-pinned", { ...ON_DEMAND, poolName: "pinned", imageId: "ami-0123456789abcdef0", rootVolumeKmsKeyArn: "arn:aws:kms:ap-southeast-2:1:key/k" }, { provider });
            return {};
        });
    });

    test("every child goes through the region's provider and sits under its pool", () => {
        for (const pool of run.ofType("scaled-web:compute:NodePool")) {
            const children = run.descendantsOf(pool);
            expect(children.length).toBeGreaterThanOrEqual(2);
            for (const child of children) {
                expect(child.region).toBe("ap-southeast-2");
            }
        }
    });

    test("launch template: IMDSv2 with hop limit 1, encrypted gp3 root, node identity", () => {
        const lt = run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-workers-lt");
        expect(lt.inputs.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        expect(lt.inputs.blockDeviceMappings).toEqual([{ deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }]);
        expect(lt.inputs.iamInstanceProfile).toEqual({ arn: CLUSTER.nodeInstanceProfileArn });
        expect(lt.inputs.vpcSecurityGroupIds).toEqual(["sg-nodes", "sg-cluster"]);
        const pinned = run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-pinned-lt");
        expect(pinned.inputs.imageId).toBe("ami-0123456789abcdef0");
        expect(pinned.inputs.blockDeviceMappings[0].ebs.kmsKeyId).toBe("arn:aws:kms:ap-southeast-2:1:key/k");
    });

    test("the AMI comes from the EKS-optimized AL2023 SSM parameter of the pool's architecture, in the pool's region", () => {
        const ssm = run.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter");
        expect(ssm.map((i) => i.inputs.name).sort()).toEqual([amiParameterName("1.33", "arm64"), amiParameterName("1.33", "x86_64")]);
        for (const call of ssm) {
            expect(call.provider).toMatch(/aws-ap-southeast-2/);
        }
        expect(run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-workers-lt").inputs.imageId).toMatch(/^ami-0[0-9a-f]{16}$/);
    });

    test("spot pool: 100 % spot above the base, price-capacity-optimized, >= 3 types, capacity rebalance", () => {
        const asg = run.get("aws:autoscaling/group:Group", "apse2-pool-workers-asg");
        expect(asg.inputs).toMatchObject({ minSize: 0, maxSize: 10, desiredCapacity: 3, capacityRebalance: true, vpcZoneIdentifiers: SUBNETS });
        const policy = asg.inputs.mixedInstancesPolicy;
        expect(policy.instancesDistribution).toEqual({ onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized" });
        expect(policy.launchTemplate.overrides.map((o: { instanceType: string }) => o.instanceType)).toEqual(SPOT.instanceTypes);
        expect(policy.launchTemplate.launchTemplateSpecification).toEqual({ launchTemplateId: "apse2-pool-workers-lt-id", version: "1" });
    });

    test("spot pool: taint + label in the kubelet flags and as cluster-autoscaler node-template tags", () => {
        const lt = run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-workers-lt");
        const userData = Buffer.from(lt.inputs.userData, "base64").toString();
        expect(userData).toContain("--node-labels=node-type=spot,node-pool=workers");
        expect(userData).toContain("--register-with-taints=spot=true:NoSchedule");
        expect(userData).toContain("apiServerEndpoint: https://abc.gr7.us-east-1.eks.amazonaws.com");
        const tags = tagMap(run.get("aws:autoscaling/group:Group", "apse2-pool-workers-asg").inputs.tags);
        expect(tags).toMatchObject({
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/prod-use1-eks": "owned",
            "k8s.io/cluster-autoscaler/node-template/label/node-type": "spot",
            "k8s.io/cluster-autoscaler/node-template/taint/spot": "true:NoSchedule",
            "kubernetes.io/cluster/prod-use1-eks": "owned",
            [NTH_MANAGED_TAG]: "true",
            team: "platform",
            Name: "prod-use1-eks-workers",
        });
    });

    test("on-demand pool: one ASG per zone, each in its zone's subnet with a third of the totals (cluster-autoscaler can pick the zone)", () => {
        const groups = run.ofType("aws:autoscaling/group:Group").filter((g) => g.name.startsWith("apse2-pool-general-"));
        expect(groups.map((g) => g.name)).toEqual(ZONES.map((z) => `apse2-pool-general-asg-${z}`));
        groups.forEach((g, i) => {
            expect(g.inputs).toMatchObject({ vpcZoneIdentifiers: [SUBNETS[i]], minSize: 1, maxSize: 4, desiredCapacity: 1 });
            // Same launch template and the same node labels: cluster-autoscaler's --balance-similar-node-groups treats them as one pool.
            expect(g.inputs.mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId).toBe("apse2-pool-general-lt-id");
            expect(tagMap(g.inputs.tags)).toMatchObject({ Name: `prod-use1-eks-general-${ZONES[i]}`, "k8s.io/cluster-autoscaler/node-template/label/node-pool": "general" });
        });
        expect(run.ofType("aws:ec2/launchTemplate:LaunchTemplate").filter((lt) => lt.name.startsWith("apse2-pool-general-"))).toHaveLength(1);
    });

    test("the pool exposes every group keyed <pool>-<zone> (or <pool> for one group) and its zones", async () => {
        const out = await runComponent(() => {
            const general = new NodePool("p-general", ON_DEMAND);
            const workers = new NodePool("p-workers", SPOT);
            return { general: general.autoScalingGroupNames, generalZones: general.zones, workers: workers.autoScalingGroupNames, workersZones: workers.zones };
        });
        expect(out.outputs).toEqual({
            general: Object.fromEntries(ZONES.map((z) => [`general-${z}`, `p-general-asg-${z}`])),
            generalZones: ZONES,
            workers: { workers: "p-workers-asg" },
            workersZones: [],
        });
    });

    test("detailed monitoring is off unless asked for (5-minute basic monitoring serves the node alarms)", async () => {
        expect(run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-workers-lt").inputs.monitoring).toEqual({ enabled: false });
        const out = await runComponent(() => {
            new NodePool("p-detailed", { ...SPOT, detailedMonitoring: true });
            return {};
        });
        expect(out.get("aws:ec2/launchTemplate:LaunchTemplate", "p-detailed-lt").inputs.monitoring).toEqual({ enabled: true });
    });

    test("a pool asked for one group over all zones keeps the pool-wide group", async () => {
        const out = await runComponent(() => {
            new NodePool("p-single", { ...ON_DEMAND, availabilityZones: undefined, perZone: false });
            return {};
        });
        expect(out.get("aws:autoscaling/group:Group", "p-single-asg").inputs).toMatchObject({ vpcZoneIdentifiers: SUBNETS, minSize: 3, maxSize: 12 });
    });

    test("on-demand pool: 100 % on-demand in priority order, no capacity rebalance, no taint", () => {
        const asg = run.get("aws:autoscaling/group:Group", `apse2-pool-general-asg-${ZONES[0]}`);
        expect(asg.inputs).toMatchObject({ capacityRebalance: false });
        expect(asg.inputs.mixedInstancesPolicy.instancesDistribution).toEqual({ onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100, onDemandAllocationStrategy: "prioritized" });
        const tags = tagMap(asg.inputs.tags);
        expect(tags["k8s.io/cluster-autoscaler/node-template/label/node-type"]).toBe("on-demand");
        expect(Object.keys(tags).filter((k) => k.includes("/taint/"))).toEqual([]);
        const userData = Buffer.from(run.get("aws:ec2/launchTemplate:LaunchTemplate", "apse2-pool-general-lt").inputs.userData, "base64").toString();
        expect(userData).toContain("--node-labels=node-type=on-demand,node-pool=general");
        expect(userData).not.toContain("register-with-taints");
    });

    test("a termination lifecycle hook holds nodes for draining unless turned off", () => {
        const hook = run.get("aws:autoscaling/lifecycleHook:LifecycleHook", "apse2-pool-workers-drain");
        expect(hook.inputs).toMatchObject({ autoscalingGroupName: "apse2-pool-workers-asg", lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", heartbeatTimeout: 300, defaultResult: "CONTINUE" });
        expect(run.ofType("aws:autoscaling/lifecycleHook:LifecycleHook").map((h) => h.name).filter((n) => n.startsWith("apse2-pool-general"))).toEqual([]);
        // A per-zone pool gets one hook per zone's group.
        expect(run.ofType("aws:autoscaling/lifecycleHook:LifecycleHook").map((h) => h.name).filter((n) => n.startsWith("apse2-pool-pinned")))
            .toEqual(ZONES.map((z) => `apse2-pool-pinned-drain-${z}`));
    });
});
