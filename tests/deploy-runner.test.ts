import * as aws from "@pulumi/aws";
import {
    DEFAULT_RUNNER_IMAGE, DeployRunner, DeployRunnerArgs, runnerFilterGroup, runnerLabel, runnerPolicy, validateDeployRunnerArgs,
} from "../components/deploy-runner";
import { StackRun, runComponent } from "./harness";

const CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const VALID: DeployRunnerArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b"],
    repository: "example-org/scaled-web",
    connectionArn: CONNECTION,
    allowedActorIds: [1000001, 42],
};

describe("DeployRunner validation", () => {
    test.each<[string, Partial<DeployRunnerArgs>, RegExp]>([
        ["no repository", { repository: undefined as unknown as string }, /repository: must be a GitHub repository "owner\/name", got undefined/],
        ["a repository URL", { repository: "https://github.com/example-org/scaled-web" }, /repository: must be a GitHub repository "owner\/name"/],
        ["a connection that is not a CodeConnections ARN", { connectionArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:gh" }, /connectionArn: must be the ARN of a CodeConnections GitHub connection/],
        ["no allowed actors", { allowedActorIds: [] }, /allowedActorIds: must list the numeric GitHub account IDs allowed to start the runner .* a fork's included, would run inside the VPC/],
        ["a login instead of an account id", { allowedActorIds: ["octocat" as unknown as number] }, /allowedActorIds\[0\]: must be a numeric GitHub account ID such as 583231, got "octocat"/],
        ["no subnets", { subnetIds: [] }, /subnetIds: must list at least one private subnet with a NAT route, got 0/],
        ["a Lambda compute type", { computeType: "BUILD_LAMBDA_1GB" as never }, /computeType: must be one of BUILD_GENERAL1_SMALL, .* got "BUILD_LAMBDA_1GB"/],
        ["a timeout CodeBuild refuses", { buildTimeoutMinutes: 3000 }, /buildTimeoutMinutes: must be a whole number of minutes from 5 to 2160, got 3000/],
        ["a bad project name", { projectName: "deploy runner" }, /projectName: must be a CodeBuild project name .* got "deploy runner"/],
        ["an unsupported log retention", { logRetentionDays: 10 }, /logRetentionDays: must be one of the values CloudWatch accepts .* got 10/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateDeployRunnerArgs("runner", args).throwIfAny('DeployRunner "runner"')).toThrow(expected);
        expect(() => new DeployRunner("runner", args)).toThrow(expected);
    });

    test("accepts CodeStar Connections ARNs (the service's former name) too", () => {
        expect(validateDeployRunnerArgs("runner", { ...VALID, connectionArn: CONNECTION.replace("codeconnections", "codestar-connections") }).count).toBe(0);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new DeployRunner("bad", { ...VALID, repository: "x", connectionArn: "arn", allowedActorIds: [] });
            } catch (e) {
                return (e as Error).message;
            }
            return "no error";
        });
        expect(run.outputs).toMatch(/Invalid arguments for DeployRunner "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});

describe("DeployRunner helpers", () => {
    test("the runs-on label is CodeBuild's required form for the project", () => {
        expect(runnerLabel("scaled-web-prod-deploy-runner")).toBe("codebuild-scaled-web-prod-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}");
    });

    test("the webhook starts builds only for queued workflow jobs of the allowed senders", () => {
        expect(runnerFilterGroup([1000001, 42])).toEqual([
            { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
            { type: "ACTOR_ACCOUNT_ID", pattern: "^(42|1000001)$" },
        ]);
        const re = new RegExp(runnerFilterGroup([42])[1].pattern);
        expect(re.test("42")).toBe(true);
        expect(re.test("4242")).toBe(false);
    });

    test("the runner role can do what CodeBuild needs in a VPC and nothing else", () => {
        const policy = runnerPolicy({
            partition: "aws", region: "us-east-1", accountId: "123456789012", logGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/p",
            subnetIds: ["subnet-a"], connectionArn: CONNECTION,
        }) as { Statement: { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: any }[] };
        const actions = policy.Statement.flatMap((s) => [s.Action].flat());
        expect(actions).not.toContain("sts:AssumeRole");
        expect(actions.every((a) => /^(logs|ec2|codeconnections):[A-Za-z]+$/.test(a))).toBe(true);
        const eni = policy.Statement.find((s) => s.Sid === "VpcNetworkInterfacePermission")!;
        expect(eni.Resource).toBe("arn:aws:ec2:us-east-1:123456789012:network-interface/*");
        expect(eni.Condition).toEqual({ StringEquals: { "ec2:Subnet": ["arn:aws:ec2:us-east-1:123456789012:subnet/subnet-a"], "ec2:AuthorizedService": "codebuild.amazonaws.com" } });
        const conn = policy.Statement.find((s) => s.Sid === "GitHubConnection")!;
        expect(conn).toMatchObject({ Action: ["codeconnections:GetConnectionToken", "codeconnections:GetConnection"], Resource: CONNECTION });
        // Resource "*" only for the EC2 describe/ENI actions CodeBuild's VPC documentation grants that way.
        for (const s of policy.Statement.filter((x) => x.Resource === "*")) {
            expect(s.Sid).toBe("VpcNetworkInterfaces");
        }
        const legacy = runnerPolicy({ partition: "aws", region: "r", accountId: "1", logGroupArn: "l", subnetIds: [], connectionArn: CONNECTION.replace("codeconnections", "codestar-connections") }) as any;
        expect(legacy.Statement.find((s: any) => s.Sid === "GitHubConnection").Action).toEqual(["codestar-connections:GetConnectionToken", "codestar-connections:GetConnection"]);
    });
});

describe("DeployRunner under mocks", () => {
    let run: StackRun<{ label: string; sg: string; projectName: string }>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
            const r = new DeployRunner("prod-use1-deploy-runner", { ...VALID, projectName: "scaled-web-prod-deploy-runner", tags: { team: "platform" } }, { provider });
            return { label: r.runsOnLabel, sg: r.securityGroupId, projectName: r.projectName };
        });
    });

    test("every child sits under the component, in the region's provider", () => {
        const component = run.get("scaled-web:ci:DeployRunner", "prod-use1-deploy-runner");
        const children = run.descendantsOf(component).filter((c) => c.type.startsWith("aws:"));
        expect(children.map((c) => c.type).sort()).toEqual([
            "aws:cloudwatch/logGroup:LogGroup", "aws:codebuild/project:Project", "aws:codebuild/webhook:Webhook", "aws:ec2/securityGroup:SecurityGroup",
            "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        ]);
        for (const child of children) {
            expect(child.region).toBe("us-east-1");
        }
    });

    test("the CodeBuild project: GitHub source through the connection, in the VPC's private subnets, with its own role and log group", () => {
        const project = run.get("aws:codebuild/project:Project", "prod-use1-deploy-runner-project");
        const role = run.get("aws:iam/role:Role", "prod-use1-deploy-runner-role");
        const policy = run.get("aws:iam/rolePolicy:RolePolicy", "prod-use1-deploy-runner-policy");
        expect(project.inputs).toMatchObject({
            name: "scaled-web-prod-deploy-runner",
            serviceRole: role.state.arn,
            buildTimeout: 120,
            artifacts: { type: "NO_ARTIFACTS" },
            environment: { type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_MEDIUM", image: DEFAULT_RUNNER_IMAGE, imagePullCredentialsType: "CODEBUILD", privilegedMode: false },
            source: { type: "GITHUB", location: "https://github.com/example-org/scaled-web.git", auth: { type: "CODECONNECTIONS", resource: CONNECTION } },
            vpcConfig: { vpcId: "vpc-1", subnets: ["subnet-a", "subnet-b"], securityGroupIds: [run.outputs.sg] },
            logsConfig: { cloudwatchLogs: { groupName: "/aws/codebuild/scaled-web-prod-deploy-runner", status: "ENABLED" } },
        });
        // CodeBuild validates the VPC permissions when it creates the project.
        expect(project.dependencies).toContain(policy.urn);
        expect(run.get("aws:cloudwatch/logGroup:LogGroup", "prod-use1-deploy-runner-logs").inputs.retentionInDays).toBe(30);
    });

    test("the webhook registers the project as a runner for the allowed senders' jobs", () => {
        const hook = run.get("aws:codebuild/webhook:Webhook", "prod-use1-deploy-runner-webhook");
        expect(hook.inputs).toEqual(expect.objectContaining({
            projectName: "scaled-web-prod-deploy-runner",
            buildType: "BUILD",
            filterGroups: [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }, { type: "ACTOR_ACCOUNT_ID", pattern: "^(42|1000001)$" }] }],
        }));
        expect(run.outputs.label).toBe("codebuild-scaled-web-prod-deploy-runner-${{ github.run_id }}-${{ github.run_attempt }}");
    });

    test("only CodeBuild, for this project in this account, can assume the role; its policy names the real subnets", () => {
        const trust = JSON.parse(run.get("aws:iam/role:Role", "prod-use1-deploy-runner-role").inputs.assumeRolePolicy);
        expect(trust.Statement).toHaveLength(1);
        expect(trust.Statement[0]).toMatchObject({ Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" });
        expect(trust.Statement[0].Condition.ArnLike["aws:SourceArn"]).toMatch(/^arn:aws:codebuild:us-east-1:\d{12}:project\/scaled-web-prod-deploy-runner$/);
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "prod-use1-deploy-runner-policy").inputs.policy);
        const eni = policy.Statement.find((s: any) => s.Sid === "VpcNetworkInterfacePermission");
        expect(eni.Condition.StringEquals["ec2:Subnet"]).toEqual([expect.stringMatching(/:subnet\/subnet-a$/), expect.stringMatching(/:subnet\/subnet-b$/)]);
        expect(JSON.stringify(policy)).not.toMatch(/sts:|iam:|eks:/);
    });

    test("the runner's security group has no ingress, only egress", () => {
        const sg = run.get("aws:ec2/securityGroup:SecurityGroup", "prod-use1-deploy-runner-sg");
        expect(sg.inputs.ingress).toBeUndefined();
        expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).toEqual([]);
        expect(run.get("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "prod-use1-deploy-runner-egress").inputs).toMatchObject({ securityGroupId: run.outputs.sg, ipProtocol: "-1" });
    });
});
