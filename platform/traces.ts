/**
 * Stage traces (issue 19 item 3b): an OpenTelemetry collector per cluster exporting to AWS X-Ray
 * (components/trace-collector.ts), the OTLP contract of the application's containers, and the egress the
 * application namespace needs to reach the collector.
 *
 * - One Pod Identity role for the stack (IAM is global, as in platform/identity.ts) allowed `xray:PutTraceSegments`
 *   only, associated in each cluster with `observability/otel-collector`.
 * - Per region, a `TraceCollector` in the `observability` namespace: 2 replicas with a PodDisruptionBudget in prod,
 *   1 elsewhere (`observability.traces.collectorReplicas` overrides), on the on-demand pool like the other add-ons.
 * - api, ws and worker containers get `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector Service's OTLP/HTTP URL),
 *   `OTEL_SERVICE_NAME` (api, ws, worker) and `OTEL_RESOURCE_ATTRIBUTES` (deployment.environment, cloud.region,
 *   cloud.provider, cloud.platform): the reference app's tracer (app/src/tracing.js) reads them.
 *
 * `observability.traces.enabled: false` removes all of it; the app then runs without a tracer.
 */
import * as aws from "@pulumi/aws";
import { DEFAULT_SYSTEM_NODE_SELECTOR } from "../components/cluster-addons";
import type { ClusterServiceDestination } from "../components/network-policies";
import { PodIdentityRole } from "../components/pod-identity";
import {
    OTLP_GRPC_PORT, OTLP_HTTP_PORT, TRACE_COLLECTOR_NAMESPACE, TRACE_COLLECTOR_POD_LABELS, TraceCollector, traceCollectorEndpoint, xrayExporterPolicy,
} from "../components/trace-collector";
import type { PlatformConfig } from "./config";
import type { ComputeRegion } from "./contracts";
import type { RegionContext } from "./program";

/** The environment variables the program sets on the app's containers for tracing (reserved in stack `env`). */
export const OTEL_ENV = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"] as const;

/** Collector pods per cluster when the stack does not say: 2 (with a PDB) in prod, 1 elsewhere. */
export function collectorReplicas(config: Pick<PlatformConfig, "environment" | "observability">): number {
    return config.observability.traces.collectorReplicas ?? (config.environment === "prod" ? 2 : 1);
}

/** The app namespace's egress rule to the collector (NetworkPoliciesArgs.clusterServices), OTLP ports only. */
export const TRACE_COLLECTOR_DESTINATION: ClusterServiceDestination = {
    namespace: TRACE_COLLECTOR_NAMESPACE,
    podLabels: TRACE_COLLECTOR_POD_LABELS,
    ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT],
};

/**
 * The OTLP variables of one container: empty when traces are off. `OTEL_RESOURCE_ATTRIBUTES` follows the
 * OpenTelemetry SDK environment specification (comma-separated key=value); `cloud.platform=aws_eks` makes the
 * X-Ray exporter set the segment origin `AWS::EKS::Container`.
 */
export function otelEnv(config: Pick<PlatformConfig, "environment" | "observability">, region: string, service: "api" | "ws" | "worker"): Record<string, string> {
    if (!config.observability.traces.enabled) {
        return {};
    }
    return {
        OTEL_EXPORTER_OTLP_ENDPOINT: traceCollectorEndpoint(),
        OTEL_SERVICE_NAME: service,
        OTEL_RESOURCE_ATTRIBUTES: `deployment.environment=${config.environment},cloud.region=${region},cloud.provider=aws,cloud.platform=aws_eks`,
    };
}

/** The stack's collector role (global, through the primary region's provider); undefined when traces are off. */
export function wireTraceIdentity(config: PlatformConfig, provider: aws.Provider): PodIdentityRole | undefined {
    if (!config.observability.traces.enabled) {
        return undefined;
    }
    const account = aws.getCallerIdentityOutput({}, { provider }).accountId;
    return new PodIdentityRole(`${config.environment}-otel-collector`, {
        description: "OpenTelemetry collector (EKS Pod Identity): PutTraceSegments to AWS X-Ray",
        policy: xrayExporterPolicy(),
        sourceAccount: account,
        tags: { ...config.tags },
    }, { provider });
}

/** The region's collector, receiving from the application namespace; undefined when traces are off. */
export function wireTraces(ctx: RegionContext, compute: ComputeRegion, role: PodIdentityRole | undefined, appNamespace: string): TraceCollector | undefined {
    if (!role) {
        return undefined;
    }
    return new TraceCollector(`${ctx.prefix}-traces`, {
        clusterName: compute.clusterName,
        region: ctx.region.name,
        role,
        awsProvider: ctx.provider,
        sourceNamespaces: [appNamespace],
        replicas: collectorReplicas(ctx.config),
        nodeSelector: DEFAULT_SYSTEM_NODE_SELECTOR,
        tags: { ...ctx.config.tags },
    }, { provider: compute.k8sProvider });
}
