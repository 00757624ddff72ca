import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import {
    APP_METRICS_PATH, APP_METRICS_PORT, APP_METRICS_PORT_NAME, HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL,
} from "./app-metrics";
import { KEDA_NAMESPACE } from "./cluster-addons";
import { AlertLevel, ThresholdOverrides, Thresholds, resolveThresholds, thresholdProblems } from "./observability";
import { DNS_LABEL, Problems, show } from "./validation";

// ---------------------------------------------------------------------------------------------
// What is scraped, and where it listens. Sources are named per value.
// ---------------------------------------------------------------------------------------------

/**
 * The EKS community add-ons that export cluster and node metrics (EKS User Guide, awsdocs/amazon-eks-user-guide
 * latest/ug/workloads/community-addons.adoc: add-on names and namespaces `kube-state-metrics` /
 * `prometheus-node-exporter`).
 */
export const METRICS_ADDONS = ["kube-state-metrics", "prometheus-node-exporter"] as const;
export type MetricsAddonName = (typeof METRICS_ADDONS)[number];
export type MetricsAddonVersions = Readonly<Record<MetricsAddonName, string>>;

/**
 * Pinned add-on versions. NOT read from an AWS version table: the EKS User Guide gives no version table for community
 * add-ons (its only example is `kube-state-metrics/v2.14.0-eksbuild.1` in the attributions URL). These pins are the ones
 * a public Terraform configuration uses (`aws_eks_addon` kube-state-metrics `v2.15.0-eksbuild.4`, prometheus-node-exporter
 * `v1.9.1-eksbuild.2`); confirm them with `aws eks describe-addon-versions --addon-name <name> --kubernetes-version <minor>`
 * before a deployment and override per stack with `observability.prometheus.addonVersions`.
 */
export const DEFAULT_METRICS_ADDON_VERSIONS: MetricsAddonVersions = {
    "kube-state-metrics": "v2.15.0-eksbuild.4",
    "prometheus-node-exporter": "v1.9.1-eksbuild.2",
};

/**
 * Where the scraper finds each exporter: namespace, the container port's name (the pod role of `kubernetes_sd_configs`
 * yields one target per declared container port) and its number (the node security group opens it to the scraper).
 * - kube-state-metrics: add-on namespace per the EKS User Guide; port `http` 8080 carries the object metrics
 *   (prometheus-community/helm-charts charts/kube-state-metrics templates/deployment.yaml, values.yaml `service.port: 8080`).
 * - node exporter: `metrics` 9100 on the node's own address (`hostNetwork: true`, `service.port: 9100`, `service.portName:
 *   metrics`, charts/prometheus-node-exporter/values.yaml). Assumes the add-on keeps the chart's defaults (not verified
 *   against the add-on's packaged manifests).
 * - KEDA operator: `metrics` 8080 once the chart's `prometheus.operator.enabled` is true (kedacore/charts@v2.18.3
 *   keda/templates/manager/deployment.yaml; keda-docs content/docs/2.18/integrations/prometheus.md "port 8080 at /metrics").
 */
export const SCRAPE_TARGETS = {
    kubeStateMetrics: { namespace: "kube-state-metrics", portName: "http", port: 8080 },
    nodeExporter: { namespace: "prometheus-node-exporter", portName: "metrics", port: 9100 },
    keda: { namespace: KEDA_NAMESPACE, portName: "metrics", port: 8080 },
} as const;

/** AMP managed collectors refuse a scrape interval under 30 s (AMP User Guide, "Scraper limitations"). */
export const MIN_SCRAPE_INTERVAL_SECONDS = 30;
/** AMP keeps metrics 150 days unless configured; at most 1095 (AMP User Guide, "Configure your workspace"). */
export const MAX_RETENTION_DAYS = 1095;
/** The in-cluster path AMP scrapers use for kubelet cAdvisor metrics (AMP User Guide "Scraper configuration" sample). */
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface ScrapeConfigSpec {
    readonly clusterArn: string;
    readonly appNamespace: string;
    readonly appMetricsPort?: number;
    readonly scrapeIntervalSeconds: number;
}

