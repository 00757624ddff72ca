/**
 * The deploy path end to end in the reference program: the `deployRunner` and `cluster.privateAccess*` stack keys,
 * the runner in the primary region, and what each region's private cluster API admits.
 */
import { parseConfig } from "../platform/config";
import { configMessageOf, minimalProdConfig } from "./config-fixtures";
import { StackRun, runStack } from "./harness";

const RUNNER = {
    enabled: true,
    repository: "example-org/scaled-web",
    connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    allowedActorIds: [1000001],
    deployRoleArn: "arn:aws:iam::123456789012:role/scaled-web-deploy",
};

/** Prod pins its node AMI and names its cluster admins (platform/cluster-ops-config.ts). */
const PROD_CLUSTER = minimalProdConfig().cluster;
const base = minimalProdConfig;
const messageOf = (raw: unknown): string => configMessageOf(raw, "prod");

describe("stack keys", () => {
    test("the runner is off unless asked for; its project name defaults to <project>-<stack>-deploy-runner", () => {
        expect(parseConfig(base(), "prod").deployRunner).toMatchObject({ enabled: false, projectName: "scaled-web-prod-deploy-runner" });
        expect(parseConfig({ ...base(), deployRunner: { ...RUNNER, projectName: "ci-runner" } }, "prod").deployRunner.projectName).toBe("ci-runner");
    });

    test("the runner is privileged (a Docker daemon) exactly when the stack builds images during pulumi up", () => {
        // Dev builds the reference app with @pulumi/docker on the runner; CodeBuild runs dockerd only in privileged builds.
        const dev = { ...base(), environment: "dev", api: {}, ws: {}, workers: {}, deployRunner: RUNNER };
        expect(parseConfig(dev, "dev").deployRunner.privilegedMode).toBe(true);
        expect(parseConfig({ ...dev, deployRunner: { ...RUNNER, privilegedMode: false } }, "dev").deployRunner.privilegedMode).toBe(false);
        // Prod runs the pinned images it names: nothing to build, no privilege.
        expect(parseConfig({ ...base(), deployRunner: RUNNER }, "prod").deployRunner.privilegedMode).toBe(false);
        expect(parseConfig({ ...base(), deployRunner: RUNNER, images: { build: { api: { context: "app" } } } }, "prod").deployRunner.privilegedMode).toBe(true);
    });

    test.each<[string, Record<string, unknown>, RegExp[]]>([
        ["an enabled runner without repository, connection, actors or deploy role", { deployRunner: { enabled: true } }, [
            /scaled-web:deployRunner\.repository: is required when deployRunner\.enabled is true/,
            /scaled-web:deployRunner\.connectionArn: is required when deployRunner\.enabled is true/,
            /scaled-web:deployRunner\.deployRoleArn: is required when deployRunner\.enabled is true/,
            /scaled-web:deployRunner\.allowedActorIds: must list the numeric GitHub account IDs/,
        ]],
        ["a repository URL", { deployRunner: { ...RUNNER, repository: "github.com/example-org/scaled-web" } }, [/deployRunner\.repository: must be a GitHub repository "owner\/name", got "github.com\/example-org\/scaled-web"/]],
        ["a connection ARN of another service", { deployRunner: { ...RUNNER, connectionArn: "arn:aws:iam::123456789012:role/x" } }, [/deployRunner\.connectionArn: must be the ARN of a CodeConnections GitHub connection/]],
        ["a user ARN as deploy role", { deployRunner: { ...RUNNER, deployRoleArn: "arn:aws:iam::123456789012:user/ci" } }, [/deployRunner\.deployRoleArn: must be an IAM role ARN .* \(got "arn:aws:iam::123456789012:user\/ci"\)/]],
        ["a bad project name", { deployRunner: { ...RUNNER, projectName: "my runner" } }, [/deployRunner\.projectName: must be a CodeBuild project name .* got "my runner"/]],
        ["an unknown runner key", { deployRunner: { ...RUNNER, role: "x" } }, [/deployRunner\.role: unknown key "role"; valid keys here: enabled, repository/]],
        ["a private-access CIDR that is no CIDR", { cluster: { ...PROD_CLUSTER, privateAccessCidrs: { vpn: "10.99.0.0" } } }, [/cluster\.privateAccessCidrs\.vpn: must be an IPv4 CIDR such as "10\.0\.0\.0\/16" \(got "10\.99\.0\.0"\)/]],
        ["a /33", { cluster: { ...PROD_CLUSTER, privateAccessCidrs: { vpn: "10.99.0.0/33" } } }, [/cluster\.privateAccessCidrs\.vpn: prefix \/33 out of range \(an IPv4 prefix is \/0 to \/32\), got "10\.99\.0\.0\/33"/]],
        ["an unaligned private-access CIDR", { cluster: { ...PROD_CLUSTER, privateAccessCidrs: { vpn: "10.99.1.0/16" } } }, [/cluster\.privateAccessCidrs\.vpn: has host bits set \(the address must be the first of its \/16 block\); use "10\.99\.0\.0\/16", got "10\.99\.1\.0\/16"/]],
        ["0.0.0.0/0 on the private endpoint", { cluster: { ...PROD_CLUSTER, privateAccessCidrs: { all: "0.0.0.0/0" } } }, [/cluster\.privateAccessCidrs\.all: must be an aligned IPv4 CIDR narrower than 0\.0\.0\.0\/0/]],
        ["a key the runner's rules use", { cluster: { ...PROD_CLUSTER, privateAccessCidrs: { "deploy-runner": "10.99.0.0/16" } } }, [/cluster\.privateAccessCidrs\.deploy-runner: key must be a DNS label other than "deploy-runner" \/ "runner-\*"/]],
        ["a malformed security group id", { cluster: { ...PROD_CLUSTER, privateAccessSecurityGroups: { "us-east-1": { bastion: "sg-12" } } } }, [/cluster\.privateAccessSecurityGroups\.us-east-1\.bastion: must be a security group id such as "sg-0123456789abcdef0" \(got "sg-12"\)/]],
        ["a security group in a region the stack lacks", { cluster: { ...PROD_CLUSTER, privateAccessSecurityGroups: { "eu-west-1": { bastion: "sg-0123456789abcdef0" } } } }, [/cluster\.privateAccessSecurityGroups\.eu-west-1: "eu-west-1" is not one of this stack's regions \(us-east-1, us-west-2\); security groups are regional/]],
    ])("rejects %s, naming the key", (_label, patch, expected) => {
        const message = messageOf({ ...base(), ...patch });
        for (const re of expected) {
            expect(message).toMatch(re);
        }
    });

    test("bootstrap: a public endpoint for the operator's address may coexist with the runner (first deploy)", () => {
        const c = parseConfig({ ...base(), cluster: { ...PROD_CLUSTER, publicEndpoint: true, publicAccessCidrs: ["203.0.113.7/32"] }, deployRunner: RUNNER }, "prod");
        expect(c.cluster.publicAccessCidrs).toEqual(["203.0.113.7/32"]);
        expect(c.deployRunner.enabled).toBe(true);
    });
});

describe("the prod stack with its runner", () => {
    let run: StackRun;
    const ingress = (cluster: string): Record<string, any> => Object.fromEntries(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.name.startsWith(`${cluster}-api-`)).map((r) => [r.name.slice(cluster.length + 5), r.inputs]));

    beforeAll(async () => {
        run = await runStack("prod", {
            cluster: { ...PROD_CLUSTER, privateAccessCidrs: { vpn: "10.99.0.0/16" }, privateAccessSecurityGroups: { "us-west-2": { bastion: "sg-0123456789abcdef0" } } },
        });
    });

    test("one runner, in the primary region's private subnets, named as the workflows expect", () => {
        const projects = run.ofType("aws:codebuild/project:Project");
        expect(projects).toHaveLength(1);
        expect(projects[0].region).toBe("us-east-1");
        expect(projects[0].inputs.name).toBe("scaled-web-prod-deploy-runner");
        expect(projects[0].inputs.vpcConfig.vpcId).toBe("prod-use1-net-vpc-id");
        expect(projects[0].inputs.vpcConfig.subnets).toHaveLength(3);
        expect(projects[0].inputs.vpcConfig.subnets.every((s: string) => /private/.test(s))).toBe(true);
        expect(run.outputs.deployRunner).toEqual({
            projectName: "scaled-web-prod-deploy-runner",
            runsOn: "codebuild-scaled-web-prod-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}",
        });
    });

    // Before: each cluster security group admitted only itself, so `pulumi up` timed out on every Kubernetes object.
    test("the primary cluster admits the runner's security group on 443, and the named CIDRs", () => {
        const rules = ingress("prod-use1-eks");
        expect(Object.keys(rules).sort()).toEqual(["deploy-runner", "vpn"]);
        // The mock runtime answers a resource's `id` output as `<name>-id`.
        expect(rules["deploy-runner"]).toMatchObject({ referencedSecurityGroupId: "prod-use1-deploy-runner-sg-id", ipProtocol: "tcp", fromPort: 443, toPort: 443 });
        expect(run.get("aws:codebuild/project:Project", "prod-use1-deploy-runner-project").inputs.vpcConfig.securityGroupIds).toEqual(["prod-use1-deploy-runner-sg-id"]);
        expect(rules.vpn).toMatchObject({ cidrIpv4: "10.99.0.0/16", fromPort: 443, toPort: 443 });
    });

    test("the secondary cluster admits the runner's subnets over the peering (no cross-region security group references)", () => {
        const rules = ingress("prod-usw2-eks");
        expect(Object.keys(rules).sort()).toEqual(["bastion", "runner-us-east-1a", "runner-us-east-1b", "runner-us-east-1c", "vpn"]);
        const runnerSubnets = run.ofType("aws:ec2/subnet:Subnet").filter((s) => s.region === "us-east-1" && /private/.test(s.name)).map((s) => s.inputs.cidrBlock).sort();
        expect(["runner-us-east-1a", "runner-us-east-1b", "runner-us-east-1c"].map((k) => rules[k].cidrIpv4).sort()).toEqual(runnerSubnets);
        expect(rules.bastion.referencedSecurityGroupId).toBe("sg-0123456789abcdef0");
        for (const rule of Object.values(rules)) {
            expect(rule).toMatchObject({ ipProtocol: "tcp", fromPort: 443, toPort: 443 });
        }
        // The peering routes the private subnets both ways, so the API's replies find their way back.
        expect(run.ofType("aws:ec2/route:Route").some((r) => r.region === "us-west-2" && r.inputs.destinationCidrBlock === "10.10.0.0/16")).toBe(true);
    });

    test("every region's cluster gives the deploy role admin and the preview role view access entries", () => {
        for (const code of ["use1", "usw2"]) {
            expect(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `prod-${code}-eks-admin-deploy`).inputs).toMatchObject({
                principalArn: "arn:aws:iam::123456789012:role/scaled-web-deploy", policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            });
            expect(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `prod-${code}-eks-view-preview`).inputs).toMatchObject({
                principalArn: "arn:aws:iam::123456789012:role/scaled-web-preview", policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            });
        }
    });

    test("every Kubernetes provider waits for its cluster's API ingress rules", () => {
        for (const code of ["use1", "usw2"]) {
            const provider = run.get("pulumi:providers:kubernetes", `prod-${code}-eks-k8s`);
            const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith(`prod-${code}-eks-api-`));
            expect(rules.length).toBeGreaterThan(0);
            for (const rule of rules) {
                expect(provider.dependencies).toContain(rule.urn);
            }
        }
    });
});

describe("a stack without the runner", () => {
    test("creates no runner and admits nothing but what it names", async () => {
        const run = await runStack("dev", { deployRunner: { enabled: false } });
        expect(run.ofType("aws:codebuild/project:Project")).toEqual([]);
        expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => /-eks-api-/.test(r.name))).toEqual([]);
        expect(run.ofType("aws:eks/accessEntry:AccessEntry").map((e) => e.name)).toEqual(["dev-use1-eks-nodes"]);
        expect(run.outputs.deployRunner).toBeUndefined();
    });
});
