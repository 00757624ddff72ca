/**
 * Stack configuration of cluster operations (issue 16): support policy, add-on versions, pinned node AMIs, named
 * cluster admins. One test per rejected config, each naming the stack-file key, the value and the fix.
 */
import { parseConfig } from "../platform/config";
import { PROD_ADMIN_ARN, configMessageOf, minimalProdConfig } from "./config-fixtures";

const ADMIN = PROD_ADMIN_ARN;
const prod = minimalProdConfig;

function dev(): any {
    return { environment: "dev", domain: "dev.example.com", regions: { "us-east-1": { role: "primary", weight: 100 } } };
}

const messageOf = (raw: unknown): string => configMessageOf(raw, "test");

describe("cluster operations config: accepted", () => {
    test("defaults: standard support, no add-on overrides, no named admins outside prod, AMI unpinned in dev", () => {
        const c = parseConfig(dev(), "dev");
        expect(c.cluster.supportType).toBe("STANDARD");
        expect(c.cluster.addonVersions).toEqual({});
        expect(c.cluster.adminPrincipals).toEqual({});
        expect(c.cluster.nodeAmi).toBeUndefined();
    });

    test("prod with a pinned AMI release and named admins; extended support and an add-on override pass through", () => {
        const raw = prod();
        raw.cluster.supportType = "EXTENDED";
        raw.cluster.addonVersions = { coredns: "v1.12.4-eksbuild.1" };
        const c = parseConfig(raw, "prod");
        expect(c.cluster).toMatchObject({ supportType: "EXTENDED", addonVersions: { coredns: "v1.12.4-eksbuild.1" }, nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": ADMIN } });
    });

    test("AMI ids per region and architecture; nodes one minor behind the control plane", () => {
        const raw = prod();
        raw.cluster.nodeAmi = {
            imageIds: { "us-east-1": { x86_64: "ami-0123456789abcdef0" }, "us-west-2": { x86_64: "ami-0fedcba9876543210" } },
            kubernetesVersion: "1.32",
        };
        expect(parseConfig(raw, "prod").cluster.nodeAmi?.kubernetesVersion).toBe("1.32");
    });
});

describe("cluster operations config: rejected", () => {
    test.each<[string, (c: any) => void, RegExp]>([
        ["prod without a pinned node AMI", (c) => { delete c.cluster.nodeAmi; },
            /cluster\.nodeAmi: is required in prod: pin the node AMI, e\.g\. \{ release: v20260714 \}/],
        ["prod without named cluster admins", (c) => { c.cluster.adminPrincipals = {}; },
            /cluster\.adminPrincipals: is empty: prod names its cluster admins .* instead of relying on the implicit admin of whoever created the cluster/],
        ["an unknown support type", (c) => { c.cluster.supportType = "LTS"; },
            /cluster\.supportType: must be one of STANDARD, EXTENDED/],
        ["a malformed add-on version", (c) => { c.cluster.addonVersions = { "vpc-cni": "1.20.1" }; },
            /cluster\.addonVersions\.vpc-cni: must be an EKS add-on version such as "v1\.20\.1-eksbuild\.3"/],
        ["an unknown add-on", (c) => { c.cluster.addonVersions = { "aws-ebs-csi-driver": "v1.40.0-eksbuild.1" }; },
            /cluster\.addonVersions/],
        ["kube-proxy newer than the control plane", (c) => { c.cluster.addonVersions = { "kube-proxy": "v1.34.1-eksbuild.2" }; },
            /cluster\.addonVersions\.kube-proxy: "v1\.34\.1-eksbuild\.2" is built for Kubernetes 1\.34; kube-proxy may not be newer than the control plane \(1\.33\)/],
        ["a malformed AMI release", (c) => { c.cluster.nodeAmi = { release: "2026-07-14" }; },
            /cluster\.nodeAmi\.release: must be an amazon-eks-ami release such as "v20260714"/],
        ["both an AMI release and AMI ids", (c) => { c.cluster.nodeAmi = { release: "v20260714", imageIds: { "us-east-1": { x86_64: "ami-0123456789abcdef0" }, "us-west-2": { x86_64: "ami-0123456789abcdef0" } } }; },
            /cluster\.nodeAmi: sets both release and imageIds; pin the AMI one way/],
        ["node AMIs newer than the control plane", (c) => { c.cluster.nodeAmi.kubernetesVersion = "1.34"; },
            /cluster\.nodeAmi\.kubernetesVersion: must be the control plane's minor \(1\.33\) or up to three older \(kubelet version skew policy\), got "1\.34"/],
        ["node AMIs four minors behind", (c) => { c.cluster.nodeAmi.kubernetesVersion = "1.29"; },
            /cluster\.nodeAmi\.kubernetesVersion: must be the control plane's minor \(1\.33\) or up to three older/],
        ["AMI ids missing a region", (c) => { c.cluster.nodeAmi = { imageIds: { "us-east-1": { x86_64: "ami-0123456789abcdef0" } } }; },
            /cluster\.nodeAmi\.imageIds\.us-west-2\.x86_64: is missing: a node pool runs x86_64 instances in us-west-2/],
        ["AMI ids for a region the stack does not use", (c) => { c.cluster.nodeAmi.imageIds = undefined; c.cluster.nodeAmi = { imageIds: { "us-east-1": { x86_64: "ami-0123456789abcdef0" }, "us-west-2": { x86_64: "ami-0123456789abcdef0" }, "eu-west-1": { x86_64: "ami-0123456789abcdef0" } } }; },
            /cluster\.nodeAmi\.imageIds\.eu-west-1: "eu-west-1" is not one of this stack's regions/],
        ["a malformed AMI id", (c) => { c.cluster.nodeAmi = { imageIds: { "us-east-1": { x86_64: "ami-123" } } }; },
            /cluster\.nodeAmi\.imageIds\.us-east-1\.x86_64: must be an AMI id such as "ami-0123456789abcdef0"/],
        ["an admin that is not an IAM ARN", (c) => { c.cluster.adminPrincipals = { ops: "ops-team" }; },
            /cluster\.adminPrincipals\.ops: must be an IAM role or user ARN/],
        ["an admin key the deploy runner uses", (c) => { c.cluster.adminPrincipals = { deploy: ADMIN }; },
            /cluster\.adminPrincipals\.deploy: key must be a DNS label of at most 32 characters other than deploy, preview/],
        ["the deploy role listed as an admin too", (c) => {
            c.deployRunner = {
                enabled: true, repository: "o/r", connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                allowedActorIds: [1], deployRoleArn: "arn:aws:iam::123456789012:role/deploy",
            };
            c.cluster.adminPrincipals = { ci: "arn:aws:iam::123456789012:role/deploy" };
        }, /cluster\.adminPrincipals\.ci: "arn:aws:iam::123456789012:role\/deploy" is the deploy runner's deploy role, which already has its own access entry/],
        ["one principal under two keys", (c) => { c.cluster.adminPrincipals = { a: ADMIN, b: ADMIN }; },
            /cluster\.adminPrincipals: names \["arn:aws:iam::123456789012:role\/platform-admins"\] more than once/],
    ])("rejects %s", (_label, edit, expected) => {
        const raw = prod();
        edit(raw);
        const message = messageOf(raw);
        expect(message).toMatch(expected);
        expect(message).toMatch(/scaled-web:cluster|cluster\./);
    });

    test("a Kubernetes minor without pinned add-ons names the add-ons to set", () => {
        // 1.34 is also outside the pinned Helm charts; the EKS add-on rule is reported with them.
        const raw = prod();
        raw.cluster.kubernetesVersion = "1.34";
        expect(messageOf(raw)).toMatch(/cluster\.kubernetesVersion: 1\.34 has no pinned EKS add-on versions \(pinned: 1\.31, 1\.32, 1\.33\); .* name the versions of vpc-cni, kube-proxy, eks-pod-identity-agent, coredns in cluster\.addonVersions/);
    });
});

describe("cluster admins in the prod stack", () => {
    test("each region's cluster has the named admins and the deploy role as cluster admins, one entry per principal", async () => {
        const { runStack } = await import("./harness");
        const run = await runStack("prod");
        for (const prefix of ["prod-use1-eks", "prod-usw2-eks"]) {
            const admin = run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `${prefix}-admin-platform-admins`);
            expect(admin.inputs).toMatchObject({
                principalArn: ADMIN, policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" },
            });
            expect(run.get("aws:eks/accessEntry:AccessEntry", `${prefix}-admin-deploy`).inputs.principalArn).toBe("arn:aws:iam::123456789012:role/scaled-web-deploy");
            const entries = run.ofType("aws:eks/accessEntry:AccessEntry").filter((e) => e.name.startsWith(`${prefix}-`) && e.inputs.type === "STANDARD");
            const principals = entries.map((e) => e.inputs.principalArn);
            expect(new Set(principals).size).toBe(principals.length);
        }
    }, 240_000);
});