/** Keeps pods of one namespace whose container port carries `portName`, labelled with namespace/pod. */
function podJob(jobName: string, namespace: string, portName: string, honorLabels: boolean, extra: Record<string, unknown>[] = []): Record<string, unknown> {
    return {
        job_name: jobName,
        // kube-state-metrics reports `namespace`/`pod` of the objects it describes: keep them (honor_labels).
        ...(honorLabels ? { honor_labels: true } : {}),
        kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
        relabel_configs: [
            { source_labels: ["__meta_kubernetes_pod_container_port_name"], action: "keep", regex: portName },
            ...(honorLabels ? [] : [
                { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
            ]),
            ...extra,
        ],
    };
}

/**
 * The scraper's Prometheus configuration (AMP User Guide "Scraper configuration": `global`, `scrape_configs` with
 * `kubernetes_sd_configs` only, interval >= 30 s, bearer authorization only from the service account token file):
 * - `app`: pods of the application namespace on their `metrics` port (api, ws, worker);
 * - `keda`: the KEDA operator's metrics port;
 * - `kube-state-metrics`, `node-exporter`: the two community add-ons;
 * - `cadvisor`: container CPU and memory through the API server's node proxy (as in the AMP sample), kept to the
 *   application namespace and the two series the rules use, so ingestion stays small.
 */
export function scrapeConfiguration(spec: ScrapeConfigSpec): string {
    const t = SCRAPE_TARGETS;
    return stringify({
        global: {
            scrape_interval: `${spec.scrapeIntervalSeconds}s`,
            external_labels: { clusterArn: spec.clusterArn },
        },
        scrape_configs: [
            {
                ...podJob("app", spec.appNamespace, APP_METRICS_PORT_NAME, false, [
                    { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], target_label: "app" },
                ]),
                metrics_path: APP_METRICS_PATH,
            },
            podJob("keda", t.keda.namespace, t.keda.portName, false),
            podJob("kube-state-metrics", t.kubeStateMetrics.namespace, t.kubeStateMetrics.portName, true),
            podJob("node-exporter", t.nodeExporter.namespace, t.nodeExporter.portName, false, [
                { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
            ]),
            {
                job_name: "cadvisor",
                scheme: "https",
                authorization: { type: "Bearer", credentials_file: SERVICE_ACCOUNT_TOKEN },
                kubernetes_sd_configs: [{ role: "node" }],
                relabel_configs: [
                    { replacement: "kubernetes.default.svc:443", target_label: "__address__" },
                    { source_labels: ["__meta_kubernetes_node_name"], regex: "(.+)", target_label: "__metrics_path__", replacement: "/api/v1/nodes/$1/proxy/metrics/cadvisor" },
                ],
                metric_relabel_configs: [
                    { source_labels: ["__name__", "namespace"], action: "keep", regex: `(container_cpu_usage_seconds_total|container_memory_working_set_bytes);${spec.appNamespace}` },
                ],
            },
        ],
    });
}

// ---------------------------------------------------------------------------------------------
// Alert rules.
// ---------------------------------------------------------------------------------------------

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: { readonly severity: AlertLevel };
    readonly annotations: { readonly summary: string };
}

/** The rule group namespace's name (one per workspace). */
export const RULE_NAMESPACE = "scaled-web";

/**
 * Prometheus alerting rules for the seed thresholds that PromQL can judge from what is scraped, one warning and one
 * critical rule per signal, thresholds from `Thresholds` (the stack's `alerts.thresholds`):
 * api p95 latency (`p95Ms`) and 5xx rate (`errorRatePercent`) from the app's histogram and counter; pod CPU and
 * memory against their limits (`cpu`, `memory`) from cAdvisor and kube-state-metrics; pods not ready and restarting
 * (kube-state-metrics); KEDA scaler errors. Queue depth stays a CloudWatch alarm: the app does not export it to Prometheus.
 */
