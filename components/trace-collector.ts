/**
 * Traces to AWS X-Ray: an OpenTelemetry collector per cluster, in its own namespace, receiving OTLP from the
 * application and exporting it with the contrib `awsxray` exporter under an EKS Pod Identity role.
 *
 * Chart choice: the upstream `open-telemetry/opentelemetry-collector` chart with the upstream contrib image
 * (`otel/opentelemetry-collector-contrib`, which includes `awsxray`). The ADOT collector ships no maintained
 * standalone gateway chart (its Helm charts in aws-observability/aws-otel-helm-charts target the Container Insights
 * DaemonSet), while the upstream chart has a closed `values.schema.json` the tests validate our values against.
 *
 * Facts relied on:
 * - open-telemetry/opentelemetry-helm-charts@opentelemetry-collector-0.170.0 (f5178cb9): charts/opentelemetry-collector
 *   Chart.yaml (version 0.170.0, appVersion 0.158.0: the image tag when `image.tag` is empty), values.yaml and
 *   values.schema.json (top level `additionalProperties: false`; `mode` required; `image.repository` empty by
 *   default, so it must be set), templates/_config.tpl (`alternateConfig` replaces `config` without merging;
 *   `hostPort` is rendered only in daemonset mode), templates/pdb.yaml (`podDisruptionBudget.enabled` plus
 *   `maxUnavailable`, deployment/statefulset only), templates/_helpers.tpl (`fullnameOverride`; selector labels
 *   `app.kubernetes.io/name: opentelemetry-collector`, `app.kubernetes.io/instance: <release>`), templates/_pod.tpl
 *   (probes on the health_check extension, port 13133; `MY_POD_IP` env). tests/fixtures holds the schema.
 * - open-telemetry/opentelemetry-collector-contrib exporter/awsxrayexporter (read at the stored commits named in
 *   docs/components.md; the exact v0.158.0 tag was not available offline): README.md "Exporter Configuration" (keys
 *   `region`, `indexed_attributes`, `telemetry.enabled` default false); awsxray.go calls `PutTraceSegments` for every
 *   batch and `PutTelemetryRecords` only through the telemetry sender when `telemetry.enabled`; nothing calls
 *   `GetSamplingRules`/`GetSamplingTargets` (that is the awsxray receiver's proxy). internal/translator/segment.go
 *   `convertToAmazonTraceID`: the first 4 bytes of the trace id are read as Unix epoch seconds and a span is DROPPED
 *   unless that time is within the last 28 days (5 minutes of skew allowed), unless the alpha feature gate that sets
 *   `skipTimestampValidation` is on; resource attributes become `otel.resource.<key>` and are indexed (annotations)
 *   only when named in `indexed_attributes`.
 * - The image: open-telemetry/opentelemetry-collector-releases distributions/otelcol-contrib/Dockerfile (`FROM
 *   scratch`, `USER 10001`), so it runs non-root and writes nothing to its root filesystem.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { HelmChart } from "./cluster-addons";
import { DEFAULT_DENY_POLICY, NAMESPACE_NAME_LABEL, defaultDenySpec, egressSpec } from "./network-policies";
import { PodIdentityRole } from "./pod-identity";
import { DNS_LABEL, Problems, show } from "./validation";
import { PART_OF, restrictedNamespaceLabels } from "./workload-spec";

/** The pinned chart (https://open-telemetry.github.io/opentelemetry-helm-charts, 0.170.0, appVersion 0.158.0). */
export const TRACE_COLLECTOR_CHART: HelmChart = { chart: "opentelemetry-collector", version: "0.170.0", repo: "https://open-telemetry.github.io/opentelemetry-helm-charts" };
/** The collector image: the contrib distribution (the core one has no awsxray exporter). Its tag is the chart's appVersion. */
export const TRACE_COLLECTOR_IMAGE = { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" } as const;
/** The contrib image's user (distributions/otelcol-contrib/Dockerfile `USER 10001`). */
export const TRACE_COLLECTOR_UID = 10001;

export const TRACE_COLLECTOR_NAMESPACE = "observability";
/** Release name, `fullnameOverride` (so the Deployment, Service and PDB carry it) and the service account's name. */
export const TRACE_COLLECTOR_NAME = "otel-collector";
/** OTLP over gRPC and over HTTP (the OTLP specification's default ports, and the chart's `ports.otlp`/`ports.otlp-http`). */
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
/** The health_check extension's port, which the chart's probes call. */
export const HEALTH_CHECK_PORT = 13133;
/** Labels the chart puts on the collector pods (templates/_helpers.tpl selectorLabels) with our release name. */
export const TRACE_COLLECTOR_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "opentelemetry-collector",
    "app.kubernetes.io/instance": TRACE_COLLECTOR_NAME,
};
/**
 * Resource attributes X-Ray indexes as annotations (filterable in the console as
 * `annotation.otel_resource_deployment_environment = "prod"`): the exporter prefixes resource keys with
 * `otel.resource.` before matching `indexed_attributes`.
 */
