/**
 * What each area of the reference program hands to the next. Areas are wired in `platform/program.ts`
 * in this order per region: network -> compute -> images -> data -> edge -> workloads -> observability,
 * then DNS across regions. Each `platform/<area>.ts` exports one `wire<Area>()` function that returns
 * the interface below; consumers depend only on these interfaces.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodIdentityRole } from "../components/pod-identity";

/** platform/compute.ts: EKS cluster, node pools and add-ons of one region. */
export interface ComputeRegion {
    readonly clusterName: pulumi.Output<string>;
    /** Kubernetes provider for the region's cluster; every workload object uses it. */
    readonly k8sProvider: k8s.Provider;
    /**
     * Security group attached to every node, and so to every pod IP (VPC CNI without security groups for pods);
     * data stores and the ALB (on the container ports) open ports to it.
     */
    readonly nodeSecurityGroupId: pulumi.Output<string>;
    /**
     * The AWS Load Balancer Controller's Helm release in the cluster: `TargetGroupBinding`s wait for it (it installs
     * their CRD and webhooks).
     */
    readonly loadBalancerController: pulumi.Resource;
    /**
     * ASG names keyed `<pool>` (one group over all zones) or `<pool>-<zone>` (one group per zone), e.g.
     * `{ "general-us-east-1a": ..., "general-us-east-1b": ..., "general-us-east-1c": ..., workers: ... }`
     * (alarms are keyed by them).
     */
    readonly autoScalingGroupNames: Readonly<Record<string, pulumi.Output<string>>>;
    readonly oidcProviderArn: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
}

/** platform/images.ts: the image each service runs, per region (region-local, pinned when built). */
export interface ImageSupply {
    imageFor(service: string, region: string): pulumi.Output<string>;
}

/** platform/data.ts: data-store endpoints one region's workloads use. */
export interface DataRegion {
    /** Host:port workloads write to (the pooler in front of the primary). */
    readonly writerEndpoint: pulumi.Output<string>;
    /** Host:port for reads in this region (its replicas; the writer when it has none). */
    readonly readerEndpoint: pulumi.Output<string>;
    readonly databaseName: string;
    /** The application's login role (IAM authentication; no password exists for it). */
    readonly databaseUser: string;
    /**
     * Secrets Manager secret names in this region, one per cache purpose, e.g. `{ queue: "scaled-web/prod/cache-queue" }`;
     * each holds `{ url, address, password }` (`url` = `rediss://:token@host:port`). Workloads get them through ESO.
     */
    readonly cacheSecretNames: Readonly<Record<string, pulumi.Output<string>>>;
    /** Whether each purpose's store is reached over TLS (`rediss://`), keyed like `cacheSecretNames`. */
    readonly cacheTls: Readonly<Record<string, pulumi.Output<boolean>>>;
    /** Stack-wide Pod Identity roles (IAM is global), associated in every region's cluster by the workloads stage. */
    readonly identity: DataIdentity;
    /** Primary region only: what the bootstrap Job needs to create the application role. */
    readonly bootstrap?: DatabaseBootstrapInputs;
    /** Identifiers for alarms. */
    readonly databaseInstanceIds: readonly pulumi.Output<string>[];
    readonly replicaInstanceIds: readonly pulumi.Output<string>[];
    readonly cacheReplicationGroupIds: Readonly<Record<string, pulumi.Output<string>>>;
    readonly maxConnections: number;
}

/** Pod Identity roles the data stage creates once per stack. */
export interface DataIdentity {
    /** External Secrets Operator's controller: `GetSecretValue` on the stack's secrets (name prefix) only. */
    readonly externalSecrets: PodIdentityRole;
}

/** The master secret and where to reach the primary (the bootstrap Job; primary region). */
export interface DatabaseBootstrapInputs {
    readonly role: PodIdentityRole;
    readonly masterSecretArn: pulumi.Output<string>;
    readonly primaryAddress: pulumi.Output<string>;
}

/** platform/edge.ts: one region's load balancer. */
export interface EdgeRegion {
    readonly loadBalancerArnSuffix: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;
    readonly zoneId: pulumi.Output<string>;
    /** Target group ARN suffixes keyed `api` / `ws` (alarms use them). */
    readonly targetGroupArnSuffixes: Readonly<Record<string, pulumi.Output<string>>>;
    /** IP target group ARNs keyed `api` / `ws`: the workloads' `TargetGroupBinding`s point at them. */
    readonly targetGroupArns: Readonly<Record<"api" | "ws", pulumi.Output<string>>>;
}

/** platform/peering.ts: the peering from the primary region to one secondary region. */
export interface PeeringRegion {
    /** `pcx-...`, known once the secondary region has accepted the peering. */
    readonly peeringConnectionId: pulumi.Output<string>;
    /**
     * The secondary region's private subnet CIDRs, keyed by AZ: what the primary's data stores admit from it
     * (security groups cannot reference a group in another region).
     */
    readonly clientCidrBlocks: Readonly<Record<string, string>>;
}

/** platform/storage.ts (issue 18): where one region's pods put user uploads. */
export interface StorageRegion {
    /** The uploads bucket (in the primary region, for every region). */
    readonly uploadsBucket: pulumi.Output<string>;
    readonly uploadsRegion: string;
    /** Key prefix the application owns, e.g. `uploads/`. */
    readonly uploadsPrefix: string;
}
