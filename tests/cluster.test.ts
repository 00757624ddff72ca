import * as aws from "@pulumi/aws";
import {
    CONTROL_PLANE_LOG_TYPES, Cluster, ClusterArgs, EKS_OIDC_THUMBPRINT, NODE_ROLE_POLICIES, buildKubeconfig, validateClusterArgs,
} from "../components/cluster";
import {
    ADDON_CHARTS, ADDON_COMPATIBILITY, AddonKey, ClusterAddons, clusterAutoscalerImageTag, clusterAutoscalerPolicy, interruptionEventPatterns,
    interruptionQueueName, interruptionQueuePolicy, irsaTrustPolicy, issuerHost, kubernetesRange, nodeTerminationHandlerPolicy, nodeTerminationHandlerValues,
    supportsKubernetes, validateClusterAddonsArgs,
} from "../components/cluster-addons";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DEFAULT_KUBERNETES_VERSION, parseConfig } from "../platform/config";
import { StackRun, runComponent } from "./harness";

const VALID: ClusterArgs = { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b", "subnet-c"] };

describe("Cluster validation", () => {
    test.each<[string, Partial<ClusterArgs>, RegExp]>([
        ["one subnet", { subnetIds: ["subnet-a"] }, /subnetIds: must list >= 2 private subnets in different AZs \(EKS requires two\), got 1/],
        ["public endpoint without CIDRs", { publicEndpoint: true }, /publicAccessCidrs: must list the CIDRs allowed to reach the public endpoint when publicEndpoint is true .* got \[\]/],
        ["public endpoint open to the internet", { publicEndpoint: true, publicAccessCidrs: ["0.0.0.0/0"] }, /publicAccessCidrs: contains 0.0.0.0\/0 \(\["0.0.0.0\/0"\]\); .* set allowPublicAccessFromAnywhere: true/],
        ["CIDRs on a private endpoint", { publicAccessCidrs: ["203.0.113.0/24"] }, /publicAccessCidrs: is set \(\["203.0.113.0\/24"\]\) but publicEndpoint is false/],
        ["an invalid CIDR", { publicEndpoint: true, publicAccessCidrs: ["203.0.113.1/24"] }, /publicAccessCidrs\[0\]: must be an aligned IPv4 CIDR .* got "203.0.113.1\/24"/],
        ["a bad version", { kubernetesVersion: "1.33.2" }, /kubernetesVersion: must be a Kubernetes minor version such as "1.33", got "1.33.2"/],
        ["a public service CIDR", { serviceIpv4Cidr: "8.8.0.0/16" }, /serviceIpv4Cidr: must be a \/12 to \/24 block inside 10.0.0.0\/8, 172.16.0.0\/12 or 192.168.0.0\/16, got "8.8.0.0\/16"/],
        ["too small a service CIDR", { serviceIpv4Cidr: "10.100.0.0/26" }, /serviceIpv4Cidr: .* got "10.100.0.0\/26"/],
        ["an unsupported log retention", { logRetentionDays: 10 }, /logRetentionDays: must be one of the values CloudWatch accepts .* got 10/],
        ["a bad cluster name", { clusterName: "-eks" }, /clusterName: must be an EKS cluster name .* got "-eks"/],
        ["a bad admin key", { adminPrincipals: { "Platform Admins": "arn:aws:iam::123456789012:role/admins" } }, /adminPrincipals.Platform Admins: key must be a short DNS label/],
        ["a bad view key", { viewPrincipals: { "Read Only": "arn:aws:iam::123456789012:role/ro" } }, /viewPrincipals.Read Only: key must be a short DNS label/],
        ["one principal key as admin and viewer", { adminPrincipals: { ci: "arn:a" }, viewPrincipals: { ci: "arn:b" } }, /viewPrincipals: keys \["ci"\] are also in adminPrincipals/],
        ["a bad private-access CIDR", { privateAccessCidrs: { vpn: "10.99.0.1/16" } }, /privateAccessCidrs.vpn: must be an aligned IPv4 CIDR narrower than 0.0.0.0\/0 .* got "10.99.0.1\/16"/],
        ["the whole internet on the private endpoint", { privateAccessCidrs: { all: "0.0.0.0/0" } }, /privateAccessCidrs.all: must be an aligned IPv4 CIDR narrower than 0.0.0.0\/0/],
        ["a bad private-access key", { privateAccessCidrs: { "Office VPN": "10.99.0.0/16" } }, /privateAccessCidrs.Office VPN: key must be a short DNS label \(it names the ingress rule\)/],
        ["a malformed security group id", { privateAccessSecurityGroupIds: { bastion: "sg-123" } }, /privateAccessSecurityGroupIds.bastion: must be a security group id such as "sg-0123456789abcdef0", got "sg-123"/],
        ["a key in both access maps", { privateAccessCidrs: { vpn: "10.99.0.0/16" }, privateAccessSecurityGroupIds: { vpn: "sg-0123456789abcdef0" } }, /privateAccessSecurityGroupIds: keys \["vpn"\] are also in privateAccessCidrs/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateClusterArgs("c", args).throwIfAny('Cluster "c"')).toThrow(expected);
        expect(() => new Cluster("c", args)).toThrow(expected);
    });

    test("accepts 0.0.0.0/0 only when asked for by name", () => {
        const open = { ...VALID, publicEndpoint: true, publicAccessCidrs: ["0.0.0.0/0"] };
        expect(validateClusterArgs("c", { ...open, allowPublicAccessFromAnywhere: true }).count).toBe(0);
        expect(validateClusterArgs("c", open).count).toBe(1);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new Cluster("bad", { vpcId: "vpc-1", subnetIds: [], kubernetesVersion: "latest", publicEndpoint: true });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for Cluster "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("buildKubeconfig", () => {
    test.each([
        [undefined, []],
        ["platform", [{ name: "AWS_PROFILE", value: "platform" }]],
    ])("authenticates with aws eks get-token in the cluster's region (profile %s)", (profile, env) => {
        const cfg = buildKubeconfig({ clusterName: "prod-usw2-eks", endpoint: "https://x.eks", certificateAuthorityData: "Q0E=", region: "us-west-2", awsProfile: profile }) as any;
        expect(cfg.clusters[0].cluster).toEqual({ server: "https://x.eks", "certificate-authority-data": "Q0E=" });
        expect(cfg["current-context"]).toBe("prod-usw2-eks");
        const exec = cfg.users[0].user.exec;
        expect(exec.command).toBe("aws");
        expect(exec.args).toEqual(["eks", "get-token", "--cluster-name", "prod-usw2-eks", "--region", "us-west-2", "--output", "json"]);
        expect(exec.env).toEqual(env);
        expect(JSON.stringify(cfg)).not.toMatch(/"(token|password|client-key-data|client-certificate-data)":/);
    });
});

describe("Cluster under mocks", () => {
    let run: StackRun<{ clusterName: string; oidcIssuerUrl: string; nodeSecurityGroupIds: string[] }>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-eu-west-1", { region: "eu-west-1" });
            const priv = new Cluster("stg-euw1-eks", { ...VALID, kubernetesVersion: "1.32", tags: { team: "platform" }, adminPrincipals: { ops: "arn:aws:iam::123456789012:role/ops" } }, { provider });
            new Cluster("pub-eks", { ...VALID, publicEndpoint: true, publicAccessCidrs: ["203.0.113.0/24"], deletionProtection: true, awsProfile: "ci" }, { provider });
            return { clusterName: priv.clusterName, oidcIssuerUrl: priv.oidcIssuerUrl, nodeSecurityGroupIds: priv.nodeSecurityGroupIds };
        });
    });

    test("every child goes through the region's provider and sits under the component", () => {
        const component = run.get("scaled-web:compute:Cluster", "stg-euw1-eks");
        const children = run.descendantsOf(component);
        expect(children.length).toBeGreaterThan(15);
        for (const child of children.filter((c) => c.type.startsWith("aws:"))) {
            expect(child.region).toBe("eu-west-1");
        }
        expect(run.parentOf(run.get("aws:eks/cluster:Cluster", "stg-euw1-eks-cluster"))?.urn).toBe(component.urn);
    });

    test("control plane: private subnets, private endpoint only, access entries, KMS secrets, every log type", () => {
        const eks = run.get("aws:eks/cluster:Cluster", "stg-euw1-eks-cluster");
        const key = run.get("aws:kms/key:Key", "stg-euw1-eks-secrets");
        expect(eks.inputs).toMatchObject({
            name: "stg-euw1-eks",
            version: "1.32",
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            encryptionConfig: { provider: { keyArn: key.state.arn }, resources: ["secrets"] },
            enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
            kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16" },
            deletionProtection: false,
        });
        expect(eks.inputs.vpcConfig).toEqual({ subnetIds: VALID.subnetIds, endpointPrivateAccess: true, endpointPublicAccess: false });
        expect(key.inputs.enableKeyRotation).toBe(true);
        expect(run.get("aws:cloudwatch/logGroup:LogGroup", "stg-euw1-eks-control-plane").inputs).toMatchObject({ name: "/aws/eks/stg-euw1-eks/cluster", retentionInDays: 90 });
        const role = run.get("aws:iam/role:Role", "stg-euw1-eks-cluster-role");
        expect(eks.inputs.roleArn).toBe(role.state.arn);
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "eks.amazonaws.com" });
        const kms = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "stg-euw1-eks-cluster-kms").inputs.policy);
        expect(kms.Statement[0].Resource).toBe(key.state.arn);
    });

    test("a public endpoint carries exactly the allowed CIDRs", () => {
        const eks = run.get("aws:eks/cluster:Cluster", "pub-eks-cluster");
        expect(eks.inputs.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
        expect(eks.inputs.deletionProtection).toBe(true);
    });

    test("OIDC provider from the cluster issuer for IRSA", () => {
        const oidc = run.get("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "stg-euw1-eks-oidc");
        expect(oidc.inputs).toEqual(expect.objectContaining({ url: run.outputs.oidcIssuerUrl, clientIdLists: ["sts.amazonaws.com"], thumbprintLists: [EKS_OIDC_THUMBPRINT] }));
        expect(run.outputs.oidcIssuerUrl).toMatch(/^https:\/\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//);
    });

    test("node identity: role + instance profile + EC2_LINUX access entry; admins through access entries", () => {
        const nodeRole = run.get("aws:iam/role:Role", "stg-euw1-eks-node-role");
        expect(JSON.parse(nodeRole.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
        const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === nodeRole.state.name).map((a) => a.inputs.policyArn);
        expect(attached.sort()).toEqual(NODE_ROLE_POLICIES.map((p) => `arn:aws:iam::aws:policy/${p}`).sort());
        expect(run.get("aws:iam/instanceProfile:InstanceProfile", "stg-euw1-eks-node").inputs.role).toBe(nodeRole.state.name);
        expect(run.get("aws:eks/accessEntry:AccessEntry", "stg-euw1-eks-nodes").inputs).toMatchObject({ clusterName: "stg-euw1-eks", principalArn: nodeRole.state.arn, type: "EC2_LINUX" });
        expect(run.get("aws:eks/accessEntry:AccessEntry", "stg-euw1-eks-admin-ops").inputs).toMatchObject({ principalArn: "arn:aws:iam::123456789012:role/ops", type: "STANDARD" });
        expect(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "stg-euw1-eks-admin-ops").inputs).toMatchObject({
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" },
        });
        expect(run.ofType("kubernetes:core/v1:ConfigMap")).toEqual([]);
    });

    test("node security group: egress only, standalone rules, plus the cluster security group", () => {
        const sg = run.get("aws:ec2/securityGroup:SecurityGroup", "stg-euw1-eks-nodes");
        expect(sg.inputs.vpcId).toBe("vpc-1");
        expect(sg.inputs.ingress).toBeUndefined();
        expect(sg.inputs.tags).not.toHaveProperty("kubernetes.io/cluster/stg-euw1-eks");
        expect(run.get("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "stg-euw1-eks-nodes-egress").inputs).toMatchObject({ securityGroupId: "stg-euw1-eks-nodes-id", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
        expect(run.outputs.nodeSecurityGroupIds).toEqual(["stg-euw1-eks-nodes-id", "sg-stg-euw1-eks-cluster-cluster"]);
    });

    test("k8s provider from an exec kubeconfig (secret) pinned to the region", () => {
        const provider = run.get("pulumi:providers:kubernetes", "stg-euw1-eks-k8s");
        expect(provider.secretInputs).toContain("kubeconfig");
        const cfg = JSON.parse(provider.inputs.kubeconfig);
        expect(cfg.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", "stg-euw1-eks", "--region", "eu-west-1", "--output", "json"]);
        expect(cfg.clusters[0].cluster.server).toBe("https://stg-euw1-eks-cluster.gr7.eu-west-1.eks.amazonaws.com");
        const pub = JSON.parse(run.get("pulumi:providers:kubernetes", "pub-eks-k8s").inputs.kubeconfig);
        expect(pub.users[0].user.exec.env).toEqual([{ name: "AWS_PROFILE", value: "ci" }]);
    });
});

describe("Cluster private API access", () => {
    let run: StackRun<{ clusterSg: string }>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
            const runnerSg = new aws.ec2.SecurityGroup("runner-sg", { vpcId: "vpc-1" }, { provider });
            const c = new Cluster("prod-usw2-eks", {
                ...VALID,
                privateAccessCidrs: { vpn: "10.99.0.0/16", "runner-us-east-1a": "10.10.0.0/19" },
                privateAccessSecurityGroupIds: { "deploy-runner": runnerSg.id, bastion: "sg-0123456789abcdef0" },
                adminPrincipals: { deploy: "arn:aws:iam::123456789012:role/scaled-web-deploy" },
                viewPrincipals: { preview: "arn:aws:iam::123456789012:role/scaled-web-preview" },
            }, { provider });
            new Cluster("closed-eks", VALID, { provider });
            return { clusterSg: c.clusterSecurityGroupId };
        });
    });

    // The old Cluster created no rule: the EKS-created cluster security group admits only itself, so nothing
    // outside the cluster (the deploy runner included) could open a connection to the private endpoint.
    test("each named CIDR and security group is admitted on tcp 443 of the EKS cluster security group, and nothing else", () => {
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("prod-usw2-eks-api-"));
        expect(rules.map((r) => r.name).sort()).toEqual(["prod-usw2-eks-api-bastion", "prod-usw2-eks-api-deploy-runner", "prod-usw2-eks-api-runner-us-east-1a", "prod-usw2-eks-api-vpn"]);
        for (const rule of rules) {
            expect(rule.inputs).toMatchObject({ securityGroupId: run.outputs.clusterSg, ipProtocol: "tcp", fromPort: 443, toPort: 443 });
        }
        expect(run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-usw2-eks-api-vpn").inputs.cidrIpv4).toBe("10.99.0.0/16");
        expect(run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-usw2-eks-api-deploy-runner").inputs.referencedSecurityGroupId).toBe("runner-sg-id");
        expect(run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-usw2-eks-api-bastion").inputs.referencedSecurityGroupId).toBe("sg-0123456789abcdef0");
        expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("closed-eks"))).toEqual([]);
    });

    test("the Kubernetes provider waits for the ingress rules and the admin access entries", () => {
        const provider = run.get("pulumi:providers:kubernetes", "prod-usw2-eks-k8s");
        expect(provider.dependencies).toContain(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "prod-usw2-eks-admin-deploy").urn);
        for (const rule of run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith("prod-usw2-eks-api-"))) {
            expect(provider.dependencies).toContain(rule.urn);
        }
    });

    test("the deploy role is cluster admin, the preview role read-only (AmazonEKSViewPolicy)", () => {
        expect(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "prod-usw2-eks-admin-deploy").inputs).toMatchObject({
            principalArn: "arn:aws:iam::123456789012:role/scaled-web-deploy", policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        });
        expect(run.get("aws:eks/accessEntry:AccessEntry", "prod-usw2-eks-view-preview").inputs).toMatchObject({ principalArn: "arn:aws:iam::123456789012:role/scaled-web-preview", type: "STANDARD" });
        expect(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "prod-usw2-eks-view-preview").inputs).toMatchObject({
            principalArn: "arn:aws:iam::123456789012:role/scaled-web-preview", policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", accessScope: { type: "cluster" },
        });
    });
});