/**
 * Seed 002's `high_load` alert: requests per second (warning after 5 minutes) at the rate the api scales at
 * (seed 000/002: 1000 per pod), the default of `requestsPerSecondPerPod`.
 */
export const DEFAULT_HIGH_LOAD_REQUESTS_PER_SECOND = 1000;

export function alertRules(t: Thresholds, appNamespace: string, highLoadRequestsPerSecond: number = DEFAULT_HIGH_LOAD_REQUESTS_PER_SECOND): AlertRule[] {
    const ns = `namespace="${appNamespace}"`;
    const rules: AlertRule[] = [];
    const pair = (name: string, expr: (v: number) => string, value: (l: AlertLevel) => number, forDuration: string, summary: (v: number) => string): void => {
        for (const level of ["warning", "critical"] as const) {
            const v = value(level);
            rules.push({ alert: `${name}${level === "critical" ? "Critical" : "Warning"}`, expr: expr(v), for: forDuration, labels: { severity: level }, annotations: { summary: summary(v) } });
        }
    };
    pair("ApiP95Latency",
        (s) => `histogram_quantile(0.95, sum by (le) (rate(${HTTP_REQUEST_DURATION_SECONDS}_bucket{job="app",app="api"}[5m]))) > ${s}`,
        (l) => t.p95Ms[l] / 1000, "5m", (s) => `api p95 latency above ${s * 1000} ms for 5 minutes`);
    pair("ApiErrorRate",
        (p) => `100 * sum(rate(${HTTP_REQUESTS_TOTAL}{job="app",app="api",status=~"5.."}[5m])) / sum(rate(${HTTP_REQUESTS_TOTAL}{job="app",app="api"}[5m])) > ${p}`,
        (l) => t.errorRatePercent[l], "5m", (p) => `api 5xx rate above ${p} % for 5 minutes`);
    pair("PodCpuNearLimit",
        (p) => `100 * sum by (pod) (rate(container_cpu_usage_seconds_total{${ns},container!=""}[5m])) / sum by (pod) (kube_pod_container_resource_limits{${ns},resource="cpu"}) > ${p}`,
        (l) => t.cpu[l], "10m", (p) => `a pod uses more than ${p} % of its CPU limit for 10 minutes`);
    pair("PodMemoryNearLimit",
        (p) => `100 * sum by (pod) (container_memory_working_set_bytes{${ns},container!=""}) / sum by (pod) (kube_pod_container_resource_limits{${ns},resource="memory"}) > ${p}`,
        (l) => t.memory[l], "10m", (p) => `a pod uses more than ${p} % of its memory limit for 10 minutes`);
    // Seed 002 `high_load` (1000, 5 m, warning): the api pods' average request rate stays above what KEDA scales each
    // pod to, so scaling is not keeping up (at maxReplicas, or nodes do not come).
    rules.push({
        alert: "ApiHighLoadWarning",
        expr: `avg(sum by (pod) (rate(${HTTP_REQUESTS_TOTAL}{job="app",app="api"}[5m]))) > ${highLoadRequestsPerSecond}`,
        for: "5m", labels: { severity: "warning" },
        annotations: { summary: `api pods average more than ${highLoadRequestsPerSecond} requests/s each for 5 minutes: scaling is not keeping up` },
    });
    rules.push(
        { alert: "PodNotReadyWarning", expr: `sum by (pod) (kube_pod_status_ready{${ns},condition="false"}) > 0`, for: "5m", labels: { severity: "warning" }, annotations: { summary: "a pod has not been ready for 5 minutes" } },
        { alert: "PodNotReadyCritical", expr: `sum by (pod) (kube_pod_status_ready{${ns},condition="false"}) > 0`, for: "15m", labels: { severity: "critical" }, annotations: { summary: "a pod has not been ready for 15 minutes" } },
        { alert: "PodRestartingWarning", expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${ns}}[15m])) > 2`, for: "0m", labels: { severity: "warning" }, annotations: { summary: "a pod restarted more than twice in 15 minutes" } },
        { alert: "PodRestartingCritical", expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${ns}}[1h])) > 10`, for: "0m", labels: { severity: "critical" }, annotations: { summary: "a pod restarted more than ten times in an hour (crash loop)" } },
        { alert: "KedaScalerErrorsWarning", expr: "sum(increase(keda_scaler_detail_errors_total[10m])) > 0", for: "10m", labels: { severity: "warning" }, annotations: { summary: "KEDA scalers keep failing to read their metrics: autoscaling is blind" } },
        { alert: "KedaScaledObjectErrorsCritical", expr: "sum(increase(keda_scaled_object_errors_total[10m])) > 0", for: "30m", labels: { severity: "critical" }, annotations: { summary: "KEDA ScaledObjects have failed for 30 minutes: replicas are not following load" } },
    );
    return rules;
}

