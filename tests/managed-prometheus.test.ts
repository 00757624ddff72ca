import * as aws from "@pulumi/aws";
import { parse } from "yaml";
import { APP_METRICS_PORT, APP_METRIC_NAMES, HTTP_REQUEST_DURATION_SECONDS } from "../components/app-metrics";
import {
    DEFAULT_METRICS_ADDON_VERSIONS, ManagedPrometheus, ManagedPrometheusArgs, RULE_NAMESPACE, SCRAPE_TARGETS,
    alertManagerDefinition, alertRules, rulesFile, scrapeConfiguration, validateManagedPrometheusArgs,
} from "../components/managed-prometheus";
import { DEFAULT_THRESHOLDS, resolveThresholds } from "../components/observability";
import { runComponent } from "./harness";

const WORKSPACE = "aws:amp/workspace:Workspace";
const SCRAPER = "aws:amp/scraper:Scraper";
const RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace";
const ALERTMANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition";
const ADDON = "aws:eks/addon:Addon";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

const ARGS: ManagedPrometheusArgs = {
    region: "us-east-1",
    clusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/prod-use1-eks",
    clusterName: "prod-use1-eks",
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    nodeSecurityGroupId: "sg-nodes",
    clusterSecurityGroupId: "sg-cluster",
    appNamespace: "scaled-web",
    warningTopicArn: "arn:aws:sns:us-east-1:123456789012:prod-use1-obs-warning",
    criticalTopicArn: "arn:aws:sns:us-east-1:123456789012:prod-use1-obs-critical",
};

/**
 * Every metric the rules may use, with who exports it:
 * - the reference app: components/app-metrics.ts (the reference-app test scrapes them from the running app);
 * - kube-state-metrics: kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md (kube_pod_status_ready,
 *   kube_pod_container_resource_limits, kube_pod_container_status_restarts_total);
 * - kubelet cAdvisor: google/cadvisor docs/storage/prometheus.md (container_cpu_usage_seconds_total,
 *   container_memory_working_set_bytes);
 * - KEDA operator: kedacore/keda-docs content/docs/2.18/integrations/prometheus.md.
 */
const EXPORTED = new Set<string>([
    ...APP_METRIC_NAMES, `${HTTP_REQUEST_DURATION_SECONDS}_bucket`, `${HTTP_REQUEST_DURATION_SECONDS}_sum`, `${HTTP_REQUEST_DURATION_SECONDS}_count`,
    "kube_pod_status_ready", "kube_pod_container_resource_limits", "kube_pod_container_status_restarts_total",
    "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
    "keda_scaler_detail_errors_total", "keda_scaled_object_errors_total",
]);

/** Metric names in a PromQL expression: identifiers directly followed by a selector `{` or a range `[`. */
function metricsIn(expr: string): string[] {
    return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)].map((m) => m[1]);
}

