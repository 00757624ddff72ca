/**
 * The reference program: everything one stack provisions, built from the components. `index.ts` runs
 * it under the Pulumi CLI; `toolkit/offline.ts` runs the same function under the mock runtime.
 *
 * Per region (primary first): an explicit aws.Provider, then the network and everything that sits in it.
 * Each area wires itself in its own module (platform/<area>.ts) and is called from here in dependency order.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Network, ZoneChoice } from "../components/network";
import { ConfigError, PlatformConfig, RegionConfig, loadConfig } from "./config";
import { wireCompute } from "./compute";
import { wireDeployRunner } from "./deploy-runner";
import { wireData } from "./data";
import { wireDns, wireEdge } from "./edge";
import { wireIdentity } from "./identity";
import { wireImages } from "./images";
import { wireMonitoring } from "./monitoring";
import { wireObservability } from "./observability";
import { wirePeering } from "./peering";
import { usEast1Provider, wireStatic } from "./static";
import { wireNetworkIsolation } from "./network-isolation";
import { grantUploadsAccess, wireStorage } from "./storage";
import { appNamespaceOf, wireWorkloads } from "./workloads";
import { wireTraceIdentity, wireTraces } from "./traces";
import { wireGrafana } from "./grafana";
import { resolveZones } from "./zones";

/** What every area gets for one region. */
export interface RegionContext {
    readonly config: PlatformConfig;
    readonly region: RegionConfig;
    /** Prefix of every resource name in this region, e.g. `prod-use1`. */
    readonly prefix: string;
    readonly provider: aws.Provider;
    readonly network: Network;
}

/** Short region code for names: us-east-1 -> use1, eu-central-2 -> euc2. */
export function regionCode(region: string): string {
    const [geo, dir, n] = region.split("-");
    const short = dir.replace(/north/g, "n").replace(/south/g, "s").replace(/east/g, "e").replace(/west/g, "w").replace(/central/g, "c");
    return `${geo}${short}${n}`;
}

/** Stack outputs of one region. */
export interface RegionOutputs {
    readonly role: string;
    readonly weight: number;
    readonly vpcId: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly loadBalancerDnsName: pulumi.Output<string>;
    /** Where this region's workloads write (the RDS Proxy in front of the primary). */
    readonly databaseWriterEndpoint: pulumi.Output<string>;
    /** Where this region's workloads read (its replicas through the private reader record). */
    readonly databaseReaderEndpoint: pulumi.Output<string>;
    readonly warningTopicArn: pulumi.Output<string>;
    readonly criticalTopicArn: pulumi.Output<string>;
    /** issue 19: the region's Amazon Managed Service for Prometheus workspace, when `observability.prometheus.enabled`. */
    readonly prometheus?: { readonly workspaceId: pulumi.Output<string>; readonly prometheusEndpoint: pulumi.Output<string> };
}

/** The stack's outputs (`pulumi stack output`). Secrets (passwords, cache URLs) are never exported. */
export interface PlatformOutputs {
    readonly environment: string;
    readonly tier: string;
    /** Public names served by weighted DNS, e.g. `api.example.com`, `ws.example.com`. */
    readonly hostnames: readonly string[];
    readonly regions: Record<string, RegionOutputs>;
    /** The application's Pod Identity role ARNs keyed by workload (`api`, `ws`, `worker`): attach app permissions to them. */
    readonly appRoleArns: Record<string, pulumi.Output<string>>;
    /** The in-VPC GitHub Actions runner, when `deployRunner.enabled`: its CodeBuild project and `runs-on` label. */
    readonly deployRunner?: { readonly projectName: string; readonly runsOn: string };
    /** issue 19 item 3b: the Amazon Managed Grafana workspace, when `observability.grafana.enabled`; rotate the token before `tokenExpiresAt`. */
    readonly grafana?: { readonly url: pulumi.Output<string>; readonly workspaceId: pulumi.Output<string>; readonly tokenExpiresAt: pulumi.Output<string> };
    /** seeds1: the uploads bucket, when `uploads.enabled`. */
    readonly uploads?: {
        readonly bucketName: pulumi.Output<string>;
        readonly region: string;
        readonly prefix: string;
        readonly replicaBucketName?: pulumi.Output<string>;
    };
    /** seeds1: the static-asset CDN, when `cdn.enabled`: served name, distribution and the bucket CI uploads to. */
    readonly static?: {
        readonly url: string;
        readonly distributionId: pulumi.Output<string>;
        readonly bucketName: pulumi.Output<string>;
        readonly replicaBucketName?: pulumi.Output<string>;
    };
}