describe("ClusterAddons helpers", () => {
    const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC";
    const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC";

    test.each([
        ["kube-system", "cluster-autoscaler"],
        ["kube-system", "aws-node-termination-handler"],
    ])("IRSA trust is pinned to %s/%s through the OIDC issuer", (ns, sa) => {
        const policy = irsaTrustPolicy(PROVIDER, ISSUER, ns, sa) as any;
        expect(policy.Statement).toHaveLength(1);
        expect(policy.Statement[0]).toEqual({
            Effect: "Allow",
            Principal: { Federated: PROVIDER },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuerHost(ISSUER)}:sub`]: `system:serviceaccount:${ns}:${sa}`, [`${issuerHost(ISSUER)}:aud`]: "sts.amazonaws.com" } },
        });
    });

    test("cluster-autoscaler (one role for every region) may only mutate ASGs tagged as the calling pod's cluster", () => {
        const policy = clusterAutoscalerPolicy() as any;
        const mutating = policy.Statement.filter((s: any) => s.Action.some((a: string) => !/:(Describe|Get)/.test(a)));
        expect(mutating).toHaveLength(1);
        expect(mutating[0].Action.sort()).toEqual(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
        // The Pod Identity session tag eks-cluster-name, matched against the tag NodePool puts on every ASG.
        expect(mutating[0].Condition.StringEquals).toEqual({
            "aws:ResourceTag/scaled-web/eks-cluster": "${aws:PrincipalTag/eks-cluster-name}",
            "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        });
    });

    test("termination handler reads only its own cluster's queue and completes lifecycle actions only on that cluster's ASGs", () => {
        const policy = nodeTerminationHandlerPolicy("123456789012") as any;
        const sqs = policy.Statement.find((s: any) => s.Sid === "ReadOwnClustersQueue");
        expect(sqs.Resource).toBe("arn:aws:sqs:*:123456789012:${aws:PrincipalTag/eks-cluster-name}-interruptions");
        expect(interruptionQueueName("prod-use1-eks")).toBe("prod-use1-eks-interruptions");
        const complete = policy.Statement.find((s: any) => s.Action.includes("autoscaling:CompleteLifecycleAction"));
        expect(complete.Condition.StringEquals).toEqual({ "aws:ResourceTag/scaled-web/eks-cluster": "${aws:PrincipalTag/eks-cluster-name}" });
    });

    test("by default only ASG termination lifecycle actions reach the queue (capacity rebalance covers spot notices)", () => {
        expect(interruptionEventPatterns()).toEqual({
            "asg-lifecycle": { source: ["aws.autoscaling"], "detail-type": ["EC2 Instance-terminate Lifecycle Action"] },
        });
        expect(interruptionEventPatterns(["asg-a"])["asg-lifecycle"].detail).toEqual({ AutoScalingGroupName: ["asg-a"] });
    });

    test("spot interruption and rebalance rules are opt-in", () => {
        expect(interruptionEventPatterns(undefined, true)).toEqual({
            "asg-lifecycle": { source: ["aws.autoscaling"], "detail-type": ["EC2 Instance-terminate Lifecycle Action"] },
            "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
            rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
        });
    });

    test("termination handler values: queue mode, only keys the chart reads in that mode", () => {
        const values = nodeTerminationHandlerValues({ queueUrl: "https://sqs/q", region: "us-east-1", nodeSelector: { "node-type": "on-demand" } });
        // Credentials come from EKS Pod Identity: no IRSA role annotation on the service account.
        expect(values.serviceAccount).toEqual({ create: true, name: "aws-node-termination-handler" });
        expect(values).toMatchObject({ enableSqsTerminationDraining: true, queueURL: "https://sqs/q", awsRegion: "us-east-1", checkTagBeforeDraining: true });
        // values.yaml@v1.25.6 marks these "Only used in IMDS mode"; in queue mode they change nothing.
        for (const imdsOnly of ["enableSpotInterruptionDraining", "enableRebalanceMonitoring", "enableRebalanceDraining", "enableASGLifecycleDraining", "enableScheduledEventDraining"]) {
            expect(values).not.toHaveProperty(imdsOnly);
        }
    });

    test("queue accepts messages only from the listed rules and only over TLS", () => {
        const policy = interruptionQueuePolicy("arn:q", ["arn:r1", "arn:r2"]) as any;
        expect(policy.Statement[0]).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Condition: { ArnEquals: { "aws:SourceArn": ["arn:r1", "arn:r2"] } } });
        expect(policy.Statement[1]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    test("charts are pinned to exact versions from public https/oci homes", () => {
        for (const chart of Object.values(ADDON_CHARTS)) {
            expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
            expect(chart.repo ? chart.repo.startsWith("https://") : chart.chart.startsWith("oci://public.ecr.aws/")).toBe(true);
        }
        expect(clusterAutoscalerImageTag("1.33")).toBe("v1.33.0");
    });

    test("every pinned chart has a compatibility entry for exactly the pinned version", () => {
        for (const key of Object.keys(ADDON_CHARTS) as AddonKey[]) {
            expect([key, ADDON_COMPATIBILITY[key].chartVersion]).toEqual([key, ADDON_CHARTS[key].version]);
            expect(ADDON_COMPATIBILITY[key].source).toMatch(/\S/);
        }
        // cluster-autoscaler's default image is the pinned chart's appVersion.
        expect(clusterAutoscalerImageTag(ADDON_COMPATIBILITY.clusterAutoscaler.minKubernetes)).toBe(`v${ADDON_COMPATIBILITY.clusterAutoscaler.appVersion}`);
    });

    test.each([
        ["1.30", false], ["1.31", true], ["1.33", true], ["1.34", false],
    ])("KEDA 2.18 (Kubernetes 1.31 - 1.33) supports %s: %s", (version, ok) => {
        expect(supportsKubernetes(ADDON_COMPATIBILITY.keda, version)).toBe(ok);
        expect(kubernetesRange(ADDON_COMPATIBILITY.keda)).toBe("1.31 - 1.33");
    });

    test("an open range (metrics-server 0.8.x: 1.31+) has no upper bound", () => {
        expect(supportsKubernetes(ADDON_COMPATIBILITY.metricsServer, "1.40")).toBe(true);
        expect(supportsKubernetes(ADDON_COMPATIBILITY.metricsServer, "1.30")).toBe(false);
    });

    // The cluster version every stack runs must be inside every pinned add-on's own compatibility table.
    const stackVersions: [string, string][] = [
        ["DEFAULT_KUBERNETES_VERSION", DEFAULT_KUBERNETES_VERSION],
        ...["dev", "prod"].map((stack): [string, string] => {
            const doc = YAML.parse(fs.readFileSync(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8"));
            const raw = Object.fromEntries(Object.entries<unknown>(doc.config).map(([k, v]) => [k.replace(/^scaled-web:/, ""), v]));
            return [`Pulumi.${stack}.yaml`, parseConfig(raw, stack).cluster.kubernetesVersion];
        }),
    ];
    test.each(stackVersions)("%s (Kubernetes %s) is supported by every pinned add-on", (_what, version) => {
        const outside = (Object.keys(ADDON_CHARTS) as AddonKey[])
            .filter((key) => !supportsKubernetes(ADDON_COMPATIBILITY[key], version))
            .map((key) => `${key} ${ADDON_CHARTS[key].version}: ${kubernetesRange(ADDON_COMPATIBILITY[key])}`);
        expect(outside).toEqual([]);
    });

    test.each<[string, object, RegExp]>([
        ["an unpinned chart", { charts: { keda: { chart: "keda", version: "latest", repo: "https://kedacore.github.io/charts" } } }, /charts.keda.version: must pin an exact chart version such as "1.2.3", got "latest"/],
        ["a plain-http repo", { charts: { keda: { chart: "keda", version: "2.17.2", repo: "http://example.com" } } }, /charts.keda: must name an https:\/\/ repo or an oci:\/\/ chart/],
        ["a bad version", { kubernetesVersion: "133" }, /kubernetesVersion: must be a Kubernetes minor version such as "1.33", got "133"/],
        ["a bad autoscaler tag", { clusterAutoscalerImageTag: "latest" }, /clusterAutoscalerImageTag: must be a release tag such as "v1.33.0", got "latest"/],
        ["an autoscaler of another minor", { clusterAutoscalerImageTag: "v1.32.4" }, /clusterAutoscalerImageTag: must share the control plane's minor version 1.33 .*got "v1.32.4"/],
        ["a Kubernetes version KEDA 2.18 does not list", { kubernetesVersion: "1.34", charts: { clusterAutoscaler: { chart: "cluster-autoscaler", version: "9.52.0", repo: "https://kubernetes.github.io/autoscaler" } } },
            /kubernetesVersion: 1.34 is outside what the pinned keda chart 2.18.3 \(app 2.18.3\) supports: Kubernetes 1.31 - 1.33 .*pass charts.keda/],
        ["a Kubernetes version the pinned cluster-autoscaler is not", { kubernetesVersion: "1.32" }, /kubernetesVersion: 1.32 is outside what the pinned cluster-autoscaler chart 9.51.0 \(app 1.33.0\) supports: Kubernetes 1.33 - 1.33/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { clusterName: "c", kubernetesVersion: "1.33", region: "us-east-1", vpcId: "vpc-1", roles: {} as any, k8sProvider: undefined as any, ...patch };
        expect(() => validateClusterAddonsArgs(args).throwIfAny('ClusterAddons "a"')).toThrow(expected);
        expect(() => new ClusterAddons("a", args)).toThrow(expected);
    });
});
