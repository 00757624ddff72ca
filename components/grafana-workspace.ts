/**
 * Amazon Managed Grafana with dashboards as code: the workspace, the IAM role it reads data with, a Grafana service
 * account and token, a `@pulumiverse/grafana` provider on the workspace URL, one Prometheus data source per Amazon
 * Managed Prometheus workspace (SigV4 with the workspace's role), an X-Ray data source, and the dashboards
 * (components/dashboards.ts).
 *
 * Facts relied on:
 * - `aws.grafana.Workspace` (@pulumi/aws 7.48.0 typings): `accountAccessType` CURRENT_ACCOUNT | ORGANIZATION,
 *   `authenticationProviders` AWS_SSO | SAML, `permissionType` SERVICE_MANAGED | CUSTOMER_MANAGED, `roleArn`,
 *   `dataSources` (PROMETHEUS, XRAY, ...), `grafanaVersion` 9.4 | 10.4 | 12.4. Amazon Managed Grafana API reference,
 *   CreateWorkspace `permissionType`: SERVICE_MANAGED (roles created for you) is supported only in the console; with
 *   the API "use only the CUSTOMER_MANAGED permission type" and specify `workspaceRoleArn`. AWS_SSO needs IAM
 *   Identity Center enabled in the account (or its organization).
 * - The workspace role's trust: service principal `grafana.amazonaws.com`, narrowed with `aws:SourceAccount` and
 *   `aws:SourceArn` (Amazon Managed Grafana User Guide, "Amazon Managed Grafana permissions and policies for AWS data
 *   sources": the confused-deputy conditions).
 * - Amazon Managed Prometheus query actions (Service Authorization Reference, Amazon Managed Service for Prometheus):
 *   `aps:QueryMetrics`, `aps:GetSeries`, `aps:GetLabels`, `aps:GetMetricMetadata` on the workspace ARN.
 * - X-Ray reads: the AWS managed policy `AWSXrayReadOnlyAccess` (what the User Guide attaches for the X-Ray data
 *   source), plus `ec2:DescribeRegions`, which the X-Ray plugin calls to list regions (grafana/x-ray-datasource#135).
 * - CreateWorkspaceServiceAccountToken: `secondsToLive` up to 30 days; the key is returned once; service accounts need
 *   Grafana 9+. Grafana roles for a service account: ADMIN | EDITOR | VIEWER (data sources need ADMIN).
 * - Data source JSON (grafana/grafana-aws-sdk, pkg/awsds: auth type `ec2_iam_role` is the editor's "Workspace IAM
 *   Role"): Prometheus `sigV4Auth`, `sigV4AuthType`, `sigV4Region`, `httpMethod`; plugin `grafana-x-ray-datasource`
 *   (grafana/x-ray-datasource, `datasource.Manage("grafana-x-ray-datasource", ...)`) with `authType`, `defaultRegion`.
 * - `@pulumiverse/grafana` 2.40.0 typings: `Provider` `url`/`auth`, `oss.DataSource` (`type`, `url`,
 *   `jsonDataEncoded`), `oss.Folder`, `oss.Dashboard` (`configJson`, `folder`, `overwrite`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { DATASOURCE_PREFIX, GrafanaDashboardSpec, dashboardModel } from "./dashboards";
import { Problems, show } from "./validation";

export const GRAFANA_SERVICE_PRINCIPAL = "grafana.amazonaws.com";
/** API CreateWorkspaceServiceAccountToken `secondsToLive`: "up to 30 days in the future". */
export const MAX_SERVICE_ACCOUNT_TOKEN_SECONDS = 30 * 24 * 3600;
export const XRAY_READ_ONLY_POLICY = "AWSXrayReadOnlyAccess";
/** What the Prometheus data source calls on an AMP workspace. */
export const AMP_QUERY_ACTIONS = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"] as const;
export const XRAY_DATASOURCE_TYPE = "grafana-x-ray-datasource";
/** Grafana's AWS auth type for the workspace's own role (grafana-aws-sdk `ec2_iam_role`, "Workspace IAM Role"). */
export const WORKSPACE_IAM_ROLE_AUTH = "ec2_iam_role";

/** One Amazon Managed Prometheus workspace (structurally `MonitoringOutputs.regions` values of platform/monitoring.ts). */
export interface PrometheusWorkspaceRef {
    readonly workspaceId: pulumi.Input<string>;
    readonly workspaceArn: pulumi.Input<string>;
    /** The workspace's endpoint, `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`. */
    readonly prometheusEndpoint: pulumi.Input<string>;
}