export const XRAY_INDEXED_ATTRIBUTES = ["otel.resource.deployment.environment", "otel.resource.cloud.region"] as const;

/** The OTLP/HTTP base URL of the collector in `namespace`, as the app's `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export function traceCollectorEndpoint(namespace: string = TRACE_COLLECTOR_NAMESPACE): string {
    return `http://${TRACE_COLLECTOR_NAME}.${namespace}.svc.cluster.local:${OTLP_HTTP_PORT}`;
}

/**
 * The collector role's policy: only what the exporter calls. `xray:PutTraceSegments` takes no resource
 * (Service Authorization Reference, AWS X-Ray: no resource types for it), hence `*`. `PutTelemetryRecords`
 * only when the exporter's telemetry is on.
 */
export function xrayExporterPolicy(telemetry = false): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "PutTraceSegments",
            Effect: "Allow",
            Action: telemetry ? ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] : ["xray:PutTraceSegments"],
            Resource: "*",
        }],
    };
}

export interface CollectorResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly memory: string };
}

export const DEFAULT_COLLECTOR_RESOURCES: CollectorResources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };

export interface TraceCollectorArgs {
    /** The cluster the Pod Identity association is created in. */
    readonly clusterName: pulumi.Input<string>;
    /** The AWS region X-Ray receives the segments in (the cluster's). */
    readonly region: string;
    /** The stack's collector role (see `xrayExporterPolicy`); associated here with the collector's service account. */
    readonly role: PodIdentityRole;
    /** The region's AWS provider (the association lives in the cluster's region). */
    readonly awsProvider?: pulumi.ProviderResource;
    /** Namespaces whose pods may send OTLP to the collector (the application's). */
    readonly sourceNamespaces: readonly pulumi.Input<string>[];
    /** Collector pods. With 2 or more a PodDisruptionBudget (maxUnavailable 1) keeps one running. @default 1 */
    readonly replicas?: number;
    /** @default TRACE_COLLECTOR_NAMESPACE */
    readonly namespace?: string;
    /** @default DEFAULT_COLLECTOR_RESOURCES */
    readonly resources?: CollectorResources;
    /** Node labels the pods must match (e.g. the on-demand pool). @default {} */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Another chart pin (after reading its values.yaml). @default TRACE_COLLECTOR_CHART */
    readonly chart?: HelmChart;
    /** Extra chart values merged over the component's. @default {} */
    readonly values?: Readonly<Record<string, unknown>>;
    readonly tags?: Readonly<Record<string, string>>;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi)?$/;

export function validateTraceCollectorArgs(args: TraceCollectorArgs): Problems {
    const problems = new Problems();
    problems.check(typeof args.region === "string" && REGION.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    const replicas = args.replicas ?? 1;
    problems.check(Number.isInteger(replicas) && replicas >= 1 && replicas <= 10, "replicas", `must be a whole number 1-10, got ${show(args.replicas)}`);
    const ns = args.namespace ?? TRACE_COLLECTOR_NAMESPACE;
    problems.check(DNS_LABEL.test(ns), "namespace", `must be a DNS label, got ${show(args.namespace)}`);
    problems.check(Array.isArray(args.sourceNamespaces) && args.sourceNamespaces.length > 0, "sourceNamespaces", "must name at least one namespace; without one nothing may send traces");
    const r = args.resources;
    if (r) {
        for (const [path, v] of [["resources.requests.cpu", r.requests?.cpu], ["resources.requests.memory", r.requests?.memory], ["resources.limits.memory", r.limits?.memory]] as const) {
            problems.check(typeof v === "string" && QUANTITY.test(v), path, `must be a Kubernetes quantity such as "128Mi" or "100m", got ${show(v)}`);
        }
    }
    return problems;
}

/** The collector's pipeline (chart value `alternateConfig`): OTLP in, memory limiter and batching, awsxray out. */
export function collectorConfig(region: string): Record<string, unknown> {
    return {
        extensions: { health_check: { endpoint: `\${env:MY_POD_IP}:${HEALTH_CHECK_PORT}` } },
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: `\${env:MY_POD_IP}:${OTLP_GRPC_PORT}` },
                    http: { endpoint: `\${env:MY_POD_IP}:${OTLP_HTTP_PORT}` },
                },
            },
        },
        processors: {
            // The chart's own defaults for these two (values.yaml `config.processors`).
            memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
            batch: {},
        },
        exporters: {
            awsxray: { region, indexed_attributes: [...XRAY_INDEXED_ATTRIBUTES] },
        },
        service: {
            extensions: ["health_check"],
            pipelines: { traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["awsxray"] } },
        },
    };
}