/** The rules file (`groups:` YAML) AMP's RuleGroupsNamespace takes. */
export function rulesFile(t: Thresholds, appNamespace: string, highLoadRequestsPerSecond?: number): string {
    return stringify({ groups: [{ name: "scaled-web-seed-thresholds", rules: alertRules(t, appNamespace, highLoadRequestsPerSecond) }] });
}

/**
 * The alert manager definition: `alertmanager_config` as a string (AMP User Guide "alert manager configuration file"),
 * warning alerts to the warning topic, critical to the critical one, each `sns_configs` entry with `topic_arn` and
 * `sigv4.region` (required by AMP; `api_url` and `http_config` are not allowed). Resolved alerts are sent too.
 */
export function alertManagerDefinition(region: string, topics: Readonly<Record<AlertLevel, string>>): string {
    const receiver = (level: AlertLevel): Record<string, unknown> => ({
        name: level,
        sns_configs: [{ topic_arn: topics[level], sigv4: { region }, subject: `[${level}] {{ .GroupLabels.alertname }}`, send_resolved: true }],
    });
    const config = {
        route: {
            receiver: "warning",
            group_by: ["alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            // `match` (equality) rather than `matchers`: accepted by every Alertmanager version AMP may run.
            routes: [{ match: { severity: "critical" }, receiver: "critical" }],
        },
        receivers: [receiver("warning"), receiver("critical")],
    };
    return stringify({ alertmanager_config: stringify(config) });
}

// ---------------------------------------------------------------------------------------------
// The component.
// ---------------------------------------------------------------------------------------------

export interface ManagedPrometheusArgs {
    /** The region (the workspace, scraper and cluster must share it; AMP User Guide "Scraper limitations"). */
    readonly region: string;
    /** ARN of the region's EKS cluster (the scraper's source). */
    readonly clusterArn: pulumi.Input<string>;
    /** Name of that cluster (the community add-ons are installed into it). */
    readonly clusterName: pulumi.Input<string>;
    /** VPC of the cluster: the scraper's security group lives there. */
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets the scraper puts its network interfaces in; at least two, in different zones. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** The nodes' security group: it admits the scraper on the metrics ports only. */
    readonly nodeSecurityGroupId: pulumi.Input<string>;
    /** The cluster security group: it admits the scraper on 443 (service discovery and cAdvisor through the API server). */
    readonly clusterSecurityGroupId: pulumi.Input<string>;
    /** Namespace of the application pods (scraped on their `metrics` port; the alert rules watch its pods). */
    readonly appNamespace: string;
    /** The region's alert topics (components/observability.ts) the alert manager publishes to. */
    readonly warningTopicArn: pulumi.Input<string>;
    readonly criticalTopicArn: pulumi.Input<string>;
    /** Threshold overrides (or resolved thresholds), as `Observability` takes them. @default the seed values */
    readonly thresholds?: ThresholdOverrides;
    /**
     * Requests per second per api pod above which `ApiHighLoadWarning` fires after 5 minutes (seed 002 `high_load`); the
     * stack passes its `scaling.requestsPerSecondPerPod`. @default 1000
     */
    readonly highLoadRequestsPerSecond?: number;
    /** Seconds between scrapes, at least 30. @default 30 */
    readonly scrapeIntervalSeconds?: number;
    /** Days the workspace keeps metrics (1-1095). @default AMP's own (150) */
    readonly retentionDays?: number;
    /**
     * Customer KMS key for the workspace; needs `scraperRoles` (AMP User Guide "Creating scraper for workspaces enabled
     * with customer managed keys": the scraper then writes through `--role-configuration`, source and target roles in
     * this account). @default an AWS owned key
     */
    readonly kmsKeyArn?: pulumi.Input<string>;
    /**
     * The scraper's `roleConfiguration`: a source role trusted by `scraper.aps.amazonaws.com` and a target role it
     * assumes that may remote-write to the workspace (and use `kmsKeyArn`). Required with `kmsKeyArn`. @default none
     * (the scraper's service-linked role)
     */
    readonly scraperRoles?: { readonly sourceRoleArn: pulumi.Input<string>; readonly targetRoleArn: pulumi.Input<string> };
    /** Install the kube-state-metrics and prometheus-node-exporter community add-ons. @default true */
    readonly addons?: boolean;
    /** Add-on version overrides. @default DEFAULT_METRICS_ADDON_VERSIONS */
    readonly addonVersions?: Partial<MetricsAddonVersions>;
    /** Resources the add-ons are created after (the node pools: an add-on is only ACTIVE once its pods run). @default [] */
    readonly addonsAfter?: readonly pulumi.Resource[];
    /** Tags on every AWS resource. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

const EKS_ADDON_VERSION = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;

/** Checks plain ManagedPrometheus args; returns the problems found (empty when valid). */
export function validateManagedPrometheusArgs(args: ManagedPrometheusArgs): Problems {
    const problems = new Problems();
    const interval = args.scrapeIntervalSeconds;
    if (interval !== undefined) {
        problems.check(Number.isInteger(interval) && interval >= MIN_SCRAPE_INTERVAL_SECONDS && interval <= 300, "scrapeIntervalSeconds",
            `must be a whole number of seconds from ${MIN_SCRAPE_INTERVAL_SECONDS} (the AMP managed collector minimum) to 300, got ${show(interval)}`);
    }
    if (args.retentionDays !== undefined) {
        problems.check(Number.isInteger(args.retentionDays) && args.retentionDays >= 1 && args.retentionDays <= MAX_RETENTION_DAYS, "retentionDays",
            `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS} (the AMP maximum), got ${show(args.retentionDays)}`);
    }
    if (args.highLoadRequestsPerSecond !== undefined) {
        problems.check(Number.isFinite(args.highLoadRequestsPerSecond) && args.highLoadRequestsPerSecond > 0, "highLoadRequestsPerSecond",
            `must be a positive number of requests per second, got ${show(args.highLoadRequestsPerSecond)}`);
    }
    problems.check(args.subnetIds.length >= 2, "subnetIds", `must list at least two subnets in different zones (a scraper needs two), got ${args.subnetIds.length}`);
    problems.check(DNS_LABEL.test(args.appNamespace), "appNamespace", `must be a namespace name (DNS label), got ${show(args.appNamespace)}`);
    for (const [name, v] of Object.entries(args.addonVersions ?? {})) {
        problems.check((METRICS_ADDONS as readonly string[]).includes(name), `addonVersions.${name}`, `is not a metrics add-on (${METRICS_ADDONS.join(", ")})`);
        problems.check(typeof v === "string" && EKS_ADDON_VERSION.test(v), `addonVersions.${name}`, `must be an EKS add-on version such as "v2.15.0-eksbuild.4", got ${show(v)}`);
    }
    problems.check(args.kmsKeyArn === undefined || args.scraperRoles !== undefined, "kmsKeyArn",
        "a workspace with a customer managed key takes metrics only from a scraper with a role configuration; set scraperRoles " +
        "(source and target role, AMP User Guide \"Creating scraper for workspaces enabled with customer managed keys\") or leave kmsKeyArn unset");
    thresholdProblems(args.thresholds, problems);
    return problems;
}

/**
 * Amazon Managed Service for Prometheus for one region: a workspace (optionally with a customer KMS key and a
 * retention period), an AMP managed scraper reading the region's EKS cluster from its own security group in the
 * private subnets, the kube-state-metrics and node exporter community add-ons it scrapes, alerting rules on the seed
 * thresholds and an alert manager that routes warning and critical alerts to the region's SNS topics.
 *
 * The scraper's in-cluster access needs no object here: the cluster authenticates with access entries
 * (`authenticationMode: "API"`), and then AMP creates the scraper's access entry and its permissions itself (AMP User
 * Guide "Configure Amazon EKS for scraper access with access entries"); the `aps-collector-role` ClusterRole and the
 * `aps-collector-user` mapping are the manual path for clusters on the aws-auth ConfigMap only.
 *
 * Pass the region's `aws.Provider` in `opts.provider`.
 */
export class ManagedPrometheus extends pulumi.ComponentResource {
    public readonly workspace: aws.amp.Workspace;
    public readonly workspaceId: pulumi.Output<string>;
    public readonly workspaceArn: pulumi.Output<string>;
    /** Query/remote-write base URL, e.g. `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-.../`. */
    public readonly prometheusEndpoint: pulumi.Output<string>;
    public readonly scraper: aws.amp.Scraper;
    public readonly scraperSecurityGroup: aws.ec2.SecurityGroup;
    public readonly ruleGroupNamespace: aws.amp.RuleGroupNamespace;
    public readonly alertManager: aws.amp.AlertManagerDefinition;
    public readonly addons: Readonly<Partial<Record<MetricsAddonName, aws.eks.Addon>>>;
    public readonly thresholds: Thresholds;

    constructor(name: string, args: ManagedPrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
        validateManagedPrometheusArgs(args).throwIfAny(`ManagedPrometheus "${name}"`);
        super("scaled-web:observability:ManagedPrometheus", name, {}, opts);
        const child = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        this.thresholds = resolveThresholds(args.thresholds ?? {});
        const interval = args.scrapeIntervalSeconds ?? MIN_SCRAPE_INTERVAL_SECONDS;

        this.workspace = new aws.amp.Workspace(name, {
            alias: name,
            ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}),
            tags,
        }, child);
        this.workspaceId = this.workspace.id;
        this.workspaceArn = this.workspace.arn;
        this.prometheusEndpoint = this.workspace.prometheusEndpoint;
        if (args.retentionDays !== undefined) {
            new aws.amp.WorkspaceConfiguration(name, { workspaceId: this.workspace.id, retentionPeriodInDays: args.retentionDays }, child);
        }

        // The scraper's network interfaces: they reach the metrics ports on the nodes (pod IPs sit on node ENIs with
        // the VPC CNI, and node exporter listens on the node's own address) and the API server's private endpoint.
        this.scraperSecurityGroup = new aws.ec2.SecurityGroup(`${name}-scraper`, {
            vpcId: args.vpcId,
            description: `AMP managed scraper ${name}: reaches the metrics ports on the nodes and the EKS API`,
            tags: { ...tags, Name: `${name}-scraper` },
        }, child);
        const ports = [...new Set([APP_METRICS_PORT, SCRAPE_TARGETS.keda.port, SCRAPE_TARGETS.kubeStateMetrics.port, SCRAPE_TARGETS.nodeExporter.port])].sort((a, b) => a - b);
        for (const port of ports) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-scraper-to-nodes-${port}`, {
                securityGroupId: this.scraperSecurityGroup.id,
                referencedSecurityGroupId: args.nodeSecurityGroupId,
                ipProtocol: "tcp", fromPort: port, toPort: port,
                description: `metrics port ${port} on the nodes`,
            }, child);
            new aws.vpc.SecurityGroupIngressRule(`${name}-nodes-from-scraper-${port}`, {
                securityGroupId: args.nodeSecurityGroupId,
                referencedSecurityGroupId: this.scraperSecurityGroup.id,
                ipProtocol: "tcp", fromPort: port, toPort: port,
                description: `AMP scraper to metrics port ${port}`,
            }, child);
        }
        new aws.vpc.SecurityGroupEgressRule(`${name}-scraper-to-api`, {
            securityGroupId: this.scraperSecurityGroup.id,
            referencedSecurityGroupId: args.clusterSecurityGroupId,
            ipProtocol: "tcp", fromPort: 443, toPort: 443,
            description: "EKS API (service discovery, cAdvisor through the node proxy)",
        }, child);
        new aws.vpc.SecurityGroupIngressRule(`${name}-api-from-scraper`, {
            securityGroupId: args.clusterSecurityGroupId,
            referencedSecurityGroupId: this.scraperSecurityGroup.id,
            ipProtocol: "tcp", fromPort: 443, toPort: 443,
            description: "AMP scraper to the EKS API",
        }, child);

        const addons: Partial<Record<MetricsAddonName, aws.eks.Addon>> = {};
        if (args.addons ?? true) {
            for (const addon of METRICS_ADDONS) {
                addons[addon] = new aws.eks.Addon(`${name}-${addon}`, {
                    clusterName: args.clusterName,
                    addonName: addon,
                    addonVersion: args.addonVersions?.[addon] ?? DEFAULT_METRICS_ADDON_VERSIONS[addon],
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: "OVERWRITE",
                    tags,
                }, {
                    parent: this,
                    // order: an add-on turns ACTIVE only once its pods run on Ready nodes; no input refers to the node pools.
                    dependsOn: [...(args.addonsAfter ?? [])],
                });
            }
        }
        this.addons = addons;

        this.scraper = new aws.amp.Scraper(name, {
            alias: name,
            source: { eks: { clusterArn: args.clusterArn, subnetIds: [...args.subnetIds], securityGroupIds: [this.scraperSecurityGroup.id] } },
            destination: { amp: { workspaceArn: this.workspace.arn } },
            ...(args.scraperRoles ? { roleConfiguration: { sourceRoleArn: args.scraperRoles.sourceRoleArn, targetRoleArn: args.scraperRoles.targetRoleArn } } : {}),
            scrapeConfiguration: pulumi.output(args.clusterArn).apply((clusterArn) => scrapeConfiguration({
                clusterArn, appNamespace: args.appNamespace, scrapeIntervalSeconds: interval,
            })),
            tags,
        }, child);

        this.ruleGroupNamespace = new aws.amp.RuleGroupNamespace(name, {
            name: RULE_NAMESPACE,
            workspaceId: this.workspace.id,
            data: rulesFile(this.thresholds, args.appNamespace, args.highLoadRequestsPerSecond),
            tags,
        }, child);
        this.alertManager = new aws.amp.AlertManagerDefinition(name, {
            workspaceId: this.workspace.id,
            definition: pulumi.all([args.warningTopicArn, args.criticalTopicArn]).apply(([warning, critical]) =>
                alertManagerDefinition(args.region, { warning, critical })),
        }, child);

        this.registerOutputs({ workspaceId: this.workspaceId, workspaceArn: this.workspaceArn, prometheusEndpoint: this.prometheusEndpoint });
    }
}