export interface GrafanaWorkspaceArgs {
    /** The workspace's region (the provider in `opts` must point at it). */
    readonly region: string;
    /** AMP workspaces keyed by region: one Prometheus data source each (`amp-<region>`). @default none */
    readonly prometheus?: ReadonlyMap<string, PrometheusWorkspaceRef>;
    /** Regions with an X-Ray data source each (`xray-<region>`): where the trace collectors export. */
    readonly xrayRegions: readonly string[];
    /** Dashboards to create (components/dashboards.ts). @default [] */
    readonly dashboards?: readonly GrafanaDashboardSpec[];
    /** @default "10.4" */
    readonly grafanaVersion?: "9.4" | "10.4" | "12.4";
    /** Life of the service account token in seconds (1 hour to 30 days). @default 30 days */
    readonly tokenTtlSeconds?: number;
    /** Part of the token's name: changing it replaces the token (rotation). @default "1" */
    readonly tokenRotation?: string;
    /** Account the trust policy is narrowed to. @default the caller's */
    readonly account?: pulumi.Input<string>;
    readonly tags?: Readonly<Record<string, string>>;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export function validateGrafanaWorkspaceArgs(args: GrafanaWorkspaceArgs): Problems {
    const problems = new Problems();
    problems.check(typeof args.region === "string" && REGION.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    problems.check(args.xrayRegions.length > 0 || (args.prometheus?.size ?? 0) > 0, "xrayRegions", "no data source at all: give X-Ray regions and/or Prometheus workspaces");
    args.xrayRegions.forEach((r, i) => problems.check(REGION.test(r), `xrayRegions[${i}]`, `must be an AWS region, got ${show(r)}`));
    for (const r of args.prometheus?.keys() ?? []) {
        problems.check(REGION.test(r), `prometheus.${r}`, `key must be the AMP workspace's region, got ${show(r)}`);
    }
    const ttl = args.tokenTtlSeconds ?? MAX_SERVICE_ACCOUNT_TOKEN_SECONDS;
    problems.check(Number.isInteger(ttl) && ttl >= 3600 && ttl <= MAX_SERVICE_ACCOUNT_TOKEN_SECONDS, "tokenTtlSeconds",
        `must be a whole number of seconds from 3600 to ${MAX_SERVICE_ACCOUNT_TOKEN_SECONDS} (30 days, the API maximum), got ${show(args.tokenTtlSeconds)}`);
    const uids = (args.dashboards ?? []).map((d) => d.uid);
    uids.forEach((u, i) => problems.check(/^[A-Za-z0-9_-]{1,40}$/.test(u) && uids.indexOf(u) === i, `dashboards[${i}].uid`,
        `must be 1-40 letters, digits, '-' or '_' and unique, got ${show(u)}`));
    return problems;
}

/** Trust policy of the workspace role: Amazon Managed Grafana, from this account's workspaces in `region` only. */
export function grafanaTrustPolicy(partition: string, account: string, region: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "AmazonManagedGrafana",
            Effect: "Allow",
            Principal: { Service: GRAFANA_SERVICE_PRINCIPAL },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: { "aws:SourceArn": `arn:${partition}:grafana:${region}:${account}:/workspaces/*` },
            },
        }],
    };
}

/** The workspace role's inline policy: query the given AMP workspaces; list regions (X-Ray plugin). */
export function grafanaDataPolicy(prometheusWorkspaceArns: readonly string[]): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            ...(prometheusWorkspaceArns.length > 0 ? [{ Sid: "QueryPrometheus", Effect: "Allow", Action: [...AMP_QUERY_ACTIONS], Resource: [...prometheusWorkspaceArns] }] : []),
            { Sid: "ListRegionsForXRay", Effect: "Allow", Action: ["ec2:DescribeRegions"], Resource: "*" },
        ],
    };
}

/** Prometheus data source JSON for an AMP workspace in `region`, signed with the workspace's role. */
export function prometheusJsonData(region: string): Record<string, unknown> {
    return { httpMethod: "POST", sigV4Auth: true, sigV4AuthType: WORKSPACE_IAM_ROLE_AUTH, sigV4Region: region };
}

/** X-Ray data source JSON for `region`. */
export function xrayJsonData(region: string): Record<string, unknown> {
    return { authType: WORKSPACE_IAM_ROLE_AUTH, defaultRegion: region };
}

export class GrafanaWorkspace extends pulumi.ComponentResource {
    public readonly workspace: aws.grafana.Workspace;
    public readonly role: aws.iam.Role;
    public readonly token: aws.grafana.WorkspaceServiceAccountToken;
    public readonly provider: grafana.Provider;
    /** `https://<endpoint>`: where users sign in with IAM Identity Center. */
    public readonly url: pulumi.Output<string>;
    public readonly workspaceId: pulumi.Output<string>;
    /** When the service account token expires (ISO time): rotate it before (`tokenRotation`). */
    public readonly tokenExpiresAt: pulumi.Output<string>;
    public readonly dataSources: Readonly<Record<string, grafana.oss.DataSource>>;
    public readonly dashboards: Readonly<Record<string, grafana.oss.Dashboard>>;