/** The chart values (charts/opentelemetry-collector/values.yaml at the pinned tag). */
export function traceCollectorValues(args: Pick<TraceCollectorArgs, "region" | "replicas" | "resources" | "nodeSelector">): Record<string, unknown> {
    const replicas = args.replicas ?? 1;
    const resources = args.resources ?? DEFAULT_COLLECTOR_RESOURCES;
    const disabled = { enabled: false };
    return {
        mode: "deployment",
        fullnameOverride: TRACE_COLLECTOR_NAME,
        image: { repository: TRACE_COLLECTOR_IMAGE.repository, tag: TRACE_COLLECTOR_IMAGE.tag },
        replicaCount: replicas,
        serviceAccount: { create: true, name: TRACE_COLLECTOR_NAME },
        alternateConfig: collectorConfig(args.region),
        // Only the OTLP ports; the chart's jaeger/zipkin ports are for receivers this pipeline does not run.
        ports: {
            "otlp": { enabled: true, containerPort: OTLP_GRPC_PORT, servicePort: OTLP_GRPC_PORT, protocol: "TCP", appProtocol: "grpc" },
            "otlp-http": { enabled: true, containerPort: OTLP_HTTP_PORT, servicePort: OTLP_HTTP_PORT, protocol: "TCP" },
            "jaeger-compact": disabled, "jaeger-thrift": disabled, "jaeger-grpc": disabled, "zipkin": disabled, "metrics": disabled,
        },
        podSecurityContext: { runAsNonRoot: true, runAsUser: TRACE_COLLECTOR_UID, runAsGroup: TRACE_COLLECTOR_UID, seccompProfile: { type: "RuntimeDefault" } },
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
        nodeSelector: { ...(args.nodeSelector ?? {}) },
        podDisruptionBudget: replicas >= 2 ? { enabled: true, maxUnavailable: 1 } : { enabled: false },
        ...(replicas >= 2 ? {
            topologySpreadConstraints: [{
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { ...TRACE_COLLECTOR_POD_LABELS } },
            }],
        } : {}),
    };
}

/** Ingress to the collector: pods of `sourceNamespaces`, OTLP ports only. */
export function collectorIngressSpec(sourceNamespaces: readonly pulumi.Input<string>[]): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...TRACE_COLLECTOR_POD_LABELS } },
        policyTypes: ["Ingress"],
        ingress: [{
            from: sourceNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } } })),
            ports: [{ protocol: "TCP", port: OTLP_GRPC_PORT }, { protocol: "TCP", port: OTLP_HTTP_PORT }],
        }],
    };
}

/**
 * One cluster's trace collector: the `observability` namespace (restricted Pod Security), its NetworkPolicies
 * (default deny; OTLP in from the source namespaces; out: cluster DNS, HTTPS to public AWS endpoints, the Pod
 * Identity agent), the Pod Identity association of the collector's service account, and the Helm release. Pass
 * the cluster's `k8s.Provider` in `opts.provider`.
 */
export class TraceCollector extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly release: k8s.helm.v3.Release;
    /** `OTEL_EXPORTER_OTLP_ENDPOINT` for the app: the Service's cluster DNS name and OTLP/HTTP port. */
    public readonly endpoint: string;

    constructor(name: string, args: TraceCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        validateTraceCollectorArgs(args).throwIfAny(`TraceCollector "${name}"`);
        super("scaled-web:observability:TraceCollector", name, {}, opts);
        const child = { parent: this };
        const nsName = args.namespace ?? TRACE_COLLECTOR_NAMESPACE;
        const chart = args.chart ?? TRACE_COLLECTOR_CHART;
        const labels = { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };

        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: nsName, labels: restrictedNamespaceLabels() } }, child);
        this.namespace = ns.metadata.name;
        const policy = (key: string, policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec): k8s.networking.v1.NetworkPolicy =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${key}`, { metadata: { name: policyName, namespace: this.namespace, labels }, spec }, child);
        policy("default-deny", DEFAULT_DENY_POLICY, defaultDenySpec());
        policy("otlp-ingress", "allow-otlp-ingress", collectorIngressSpec(args.sourceNamespaces));
        // DNS, 443 outside private ranges (X-Ray's public endpoint through NAT) and the Pod Identity agent.
        policy("egress", "allow-egress", egressSpec({ dataStores: {} }));

        const association = args.role.associate(`${name}-collector`, {
            clusterName: args.clusterName,
            namespace: nsName,
            serviceAccount: TRACE_COLLECTOR_NAME,
            provider: args.awsProvider,
            parent: this,
            tags: args.tags ? { ...args.tags } : undefined,
        });
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: TRACE_COLLECTOR_NAME,
            chart: chart.chart,
            version: chart.version,
            ...(chart.repo ? { repositoryOpts: { repo: chart.repo } } : {}),
            namespace: this.namespace,
            values: { ...traceCollectorValues(args), ...(args.values ?? {}) },
            atomic: true,
            cleanupOnFail: true,
        }, {
            parent: this,
            // order: the collector's pods must start with Pod Identity credentials, so the association (which no
            // chart value refers to) exists first.
            dependsOn: [association],
        });
        this.endpoint = traceCollectorEndpoint(nsName);
        this.registerOutputs({ namespace: this.namespace, endpoint: this.endpoint });
    }
}