/** Creates the region's provider, chooses its zones (platform/zones.ts) and builds its network: the context every other area builds on. */
async function regionZones(config: PlatformConfig, region: RegionConfig): Promise<{ provider: aws.Provider; zones: ZoneChoice }> {
    const provider = new aws.Provider(`aws-${region.name}`, {
        region: region.name as aws.Region,
        defaultTags: { tags: { ...config.tags, region: region.name } },
    });
    return { provider, zones: await resolveZones(config.stack, region, provider) };
}

function regionContext(config: PlatformConfig, region: RegionConfig, provider: aws.Provider, zones: ZoneChoice): RegionContext {
    const prefix = `${config.environment}-${regionCode(region.name)}`;
    const flow = config.network;
    const network = new Network(`${prefix}-net`, {
        cidrBlock: region.cidr,
        availabilityZones: zones.names,
        availabilityZoneIds: zones.zoneIds,
        natGateways: config.network.natGateways,
        flowLogs: flow.flowLogs,
        flowLogTrafficType: flow.flowLogTrafficType,
        flowLogMaxAggregationInterval: flow.flowLogMaxAggregationInterval,
        flowLogDestination: flow.flowLogDestination,
        flowLogBucketArn: flow.flowLogBucketArn,
        flowLogRetentionDays: flow.flowLogRetentionDays,
        clusterNames: [`${prefix}-eks`],
        tags: config.tags,
    }, { provider });
    return { config, region, prefix, provider, network };
}

/**
 * Builds the whole platform for an already validated config. Stages run in dependency order; each
 * stage's wire function lives in platform/<area>.ts and returns the interface in platform/contracts.ts.
 */