describe("scrape configuration", () => {
    const config = parse(scrapeConfiguration({ clusterArn: ARGS.clusterArn as string, appNamespace: "scaled-web", scrapeIntervalSeconds: 30 }));
    const job = (name: string): any => config.scrape_configs.find((j: any) => j.job_name === name);

    test("uses only what an AMP managed collector accepts: global + scrape_configs, kubernetes_sd only, >= 30 s, token-file bearer auth", () => {
        expect(Object.keys(config).sort()).toEqual(["global", "scrape_configs"]);
        expect(config.global.scrape_interval).toBe("30s");
        for (const j of config.scrape_configs) {
            const sdKeys = Object.keys(j).filter((k) => k.endsWith("_sd_configs"));
            expect(sdKeys).toEqual(["kubernetes_sd_configs"]);
            if (j.authorization) {
                expect(j.authorization).toEqual({ type: "Bearer", credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" });
            }
            expect(j.static_configs).toBeUndefined();
        }
    });

    test("scrapes the app, KEDA, kube-state-metrics, node exporter and cAdvisor", () => {
        expect(config.scrape_configs.map((j: any) => j.job_name).sort()).toEqual(["app", "cadvisor", "keda", "kube-state-metrics", "node-exporter"]);
    });

    test("application pods: only the app namespace, only the port named metrics, labelled with their app", () => {
        const app = job("app");
        expect(app.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: ["scaled-web"] } }]);
        expect(app.relabel_configs[0]).toEqual({ source_labels: ["__meta_kubernetes_pod_container_port_name"], action: "keep", regex: "metrics" });
        expect(app.relabel_configs).toContainEqual({ source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], target_label: "app" });
        expect(app.metrics_path).toBe("/metrics");
    });

    test("exporters are found in the namespaces and on the port names the add-ons and the KEDA chart use", () => {
        for (const [jobName, target] of [["keda", SCRAPE_TARGETS.keda], ["kube-state-metrics", SCRAPE_TARGETS.kubeStateMetrics], ["node-exporter", SCRAPE_TARGETS.nodeExporter]] as const) {
            const j = job(jobName);
            expect(j.kubernetes_sd_configs[0].namespaces.names).toEqual([target.namespace]);
            expect(j.relabel_configs[0].regex).toBe(target.portName);
        }
        // kube-state-metrics labels series with the namespace/pod they describe: honour them instead of the target's.
        expect(job("kube-state-metrics").honor_labels).toBe(true);
        expect(job("kube-state-metrics").relabel_configs.some((r: any) => r.target_label === "namespace")).toBe(false);
    });

    test("cAdvisor goes through the API server's node proxy and keeps only the two app-namespace series the rules use", () => {
        const c = job("cadvisor");
        expect(c.relabel_configs).toContainEqual({ replacement: "kubernetes.default.svc:443", target_label: "__address__" });
        const keep = new RegExp(`^${c.metric_relabel_configs[0].regex}$`);
        expect(keep.test("container_cpu_usage_seconds_total;scaled-web")).toBe(true);
        expect(keep.test("container_memory_working_set_bytes;scaled-web")).toBe(true);
        expect(keep.test("container_cpu_usage_seconds_total;kube-system")).toBe(false);
        expect(keep.test("container_network_receive_bytes_total;scaled-web")).toBe(false);
    });
});

describe("alert rules", () => {
    const file = parse(rulesFile(DEFAULT_THRESHOLDS, "scaled-web"));
    const rules: any[] = file.groups.flatMap((g: any) => g.rules);

    test("the rules file is one well-formed group of alerting rules, each warning or critical", () => {
        expect(file.groups).toHaveLength(1);
        expect(rules.length).toBeGreaterThanOrEqual(14);
        for (const r of rules) {
            expect(Object.keys(r).sort()).toEqual(["alert", "annotations", "expr", "for", "labels"]);
            expect(r.alert).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
            expect(["warning", "critical"]).toContain(r.labels.severity);
            expect(r.for).toMatch(/^\d+m$/);
        }
        expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    });

    test("every expression reads metrics something in the cluster actually exports", () => {
        for (const r of rules) {
            const names = metricsIn(r.expr);
            expect(names.length).toBeGreaterThan(0);
            for (const n of names) {
                expect({ alert: r.alert, metric: n, exported: EXPORTED.has(n) }).toEqual({ alert: r.alert, metric: n, exported: true });
            }
            // Brackets balance (a cheap well-formedness check of the PromQL text).
            expect(r.expr.split("(").length).toBe(r.expr.split(")").length);
        }
    });

    test("thresholds come from the stack's alerts.thresholds (seed defaults, overrides win)", () => {
        const byName = (t = DEFAULT_THRESHOLDS): Record<string, string> => Object.fromEntries(alertRules(t, "scaled-web").map((r) => [r.alert, r.expr]));
        expect(byName().ApiP95LatencyWarning).toMatch(/> 0\.3$/);
        expect(byName().ApiP95LatencyCritical).toMatch(/> 0\.5$/);
        expect(byName().ApiErrorRateCritical).toMatch(/> 1$/);
        expect(byName().PodCpuNearLimitWarning).toMatch(/> 70$/);
        expect(byName().PodMemoryNearLimitCritical).toMatch(/> 90$/);
        // Seed 002 high_load: 1000 requests/s per api pod for 5 minutes, or the stack's scaling target.
        expect(byName().ApiHighLoadWarning).toBe('avg(sum by (pod) (rate(http_server_requests_total{job="app",app="api"}[5m]))) > 1000');
        expect(alertRules(DEFAULT_THRESHOLDS, "scaled-web", 400).find((r) => r.alert === "ApiHighLoadWarning")!.expr).toMatch(/> 400$/);
        const custom = byName(resolveThresholds({ p95Ms: { warning: 250 }, cpu: { critical: 95 } }));
        expect(custom.ApiP95LatencyWarning).toMatch(/> 0\.25$/);
        expect(custom.PodCpuNearLimitCritical).toMatch(/> 95$/);
    });

    test("pod-level rules watch the application namespace only", () => {
        for (const r of rules.filter((x) => /^Pod/.test(x.alert))) {
            for (const sel of r.expr.match(/\{[^}]*\}/g)) {
                expect(sel).toContain('namespace="scaled-web"');
            }
        }
    });
});

