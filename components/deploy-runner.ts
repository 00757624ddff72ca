import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS, Problems, show } from "./validation";

/**
 * CodeBuild curated image the runner builds in: Ubuntu 22.04 with the AWS CLI v2 (the Kubernetes provider's
 * kubeconfig calls `aws eks get-token`), git and Node.js. AWS CodeBuild user guide, "Docker images provided by
 * CodeBuild" (build-env-ref-available.html).
 */
export const DEFAULT_RUNNER_IMAGE = "aws/codebuild/standard:7.0";
/** 4 vCPU / 7 GB: `pulumi up` of the whole stack type-checks @pulumi/aws and runs Helm. */
export const DEFAULT_RUNNER_COMPUTE_TYPE = "BUILD_GENERAL1_MEDIUM";
/** Minutes one runner build (one GitHub Actions job) may take; the deploy jobs time out before this. */
export const DEFAULT_RUNNER_BUILD_TIMEOUT_MINUTES = 120;
export const DEFAULT_RUNNER_LOG_RETENTION_DAYS = 30;

/** `ProjectEnvironment.computeType` values of a `LINUX_CONTAINER` on-demand project (CodeBuild "Build environment compute types"). */
export const RUNNER_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"] as const;

export interface DeployRunnerArgs {
    /** VPC the runner's build containers get their network interface in. */
    readonly vpcId: pulumi.Input<string>;
    /**
     * Private subnets with a NAT route (CodeBuild builds in a VPC have no public IP): the runner reaches GitHub,
     * npm, Pulumi Cloud and the AWS APIs through NAT, and the cluster API through the VPC.
     */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** GitHub repository whose workflow jobs the runner takes, `owner/name`. */
    readonly repository: string;
    /**
     * ARN of an AWS CodeConnections (or CodeStar Connections) GitHub connection, created and authorized in the
     * console beforehand: `arn:aws:codeconnections:<region>:<account>:connection/<uuid>`. CodeBuild uses it to
     * create the repository webhook and to register each job's just-in-time runner.
     */
    readonly connectionArn: string;
    /**
     * Numeric GitHub account IDs whose workflow jobs may start a build (`ACTOR_ACCOUNT_ID` webhook filter, matched
     * against the event's `sender.id`). Anyone else's job, a fork's pull request among them, never reaches the VPC.
     */
    readonly allowedActorIds: readonly number[];
    /**
     * CodeBuild project name; workflows select the runner with
     * `runs-on: codebuild-<projectName>-${{ github.run_id }}-${{ github.run_attempt }}`.
     * @default the component name
     */
    readonly projectName?: string;
    /** @default "aws/codebuild/standard:7.0" */
    readonly image?: string;
    /** @default "BUILD_GENERAL1_MEDIUM" */
    readonly computeType?: (typeof RUNNER_COMPUTE_TYPES)[number];
    /** @default 120 */
    readonly buildTimeoutMinutes?: number;
    /**
     * Run the build container privileged, so jobs can use a Docker daemon (needed only to build images on the runner).
     * @default false
     */
    readonly privilegedMode?: boolean;
    /** @default 30 */
    readonly logRetentionDays?: number;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** CodeBuild project names: `[A-Za-z0-9][A-Za-z0-9\-_]{1,254}` (CreateProject API reference). */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
/** CodeConnections and its former name CodeStar Connections share one ARN shape. */
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:connection\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks plain DeployRunner args; returns the problems found (empty when valid). */
export function validateDeployRunnerArgs(name: string, args: DeployRunnerArgs): Problems {
    const p = new Problems();
    const project = args.projectName ?? name;
    p.check(PROJECT_NAME.test(project), args.projectName === undefined ? "name" : "projectName",
        `must be a CodeBuild project name (2-255 letters, digits, '-' or '_', starting alphanumeric), got ${show(project)}`);
    p.check(typeof args.repository === "string" && REPOSITORY.test(args.repository), "repository", `must be a GitHub repository "owner/name", got ${show(args.repository)}`);
    p.check(typeof args.connectionArn === "string" && CONNECTION_ARN.test(args.connectionArn), "connectionArn",
        `must be the ARN of a CodeConnections GitHub connection such as "arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>", got ${show(args.connectionArn)}`);
    const actors = args.allowedActorIds ?? [];
    if (p.check(actors.length > 0, "allowedActorIds",
        "must list the numeric GitHub account IDs allowed to start the runner (`gh api users/<login> --jq .id`); without it any job queued in the repository, a fork's included, would run inside the VPC")) {
        actors.forEach((id, i) => p.check(Number.isSafeInteger(id) && id > 0, `allowedActorIds[${i}]`, `must be a numeric GitHub account ID such as 583231, got ${show(id)}`));
    }
    p.check(args.subnetIds.length >= 1, "subnetIds", `must list at least one private subnet with a NAT route, got ${args.subnetIds.length}`);
    const compute = args.computeType ?? DEFAULT_RUNNER_COMPUTE_TYPE;
    p.check((RUNNER_COMPUTE_TYPES as readonly string[]).includes(compute), "computeType", `must be one of ${RUNNER_COMPUTE_TYPES.join(", ")}, got ${show(compute)}`);
    const timeout = args.buildTimeoutMinutes ?? DEFAULT_RUNNER_BUILD_TIMEOUT_MINUTES;
    // CodeBuild accepts 5-2160 minutes (CreateProject `timeoutInMinutes`).
    p.check(Number.isInteger(timeout) && timeout >= 5 && timeout <= 2160, "buildTimeoutMinutes", `must be a whole number of minutes from 5 to 2160, got ${show(timeout)}`);
    const retention = args.logRetentionDays ?? DEFAULT_RUNNER_LOG_RETENTION_DAYS;
    p.check((CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(retention), "logRetentionDays",
        `must be one of the values CloudWatch accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), got ${show(retention)}`);
    return p;
}

/** The `runs-on` label that sends a GitHub Actions job to the CodeBuild project (CodeBuild "Label overrides" page). */
export function runnerLabel(projectName: string): string {
    return `codebuild-${projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

/** The CodeBuild webhook filter group: queued workflow jobs whose sender is one of `actorIds`. */
export function runnerFilterGroup(actorIds: readonly number[]): { type: string; pattern: string }[] {
    return [
        { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
        { type: "ACTOR_ACCOUNT_ID", pattern: `^(${[...actorIds].sort((a, b) => a - b).join("|")})$` },
    ];
}

export interface RunnerPolicyParams {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly logGroupArn: string;
    readonly subnetIds: readonly string[];
    readonly connectionArn: string;
}

/**
 * The runner's IAM policy: what CodeBuild needs and nothing else. No `sts:AssumeRole`, no cloud rights: the jobs
 * get their deploy credentials from GitHub OIDC (`aws-actions/configure-aws-credentials`), so what a job may do is
 * decided by the deploy/preview roles' trust policies (repository, environment, pull_request), not by the runner.
 *  - logs: the project's own log group (CodeBuild service-role policy, "Allow CodeBuild to interact with other AWS services").
 *  - ec2: the VPC network-interface actions of "Allow CodeBuild access to AWS services required to create a VPC
 *    network interface" (CodeBuild user guide), `CreateNetworkInterfacePermission` limited to the runner's subnets
 *    and to the CodeBuild service.
 *  - codeconnections: `GetConnectionToken`/`GetConnection` on the one connection ("GitHub App connections", step 2).
 */
export function runnerPolicy(p: RunnerPolicyParams): Record<string, unknown> {
    const connectionService = p.connectionArn.split(":")[2] || "codeconnections";
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [p.logGroupArn, `${p.logGroupArn}:*`] },
            {
                Sid: "VpcNetworkInterfaces",
                Effect: "Allow",
                Action: ["ec2:CreateNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
                    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"],
                Resource: "*",
            },
            {
                Sid: "VpcNetworkInterfacePermission",
                Effect: "Allow",
                Action: "ec2:CreateNetworkInterfacePermission",
                Resource: `arn:${p.partition}:ec2:${p.region}:${p.accountId}:network-interface/*`,
                Condition: {
                    StringEquals: {
                        "ec2:Subnet": p.subnetIds.map((id) => `arn:${p.partition}:ec2:${p.region}:${p.accountId}:subnet/${id}`),
                        "ec2:AuthorizedService": "codebuild.amazonaws.com",
                    },
                },
            },
            { Sid: "GitHubConnection", Effect: "Allow", Action: [`${connectionService}:GetConnectionToken`, `${connectionService}:GetConnection`], Resource: p.connectionArn },
        ],
    };
}

/**
 * A GitHub Actions runner inside a VPC: an AWS CodeBuild project registered as a CodeBuild-hosted runner for one
 * repository (webhook on `WORKFLOW_JOB_QUEUED`, CodeBuild user guide "Tutorial: Configure a CodeBuild-hosted
 * GitHub Actions runner"). Each job that asks for `runs-on: codebuild-<projectName>-${{ github.run_id }}-${{ github.run_attempt }}`
 * runs in a fresh, ephemeral build container with a network interface in `subnetIds`, so it reaches a private EKS
 * API endpoint that GitHub-hosted runners cannot.
 *
 * Creates: a security group (egress only; the cluster admits it on 443), a log group, a least-privilege service role
 * (see `runnerPolicy`), the project and its webhook. Only jobs whose sender is in `allowedActorIds` start a build.
 */
export class DeployRunner extends pulumi.ComponentResource {
    /** Plain: the label is known before anything is deployed, so workflows can name it. */
    public readonly projectName: string;
    /** `codebuild-<projectName>-${{ github.run_id }}-${{ github.run_attempt }}` */
    public readonly runsOnLabel: string;
    public readonly projectArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly project: aws.codebuild.Project;
    public readonly webhook: aws.codebuild.Webhook;

    constructor(name: string, args: DeployRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        validateDeployRunnerArgs(name, args).throwIfAny(`DeployRunner "${name}"`);
        super("scaled-web:ci:DeployRunner", name, {}, opts);
        const child = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        this.projectName = args.projectName ?? name;
        this.runsOnLabel = runnerLabel(this.projectName);

        const partition = aws.getPartitionOutput({}, child).partition;
        const region = aws.getRegionOutput({}, child).region;
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;

        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: `GitHub Actions runner ${this.projectName}; clusters admit it on 443`,
            tags: { ...tags, Name: this.projectName },
        }, child);
        new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, {
            securityGroupId: sg.id,
            description: "GitHub, npm, Pulumi Cloud and AWS APIs through NAT; cluster APIs inside the VPC",
            ipProtocol: "-1",
            cidrIpv4: "0.0.0.0/0",
            tags,
        }, child);
        this.securityGroupId = sg.id;

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/aws/codebuild/${this.projectName}`,
            retentionInDays: args.logRetentionDays ?? DEFAULT_RUNNER_LOG_RETENTION_DAYS,
            tags,
        }, child);

        const projectArn = pulumi.interpolate`arn:${partition}:codebuild:${region}:${accountId}:project/${this.projectName}`;
        const role = new aws.iam.Role(`${name}-role`, {
            description: `Service role of the CodeBuild-hosted GitHub Actions runner ${this.projectName}`,
            // Confused-deputy guard (CodeBuild user guide, "Cross-service confused deputy prevention").
            assumeRolePolicy: pulumi.all([accountId, projectArn]).apply(([account, arn]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Principal: { Service: "codebuild.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": arn } },
                }],
            })),
            tags,
        }, child);
        this.roleArn = role.arn;
        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: role.id,
            policy: pulumi.all([partition, region, accountId, logGroup.arn, pulumi.all([...args.subnetIds])]).apply(([part, reg, account, logArn, subnets]) =>
                JSON.stringify(runnerPolicy({ partition: part, region: reg, accountId: account, logGroupArn: logArn, subnetIds: subnets, connectionArn: args.connectionArn }))),
        }, child);

        // The policy exists before the project: CodeBuild checks the VPC permissions when the project is created.
        this.project = new aws.codebuild.Project(`${name}-project`, {
            name: this.projectName,
            description: `GitHub Actions runner for ${args.repository} inside the VPC (jobs: runs-on ${this.runsOnLabel})`,
            serviceRole: role.arn,
            buildTimeout: args.buildTimeoutMinutes ?? DEFAULT_RUNNER_BUILD_TIMEOUT_MINUTES,
            artifacts: { type: "NO_ARTIFACTS" },
            environment: {
                type: "LINUX_CONTAINER",
                computeType: args.computeType ?? DEFAULT_RUNNER_COMPUTE_TYPE,
                image: args.image ?? DEFAULT_RUNNER_IMAGE,
                imagePullCredentialsType: "CODEBUILD",
                privilegedMode: args.privilegedMode ?? false,
            },
            source: {
                type: "GITHUB",
                location: `https://github.com/${args.repository}.git`,
                auth: { type: "CODECONNECTIONS", resource: args.connectionArn },
            },
            vpcConfig: { vpcId: args.vpcId, subnets: [...args.subnetIds], securityGroupIds: [sg.id] },
            logsConfig: { cloudwatchLogs: { groupName: logGroup.name, status: "ENABLED" } },
            tags,
        }, {
            ...child,
            // order: CodeBuild checks the role's VPC permissions when the project is created (see above);
            // the project references the role, not its inline policy.
            dependsOn: [policy],
        });
        this.projectArn = this.project.arn;

        this.webhook = new aws.codebuild.Webhook(`${name}-webhook`, {
            projectName: this.project.name,
            buildType: "BUILD",
            filterGroups: [{ filters: runnerFilterGroup(args.allowedActorIds) }],
        }, child);

        this.registerOutputs({
            projectName: this.projectName,
            projectArn: this.projectArn,
            securityGroupId: this.securityGroupId,
            roleArn: this.roleArn,
        });
    }
}