export async function createPlatform(config: PlatformConfig): Promise<PlatformOutputs> {
    // Issue 17: every region's zones are looked up, and every zone problem reported in one error, before any network exists.
    const lookups = await Promise.allSettled(config.regions.map((region) => regionZones(config, region)));
    const zoneIssues = lookups.flatMap((l) => (l.status === "rejected" && l.reason instanceof ConfigError ? l.reason.issues : []));
    if (zoneIssues.length > 0) {
        throw new ConfigError(config.stack, zoneIssues);
    }
    const regions: RegionContext[] = config.regions.map((region, i) => {
        const l = lookups[i];
        if (l.status === "rejected") {
            throw l.reason;
        }
        return regionContext(config, region, l.value.provider, l.value.zones);
    });

    // Stage peering (platform/peering.ts): VPC peering from the primary region to every other region.
    const peering = wirePeering(config, regions);
    // Stage deploy runner (platform/deploy-runner.ts): the in-VPC CI runner and who reaches each cluster API.
    const ci = wireDeployRunner(config, regions);
    // Stage identity (platform/identity.ts): one Pod Identity role per AWS-calling workload, global, through the primary.
    const identity = wireIdentity(config, (regions.find((r) => r.region.role === "primary") ?? regions[0]).provider);
    // Stage compute (platform/compute.ts): EKS cluster, node pools, add-ons per region.
    const compute = new Map(regions.map((ctx) => [ctx.region.name, wireCompute(ctx, identity, ci.accessFor(ctx.region.name))] as const));
    // Stage images (platform/images.ts): ECR repositories, replication, optional builds.
    const images = wireImages(config, regions);
    // Stage data (platform/data.ts): RDS primary + replicas, pooling, caches.
    const data = wireData(config, regions, compute, peering, identity.appRoles);
    // Stage storage (platform/storage.ts): the uploads bucket and its replica; its name reaches the pods below.
    const storage = wireStorage(config, regions);
    // The app's Pod Identity roles (platform/identity.ts) get read/write on the uploads prefix: api takes uploads,
    // workers process them; ws serves sockets and gets nothing.
    grantUploadsAccess(storage, { api: identity.appRoles.api.roleName, worker: identity.appRoles.worker.roleName });
    // Stage edge (platform/edge.ts): ALB per region.
    const edge = new Map(regions.map((ctx) => [ctx.region.name, wireEdge(ctx, compute.get(ctx.region.name)!)] as const));
    // Stage workloads (platform/workloads.ts): api/ws deployments and queue workers per region.
    const primaryCtx = regions.find((r) => r.region.role === "primary") ?? regions[0];
    // Stage traces (platform/traces.ts): the collector's Pod Identity role, once for the stack (IAM is global).
    const traceRole = wireTraceIdentity(config, primaryCtx.provider);
    for (const ctx of regions) {
        const workloads = wireWorkloads(ctx, compute.get(ctx.region.name)!, data.get(ctx.region.name)!, images, edge.get(ctx.region.name)!, identity, storage.regions.get(ctx.region.name));
        // Stage network isolation (platform/network-isolation.ts): default deny plus the flows the platform needs.
        wireNetworkIsolation(ctx, primaryCtx, compute.get(ctx.region.name)!, workloads.namespace);
        // Stage traces: the region's OpenTelemetry collector, exporting to X-Ray, receiving from the app namespace.
        wireTraces(ctx, compute.get(ctx.region.name)!, traceRole, appNamespaceOf(config));
    }
    // Stage dns (platform/edge.ts): weighted records + health checks across regions.
    const dns = wireDns(config, regions, edge);
    // Stage static (platform/static.ts): CloudFront + private S3 origin for static assets; certificate and WAF in us-east-1.
    const global = usEast1Provider(config, regions);
    const statics = wireStatic(config, regions, global);
    // Stage observability (platform/observability.ts): alarms, dashboards, SNS per region.
    const observability = wireObservability(config, regions, { compute, data, edge, dns });
    // Stage monitoring (platform/monitoring.ts, issue 19): AMP workspace, managed scraper, alert rules to the SNS topics per region.
    const monitoring = wireMonitoring(config, regions, { compute, observability: observability.regions });
    // Stage dashboards (platform/grafana.ts), only with observability.grafana.enabled: Amazon Managed Grafana with a
    // Prometheus data source on each region's AMP workspace (the monitoring stage), an X-Ray one per region, and the dashboards.
    const grafana = wireGrafana(config, regions, monitoring);

    return {
        environment: config.environment,
        tier: config.tier,
        hostnames: dns.fqdns,
        appRoleArns: Object.fromEntries(Object.entries(identity.appRoles).map(([w, r]) => [w, r.roleArn])),
        ...(storage.uploads ? {
            uploads: {
                bucketName: storage.uploads.bucketName,
                region: storage.uploads.region,
                prefix: storage.uploads.prefix,
                ...(storage.uploads.replicaBucketName ? { replicaBucketName: storage.uploads.replicaBucketName } : {}),
            },
        } : {}),
        ...(statics.cdn ? {
            static: {
                url: `https://${statics.cdn.fqdn}`,
                distributionId: statics.cdn.distributionId,
                bucketName: statics.cdn.bucketName,
                ...(statics.cdn.replicaBucketName ? { replicaBucketName: statics.cdn.replicaBucketName } : {}),
            },
        } : {}),
        ...(grafana ? { grafana: { url: grafana.url, workspaceId: grafana.workspaceId, tokenExpiresAt: grafana.tokenExpiresAt } } : {}),
        ...(ci.runner ? { deployRunner: { projectName: ci.runner.projectName, runsOn: ci.runner.runsOnLabel } } : {}),
        regions: Object.fromEntries(regions.map((r): [string, RegionOutputs] => {
            const name = r.region.name;
            const obs = observability.regions.get(name)!;
            const amp = monitoring.regions.get(name);
            return [name, {
                role: r.region.role,
                weight: r.region.weight,
                vpcId: r.network.vpcId,
                clusterName: compute.get(name)!.clusterName,
                loadBalancerDnsName: edge.get(name)!.dnsName,
                databaseWriterEndpoint: data.get(name)!.writerEndpoint,
                databaseReaderEndpoint: data.get(name)!.readerEndpoint,
                warningTopicArn: obs.warningTopicArn,
                criticalTopicArn: obs.criticalTopicArn,
                ...(amp ? { prometheus: { workspaceId: amp.workspaceId, prometheusEndpoint: amp.prometheusEndpoint } } : {}),
            }];
        })),
    };
}

/**
 * Reads and validates the stack's config, then builds the platform. The CLI entry point: the Pulumi CLI awaits
 * the promise (the zone lookups are invokes) and publishes what it resolves to as stack outputs.
 */
export function platformProgram(): Promise<PlatformOutputs> {
    return createPlatform(loadConfig());
}