describe("alert manager definition", () => {
    const topics = { warning: "arn:aws:sns:us-east-1:123456789012:w", critical: "arn:aws:sns:us-east-1:123456789012:c" };
    const def = parse(alertManagerDefinition("us-east-1", topics));
    const am = parse(def.alertmanager_config);

    test("is AMP's format: alertmanager_config as a YAML string", () => {
        expect(Object.keys(def)).toEqual(["alertmanager_config"]);
        expect(typeof def.alertmanager_config).toBe("string");
    });

    test("routes critical alerts to the critical topic and everything else to the warning topic, with sigv4 region and no api_url/http_config", () => {
        expect(am.route.receiver).toBe("warning");
        expect(am.route.routes).toEqual([{ match: { severity: "critical" }, receiver: "critical" }]);
        const receiver = (n: string): any => am.receivers.find((r: any) => r.name === n);
        for (const level of ["warning", "critical"] as const) {
            const sns = receiver(level).sns_configs;
            expect(sns).toHaveLength(1);
            expect(sns[0]).toMatchObject({ topic_arn: topics[level], sigv4: { region: "us-east-1" }, send_resolved: true });
            expect(sns[0].api_url).toBeUndefined();
            expect(sns[0].http_config).toBeUndefined();
        }
    });
});

describe("ManagedPrometheus", () => {
    test("creates the workspace, scraper, add-ons, rules and alert manager, wired together", async () => {
        const roles = { sourceRoleArn: "arn:aws:iam::123456789012:role/amp-source", targetRoleArn: "arn:aws:iam::123456789012:role/amp-target" };
        const run = await runComponent(() => new ManagedPrometheus("prod-use1-amp", { ...ARGS, retentionDays: 90, kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k", scraperRoles: roles }));
        const ws = run.get(WORKSPACE, "prod-use1-amp");
        expect(ws.inputs).toMatchObject({ alias: "prod-use1-amp", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" });
        expect(run.get("aws:amp/workspaceConfiguration:WorkspaceConfiguration", "prod-use1-amp").inputs.retentionPeriodInDays).toBe(90);

        const scraper = run.get(SCRAPER, "prod-use1-amp");
        expect(scraper.inputs.destination).toEqual({ amp: { workspaceArn: ws.state.arn } });
        expect(scraper.inputs.source.eks).toEqual({ clusterArn: ARGS.clusterArn, subnetIds: ARGS.subnetIds, securityGroupIds: ["prod-use1-amp-scraper-id"] });
        // A customer-key workspace takes the scraper's writes through the role configuration.
        expect(scraper.inputs.roleConfiguration).toEqual(roles);
        const cfg = parse(scraper.inputs.scrapeConfiguration);
        expect(cfg.global.external_labels).toEqual({ clusterArn: ARGS.clusterArn });

        const rules = run.get(RULES, "prod-use1-amp");
        expect(rules.inputs).toMatchObject({ name: RULE_NAMESPACE, workspaceId: "prod-use1-amp-id" });
        expect(parse(rules.inputs.data).groups[0].rules.length).toBeGreaterThan(0);
        const am = run.get(ALERTMANAGER, "prod-use1-amp");
        expect(am.inputs.workspaceId).toBe("prod-use1-amp-id");
        expect(am.inputs.definition).toContain(ARGS.criticalTopicArn as string);

        const addons = run.ofType(ADDON);
        expect(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion]).sort()).toEqual(Object.entries(DEFAULT_METRICS_ADDON_VERSIONS).sort());
        expect(run.outputs).toBeDefined();
    });

    test("no retention configuration and no customer key unless asked; add-ons can be left out", async () => {
        const run = await runComponent(() => new ManagedPrometheus("amp", { ...ARGS, addons: false }));
        expect(run.ofType("aws:amp/workspaceConfiguration:WorkspaceConfiguration")).toHaveLength(0);
        expect(run.get(WORKSPACE, "amp").inputs.kmsKeyArn).toBeUndefined();
        expect(run.ofType(ADDON)).toHaveLength(0);
        expect(run.get(SCRAPER, "amp").inputs.roleConfiguration).toBeUndefined();
    });

    test("the nodes admit the scraper on the metrics ports only, the cluster API on 443 only; the scraper may reach nothing else", async () => {
        const run = await runComponent(() => new ManagedPrometheus("amp", ARGS));
        // The mock runtime's id of the scraper's security group (`<name>-id`).
        const scraperSg = "amp-scraper-id";
        expect(run.get("aws:ec2/securityGroup:SecurityGroup", "amp-scraper").inputs.vpcId).toBe("vpc-1");
        const ingress = run.ofType(INGRESS);
        const nodes = ingress.filter((r) => r.inputs.securityGroupId === "sg-nodes");
        expect(nodes.map((r) => r.inputs.fromPort).sort()).toEqual([SCRAPE_TARGETS.keda.port, SCRAPE_TARGETS.nodeExporter.port, APP_METRICS_PORT].sort());
        for (const r of ingress) {
            expect(r.inputs).toMatchObject({ referencedSecurityGroupId: scraperSg, ipProtocol: "tcp" });
            expect(r.inputs.fromPort).toBe(r.inputs.toPort);
            expect(r.inputs.cidrIpv4).toBeUndefined();
        }
        expect(ingress.filter((r) => r.inputs.securityGroupId === "sg-cluster").map((r) => r.inputs.fromPort)).toEqual([443]);
        const egress = run.ofType(EGRESS);
        expect(egress.every((r) => r.inputs.securityGroupId === scraperSg && r.inputs.cidrIpv4 === undefined)).toBe(true);
        expect(egress.map((r) => `${r.inputs.referencedSecurityGroupId}:${r.inputs.fromPort}`).sort())
            .toEqual(["sg-cluster:443", "sg-nodes:8080", "sg-nodes:9100", "sg-nodes:9464"]);
    });

    test("the add-ons wait for what the caller names (the node pools)", async () => {
        const run = await runComponent(() => {
            const marker = new aws.sns.Topic("marker", {});
            return new ManagedPrometheus("amp", { ...ARGS, addonsAfter: [marker] });
        });
        const marker = run.get("aws:sns/topic:Topic", "marker");
        for (const a of run.ofType(ADDON)) {
            expect(a.dependencies).toContain(marker.urn);
        }
    });

    test.each<[string, Partial<ManagedPrometheusArgs>, RegExp]>([
        ["a scrape interval under AMP's 30 s", { scrapeIntervalSeconds: 15 }, /scrapeIntervalSeconds: must be a whole number of seconds from 30/],
        ["a high-load rate of zero", { highLoadRequestsPerSecond: 0 }, /highLoadRequestsPerSecond: must be a positive number of requests per second, got 0/],
        ["a retention above AMP's maximum", { retentionDays: 2000 }, /retentionDays: must be a whole number of days from 1 to 1095/],
        ["a single subnet", { subnetIds: ["subnet-a"] }, /subnetIds: must list at least two subnets/],
        ["a bad add-on version", { addonVersions: { "kube-state-metrics": "2.15.0" } }, /addonVersions.kube-state-metrics: must be an EKS add-on version/],
        ["a bad threshold", { thresholds: { cpu: { warning: 90, critical: 80 } } }, /thresholds.cpu.critical: must be above warning/],
        ["a namespace that is not a DNS label", { appNamespace: "Scaled_Web" }, /appNamespace: must be a namespace name/],
        ["a customer key without scraper roles", { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" }, /kmsKeyArn: a workspace with a customer managed key takes metrics only from a scraper with a role configuration/],
    ])("rejects %s", (_label, patch, expected) => {
        expect(() => validateManagedPrometheusArgs({ ...ARGS, ...patch }).throwIfAny("ManagedPrometheus \"amp\"")).toThrow(expected);
        expect(() => new ManagedPrometheus("amp", { ...ARGS, ...patch })).toThrow(expected);
    });
});