    constructor(name: string, args: GrafanaWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
        validateGrafanaWorkspaceArgs(args).throwIfAny(`GrafanaWorkspace "${name}"`);
        super("scaled-web:observability:GrafanaWorkspace", name, {}, opts);
        const child = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        const identity = aws.getCallerIdentityOutput({}, child);
        const partition = aws.getPartitionOutput({}, child).partition;
        const account = args.account !== undefined ? pulumi.output(args.account) : identity.accountId;

        this.role = new aws.iam.Role(`${name}-role`, {
            description: "Amazon Managed Grafana workspace: queries the stack's AMP workspaces and reads X-Ray",
            assumeRolePolicy: pulumi.all([partition, account]).apply(([p, a]) => JSON.stringify(grafanaTrustPolicy(p, a, args.region))),
            tags,
        }, child);
        const ampArns = [...(args.prometheus?.values() ?? [])].map((w) => w.workspaceArn);
        new aws.iam.RolePolicy(`${name}-data`, {
            role: this.role.id,
            policy: pulumi.all(ampArns).apply((arns) => JSON.stringify(grafanaDataPolicy(arns))),
        }, child);
        const xrayRead = new aws.iam.RolePolicyAttachment(`${name}-xray`, {
            role: this.role.name,
            policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${XRAY_READ_ONLY_POLICY}`,
        }, child);

        this.workspace = new aws.grafana.Workspace(`${name}-workspace`, {
            accountAccessType: "CURRENT_ACCOUNT",
            authenticationProviders: ["AWS_SSO"],
            // The API accepts only CUSTOMER_MANAGED (SERVICE_MANAGED is console-only): our role, our policies.
            permissionType: "CUSTOMER_MANAGED",
            roleArn: this.role.arn,
            dataSources: [...((args.prometheus?.size ?? 0) > 0 ? ["PROMETHEUS"] : []), ...(args.xrayRegions.length > 0 ? ["XRAY"] : [])],
            grafanaVersion: args.grafanaVersion ?? "10.4",
            description: "scaled-web dashboards (managed by Pulumi)",
            tags,
        }, child);
        this.workspaceId = this.workspace.id;
        this.url = pulumi.interpolate`https://${this.workspace.endpoint}`;

        const serviceAccount = new aws.grafana.WorkspaceServiceAccount(`${name}-pulumi`, {
            workspaceId: this.workspace.id,
            name: "pulumi",
            grafanaRole: "ADMIN",
        }, child);
        this.token = new aws.grafana.WorkspaceServiceAccountToken(`${name}-token`, {
            workspaceId: this.workspace.id,
            serviceAccountId: serviceAccount.serviceAccountId,
            name: `pulumi-${args.tokenRotation ?? "1"}`,
            secondsToLive: args.tokenTtlSeconds ?? MAX_SERVICE_ACCOUNT_TOKEN_SECONDS,
        }, { ...child, additionalSecretOutputs: ["key"] });
        this.tokenExpiresAt = this.token.expiresAt;

        this.provider = new grafana.Provider(`${name}-grafana`, { url: this.url, auth: this.token.key }, child);
        const g = { parent: this, provider: this.provider };
        const dataSources: Record<string, grafana.oss.DataSource> = {};
        for (const [region, w] of args.prometheus ?? new Map<string, PrometheusWorkspaceRef>()) {
            dataSources[`${DATASOURCE_PREFIX}${region}`] = new grafana.oss.DataSource(`${name}-${DATASOURCE_PREFIX}${region}`, {
                type: "prometheus",
                name: `${DATASOURCE_PREFIX}${region}`,
                url: w.prometheusEndpoint,
                jsonDataEncoded: JSON.stringify(prometheusJsonData(region)),
            }, g);
        }
        for (const region of args.xrayRegions) {
            dataSources[`xray-${region}`] = new grafana.oss.DataSource(`${name}-xray-${region}`, {
                type: XRAY_DATASOURCE_TYPE,
                name: `xray-${region}`,
                jsonDataEncoded: JSON.stringify(xrayJsonData(region)),
            }, {
                ...g,
                // order: the plugin's first query needs the managed X-Ray read policy on the workspace role; nothing
                // here refers to that attachment.
                dependsOn: [xrayRead],
            });
        }
        this.dataSources = dataSources;

        const folder = new grafana.oss.Folder(`${name}-folder`, { title: "scaled-web", uid: "scaled-web" }, g);
        const dashboards: Record<string, grafana.oss.Dashboard> = {};
        for (const d of args.dashboards ?? []) {
            dashboards[d.uid] = new grafana.oss.Dashboard(`${name}-${d.uid}`, {
                folder: folder.uid,
                configJson: JSON.stringify(dashboardModel(d)),
                overwrite: true,
                message: "Managed by Pulumi (components/dashboards.ts)",
            }, g);
        }
        this.dashboards = dashboards;
        this.registerOutputs({ url: this.url, workspaceId: this.workspaceId, tokenExpiresAt: this.tokenExpiresAt });
    }
}
