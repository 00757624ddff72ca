/**
 * Insecure or fragile changes to the prod stack, at least one per policy of the pack: each edits the
 * resources a run of prod registered (update mode, or preview mode with unknown ids) the way a careless
 * change to the program would, and names the policy that must catch it as a mandatory violation.
 *
 * Shared by the in-process tests (tests/policy-mutations.test.ts) and the Analyzer-protocol tests: a
 * mutation only edits `RegisteredResource`s (both `inputs`, which resource policies see, and `state`,
 * which stack policies see in preview mode), so the same set runs through `evaluatePolicies` or over gRPC.
 * Edits never read an unknown value: they set known values, or remove whole entries.
 */
import { RegisteredResource, UNKNOWN } from "../toolkit/offline";

export interface PolicyMutation {
    /** What the change does, for test titles. */
    readonly name: string;
    /** The policy that must report it (mandatory under config/prod.json). */
    readonly policy: string;
    /**
     * Applies the change to `resources` (a private copy: edit in place, remove entries) and returns the
     * resulting list plus the name of the resource the violation is expected on (a stack policy may report
     * it on a related resource, e.g. the bucket whose block was removed).
     */
    mutate(resources: RegisteredResource[]): { resources: RegisteredResource[]; expectOn: string };
}

type Props = Record<string, any>;

/** The first resource of `type` matching `pred`; throws with the candidates when none does. */
export function findResource(rs: readonly RegisteredResource[], type: string, pred: (r: RegisteredResource) => boolean = () => true): RegisteredResource {
    const r = rs.find((x) => x.type === type && pred(x));
    if (!r) {
        throw new Error(`no ${type} matching the mutation's predicate; have: ${rs.filter((x) => x.type === type).map((x) => x.name).join(", ") || "none"}`);
    }
    return r;
}

const copyJson = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * Applies `change` to the resource's inputs and (when it is a separate object) its state. Mutations get a
 * shallow copy of each resource (`applyMutation`), so the properties are copied here, before the change:
 * the shared run stays as it was, and an edited resource is one whose `inputs` or `state` is a new object.
 */
function edit(r: RegisteredResource, change: (p: Props) => void): void {
    const w = r as { -readonly [K in keyof RegisteredResource]: RegisteredResource[K] };
    const shared = r.state === r.inputs;
    w.inputs = copyJson(r.inputs);
    change(w.inputs);
    if (shared) {
        w.state = w.inputs;
    } else if (r.state && typeof r.state === "object") {
        w.state = copyJson(r.state);
        change(w.state);
    }
}

function remove(rs: RegisteredResource[], pred: (r: RegisteredResource) => boolean): RegisteredResource[] {
    return rs.filter((r) => !pred(r));
}

const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    asg: "aws:autoscaling/group:Group",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    rds: "aws:rds/instance:Instance",
    cache: "aws:elasticache/replicationGroup:ReplicationGroup",
    listener: "aws:lb/listener:Listener",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    record: "aws:route53/record:Record",
    bucket: "aws:s3/bucket:Bucket",
    bucketBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    distribution: "aws:cloudfront/distribution:Distribution",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    backupPlan: "aws:backup/plan:Plan",
    service: "kubernetes:core/v1:Service",
    release: "kubernetes:helm.sh/v3:Release",
    association: "aws:eks/podIdentityAssociation:PodIdentityAssociation",
} as const;

/** A Kubernetes object of the us-east-1 cluster by `metadata.name`. */
const use1Named = (name: string) => (r: RegisteredResource): boolean => r.inputs.metadata?.name === name && r.name.includes("use1");
/** The application namespace's object of that name in us-east-1 (the trace collector's `observability` namespace has its own default deny). */
const use1AppNamed = (name: string) => (r: RegisteredResource): boolean => use1Named(name)(r) && r.inputs.metadata?.namespace === "scaled-web";
const isSpotAsg = (r: RegisteredResource): boolean => r.inputs.mixedInstancesPolicy?.instancesDistribution?.onDemandPercentageAboveBaseCapacity === 0;
const isPrimaryDb = (r: RegisteredResource): boolean => r.inputs.replicateSourceDb === undefined || r.inputs.replicateSourceDb === null;
/** Containers of a workload's pod template. */
const containers = (p: Props): Props[] => p.spec?.template?.spec?.containers ?? [];

/** Same change on one resource found by type and predicate; the violation is expected on it. */
function on(type: string, pred: (r: RegisteredResource) => boolean, change: (p: Props) => void): PolicyMutation["mutate"] {
    return (rs) => {
        const r = findResource(rs, type, pred);
        edit(r, change);
        return { resources: rs, expectOn: r.name };
    };
}

export const POLICY_MUTATIONS: readonly PolicyMutation[] = [
    // --- replicas ---------------------------------------------------------------------------------
    { name: "api Deployment scaled to one replica", policy: "deployment-min-replicas", mutate: on(T.deployment, use1Named("api"), (p) => { p.spec.replicas = 1; }) },
    // api/ws scale through KEDA ScaledObjects (CPU/memory triggers), which hpa-replica-bounds checks like HPAs.
    { name: "api autoscaler floor lowered to 1", policy: "hpa-replica-bounds", mutate: on(T.scaledObject, use1Named("api"), (p) => { p.spec.minReplicaCount = 1; }) },
    { name: "autoscaler ceiling below its floor", policy: "hpa-replica-bounds", mutate: on(T.scaledObject, use1Named("ws"), (p) => { p.spec.maxReplicaCount = 1; }) },
    {
        // The RabbitMQ backend's broker (components/message-broker.ts) made public and single-instance.
        name: "a public single-instance Amazon MQ broker", policy: "mq-broker-private-multi-az",
        mutate: (rs) => {
            const lb = findResource(rs, "aws:lb/loadBalancer:LoadBalancer", (r) => r.name.includes("use1"));
            const name = "prod-use1-queue-broker";
            const inputs = { brokerName: "prod-use1-queue", engineType: "RabbitMQ", engineVersion: "4.2", hostInstanceType: "mq.m7g.large", deploymentMode: "SINGLE_INSTANCE", publiclyAccessible: true };
            const broker: RegisteredResource = {
                ...lb,
                type: "aws:mq/broker:Broker",
                name,
                urn: lb.urn.replace("aws:lb/loadBalancer:LoadBalancer", "aws:mq/broker:Broker").replace(/::[^:]+$/, `::${name}`),
                inputs,
                state: inputs,
            };
            return { resources: [...rs, broker], expectOn: name };
        },
    },
    {
        // An HPA next to the api's ScaledObject: both would set the Deployment's replicas.
        name: "an HPA added for a Deployment a ScaledObject scales", policy: "one-autoscaler-per-workload",
        mutate: (rs) => {
            const so = findResource(rs, T.scaledObject, use1Named("api"));
            const name = `${so.name}-extra-hpa`;
            const inputs = { metadata: { ...so.inputs.metadata, name: "api-extra", annotations: undefined }, spec: { scaleTargetRef: so.inputs.spec.scaleTargetRef, minReplicas: 5, maxReplicas: 20 } };
            const hpa: RegisteredResource = {
                ...so,
                type: T.hpa,
                name,
                urn: so.urn.replace(T.scaledObject.replace("kubernetes:", ""), T.hpa.replace("kubernetes:", "")).replace(/::[^:]+$/, `::${name}`),
                inputs,
                state: inputs,
            };
            return { resources: [...rs, hpa], expectOn: name };
        },
    },
    {
        // The on-demand pool is one ASG per zone; the floor holds for their sum, so every zone group shrinks.
        name: "on-demand pool allowed to shrink to one node", policy: "on-demand-node-pool-min-size",
        mutate: (rs) => {
            const groups = rs.filter((r) => r.type === T.asg && r.name.includes("use1") && !isSpotAsg(r));
            groups.forEach((r, i) => edit(r, (p) => { p.minSize = i === 0 ? 1 : 0; }));
            return { resources: rs, expectOn: groups[0].name };
        },
    },
    {
        name: "database primary without read replicas", policy: "rds-read-replicas",
        mutate: (rs) => ({ resources: remove(rs, (r) => r.type === T.rds && !isPrimaryDb(r)), expectOn: findResource(rs, T.rds, isPrimaryDb).name }),
    },
    {
        name: "cache shards without replicas", policy: "elasticache-replication",
        mutate: on(T.cache, (r) => typeof r.inputs.replicasPerNodeGroup === "number", (p) => { p.replicasPerNodeGroup = 0; }),
    },
    {
        name: "queue cache without automatic failover", policy: "elasticache-replication",
        mutate: on(T.cache, (r) => r.name.endsWith("-queue"), (p) => { p.automaticFailoverEnabled = false; }),
    },
    {
        name: "ws PodDisruptionBudget removed", policy: "pdb-for-replicated-deployments",
        mutate: (rs) => ({
            resources: remove(rs, (r) => r.type === T.pdb && use1Named("ws")(r)),
            expectOn: findResource(rs, T.deployment, use1Named("ws")).name,
        }),
    },
    {
        name: "ws PodDisruptionBudget that blocks every eviction", policy: "pdb-for-replicated-deployments",
        mutate: (rs) => {
            edit(findResource(rs, T.pdb, use1Named("ws")), (p) => {
                delete p.spec.maxUnavailable;
                p.spec.minAvailable = "100%";
            });
            return { resources: rs, expectOn: findResource(rs, T.deployment, use1Named("ws")).name };
        },
    },
    // --- resources --------------------------------------------------------------------------------
    {
        name: "ws containers without limits", policy: "container-resources-declared",
        mutate: on(T.deployment, use1Named("ws"), (p) => containers(p).forEach((c) => { delete c.resources.limits; })),
    },
    {
        name: "api container limited to 16 CPUs", policy: "container-limits-within-caps",
        mutate: on(T.deployment, use1Named("api"), (p) => { containers(p)[0].resources.limits.cpu = "16"; }),
    },
    {
        name: "api container requesting more memory than its limit", policy: "container-requests-within-limits",
        mutate: on(T.deployment, use1Named("api"), (p) => {
            containers(p)[0].resources.requests.memory = "4Gi";
            containers(p)[0].resources.limits.memory = "1Gi";
        }),
    },
    { name: "general pool allowed 500 nodes", policy: "node-pool-max-size", mutate: on(T.asg, (r) => r.name.includes("use1") && !isSpotAsg(r), (p) => { p.maxSize = 500; }) },
    {
        name: "previous-generation database class", policy: "instance-type-allowlist",
        mutate: on(T.rds, isPrimaryDb, (p) => { p.instanceClass = "db.r5.2xlarge"; }),
    },
    {
        name: "general pool on a previous-generation instance type", policy: "instance-type-allowlist",
        mutate: on(T.asg, (r) => r.name.includes("use1") && !isSpotAsg(r), (p) => { p.mixedInstancesPolicy.launchTemplate.overrides[0].instanceType = "m4.2xlarge"; }),
    },
    // --- spot -------------------------------------------------------------------------------------
    {
        name: "spot pool with a single instance type", policy: "spot-pool-instance-diversity",
        mutate: on(T.asg, (r) => r.name.includes("use1") && isSpotAsg(r), (p) => {
            p.mixedInstancesPolicy.launchTemplate.overrides = p.mixedInstancesPolicy.launchTemplate.overrides.slice(0, 1);
        }),
    },
    {
        name: "spot pool registering without the spot taint", policy: "spot-pool-taint",
        mutate: (rs) => {
            const asg = findResource(rs, T.asg, (r) => r.name.includes("use1") && isSpotAsg(r));
            // The launch template's user data (known in an update, unknown in a preview) and the
            // cluster-autoscaler node-template tags come from the same taint list in the component.
            edit(asg, (p) => { p.tags = (p.tags as Props[]).filter((t) => !String(t.key).startsWith("k8s.io/cluster-autoscaler/node-template/taint/")); });
            const lt = findResource(rs, T.launchTemplate, (r) => asg.dependencies.includes(r.urn));
            edit(lt, (p) => {
                if (typeof p.userData === "string" && p.userData !== UNKNOWN) {
                    const text = Buffer.from(p.userData, "base64").toString("utf8").replace(/\s*- --register-with-taints=\S+/g, "");
                    p.userData = Buffer.from(text).toString("base64");
                }
            });
            return { resources: rs, expectOn: asg.name };
        },
    },
    {
        name: "spot worker that no longer tolerates the spot taint", policy: "spot-workloads-tolerate-taint",
        mutate: on(T.deployment, use1Named("worker-notifications"), (p) => { delete p.spec.template.spec.tolerations; }),
    },
    {
        name: "api scheduled onto spot nodes", policy: "critical-workloads-not-on-spot",
        mutate: on(T.deployment, use1Named("api"), (p) => {
            p.spec.template.spec.nodeSelector = { "node-type": "spot" };
            p.spec.template.spec.tolerations = [{ key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }];
        }),
    },
    // --- security ---------------------------------------------------------------------------------
    { name: "unencrypted database primary", policy: "rds-storage-encrypted", mutate: on(T.rds, isPrimaryDb, (p) => { p.storageEncrypted = false; }) },
    { name: "database primary with the AWS-managed key", policy: "rds-storage-encrypted", mutate: on(T.rds, isPrimaryDb, (p) => { delete p.kmsKeyId; }) },
    { name: "publicly accessible database", policy: "rds-not-public", mutate: on(T.rds, isPrimaryDb, (p) => { p.publiclyAccessible = true; }) },
    { name: "database in the default VPC", policy: "rds-not-public", mutate: on(T.rds, isPrimaryDb, (p) => { delete p.dbSubnetGroupName; }) },
    { name: "single-AZ database primary", policy: "rds-multi-az", mutate: on(T.rds, isPrimaryDb, (p) => { p.multiAz = false; }) },
    { name: "one day of backups", policy: "rds-backup-retention", mutate: on(T.rds, isPrimaryDb, (p) => { p.backupRetentionPeriod = 1; }) },
    { name: "deletion protection off", policy: "rds-deletion-protection", mutate: on(T.rds, isPrimaryDb, (p) => { p.deletionProtection = false; }) },
    { name: "no final snapshot", policy: "rds-deletion-protection", mutate: on(T.rds, isPrimaryDb, (p) => { p.skipFinalSnapshot = true; }) },
    { name: "ElastiCache without transit encryption", policy: "elasticache-encrypted", mutate: on(T.cache, (r) => r.name.endsWith("-sessions"), (p) => { p.transitEncryptionEnabled = false; }) },
    {
        name: "ElastiCache without AUTH", policy: "elasticache-encrypted",
        mutate: on(T.cache, (r) => r.name.endsWith("-sessions"), (p) => {
            delete p.authToken;
            delete p.userGroupIds;
        }),
    },
    {
        name: "ElastiCache in the default VPC", policy: "elasticache-private",
        mutate: on(T.cache, (r) => r.name.endsWith("-queue"), (p) => {
            delete p.subnetGroupName;
            delete p.securityGroupIds;
        }),
    },
    {
        name: "launch template allowing IMDSv1", policy: "imdsv2-required",
        mutate: on(T.launchTemplate, (r) => r.name.includes("use1"), (p) => { p.metadataOptions = { ...p.metadataOptions, httpTokens: "optional" }; }),
    },
    {
        name: "access-log bucket without its public-access block", policy: "s3-bucket-public-access-block",
        mutate: (rs) => {
            const bucket = findResource(rs, T.bucket, (r) => r.name.includes("use1"));
            return { resources: remove(rs, (r) => r.type === T.bucketBlock && r.dependencies.includes(bucket.urn)), expectOn: bucket.name };
        },
    },
    {
        name: "public-access block that allows bucket policies", policy: "s3-bucket-public-access-block",
        mutate: (rs) => {
            const bucket = findResource(rs, T.bucket, (r) => r.name.includes("use1"));
            edit(findResource(rs, T.bucketBlock, (r) => r.dependencies.includes(bucket.urn)), (p) => { p.blockPublicPolicy = false; });
            return { resources: rs, expectOn: bucket.name };
        },
    },
    {
        name: "launch template with an unencrypted root volume", policy: "launch-template-ebs-encrypted",
        mutate: on(T.launchTemplate, (r) => r.name.includes("use1"), (p) => {
            p.blockDeviceMappings = (p.blockDeviceMappings as Props[]).map((m) => ({ ...m, ebs: { ...m.ebs, encrypted: "false" } }));
        }),
    },
    {
        name: "launch template that leaves the root volume to the AMI", policy: "launch-template-ebs-encrypted",
        mutate: on(T.launchTemplate, (r) => r.name.includes("use1"), (p) => { delete p.blockDeviceMappings; }),
    },
    // --- edge -------------------------------------------------------------------------------------
    {
        name: "HTTPS listener on the 2016 TLS policy", policy: "alb-listener-https",
        mutate: on(T.listener, (r) => r.inputs.protocol === "HTTPS" && r.name.includes("use1"), (p) => { p.sslPolicy = "ELBSecurityPolicy-2016-08"; }),
    },
    {
        name: "HTTP listener forwarding instead of redirecting", policy: "alb-listener-https",
        mutate: (rs) => {
            const https = findResource(rs, T.listener, (r) => r.inputs.protocol === "HTTPS" && r.name.includes("use1"));
            const http = findResource(rs, T.listener, (r) => r.inputs.protocol === "HTTP" && r.name.includes("use1"));
            edit(http, (p) => { p.defaultActions = JSON.parse(JSON.stringify(https.inputs.defaultActions)); });
            return { resources: rs, expectOn: http.name };
        },
    },
    {
        name: "world-open SSH on the load balancer's security group", policy: "security-group-public-ingress",
        mutate: on(T.ingress, (r) => r.inputs.cidrIpv4 === "0.0.0.0/0" && r.inputs.fromPort === 443 && r.name.includes("use1"), (p) => {
            p.fromPort = 22;
            p.toPort = 22;
        }),
    },
    {
        name: "database port open to the internet", policy: "security-group-public-ingress",
        mutate: on(T.ingress, (r) => r.inputs.fromPort === 5432 && r.inputs.cidrIpv4 !== undefined, (p) => { p.cidrIpv4 = "0.0.0.0/0"; }),
    },
    {
        name: "weighted record without a health check", policy: "route53-weighted-health-check",
        mutate: on(T.record, (r) => Array.isArray(r.inputs.weightedRoutingPolicies) && r.inputs.healthCheckId !== undefined, (p) => { delete p.healthCheckId; }),
    },
    // --- storage (issue 18) -----------------------------------------------------------------------
    {
        name: "CDN immutable-asset behaviour allowing plain HTTP", policy: "cloudfront-viewer-https",
        mutate: on(T.distribution, () => true, (p) => { p.orderedCacheBehaviors[0].viewerProtocolPolicy = "allow-all"; }),
    },
    {
        name: "CDN on the TLSv1.2_2019 security policy", policy: "cloudfront-viewer-https",
        mutate: on(T.distribution, () => true, (p) => { p.viewerCertificate = { ...p.viewerCertificate, minimumProtocolVersion: "TLSv1.2_2019" }; }),
    },
    {
        name: "CDN origin read without Origin Access Control (a public bucket)", policy: "cloudfront-s3-origin-private",
        mutate: on(T.distribution, () => true, (p) => { p.origins.forEach((o: Props) => { delete o.originAccessControlId; }); }),
    },
    {
        name: "CDN origin bucket without its public-access block", policy: "s3-bucket-public-access-block",
        mutate: (rs) => {
            const bucket = findResource(rs, T.bucket, (r) => r.name.endsWith("-static-origin"));
            return { resources: remove(rs, (r) => r.type === T.bucketBlock && r.dependencies.includes(bucket.urn)), expectOn: bucket.name };
        },
    },
    // --- network isolation ------------------------------------------------------------------------
    {
        // The violation is reported on the first workload of the namespace in that cluster.
        name: "us-east-1 default-deny NetworkPolicy removed", policy: "namespace-default-deny-network-policy",
        mutate: (rs) => {
            const first = rs.find((r) => r.type.startsWith("kubernetes:") && /^kubernetes:(apps|batch)\/v1:/.test(r.type) && r.name.includes("use1"))!;
            return { resources: remove(rs, (r) => r.type === T.networkPolicy && use1AppNamed("default-deny")(r)), expectOn: first.name };
        },
    },
    {
        name: "us-east-1 default deny narrowed to ingress", policy: "namespace-default-deny-network-policy",
        mutate: (rs) => {
            edit(findResource(rs, T.networkPolicy, use1AppNamed("default-deny")), (p) => { p.spec.policyTypes = ["Ingress"]; });
            const first = rs.find((r) => /^kubernetes:(apps|batch)\/v1:/.test(r.type) && r.name.includes("use1"))!;
            return { resources: rs, expectOn: first.name };
        },
    },
    {
        name: "us-east-1 default deny that allows all egress", policy: "namespace-default-deny-network-policy",
        mutate: (rs) => {
            edit(findResource(rs, T.networkPolicy, use1AppNamed("default-deny")), (p) => { p.spec.egress = [{}]; });
            const first = rs.find((r) => /^kubernetes:(apps|batch)\/v1:/.test(r.type) && r.name.includes("use1"))!;
            return { resources: rs, expectOn: first.name };
        },
    },
    {
        name: "uploads bucket on SSE-S3 instead of its KMS key", policy: "s3-uploads-encrypted-versioned",
        mutate: (rs) => {
            const bucket = findResource(rs, T.bucket, (r) => r.name.endsWith("-uploads"));
            edit(findResource(rs, T.sse, (r) => r.dependencies.includes(bucket.urn)), (p) => { p.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]; });
            return { resources: rs, expectOn: bucket.name };
        },
    },
    {
        name: "uploads bucket versioning suspended", policy: "s3-uploads-encrypted-versioned",
        mutate: (rs) => {
            const bucket = findResource(rs, T.bucket, (r) => r.name.endsWith("-uploads"));
            edit(findResource(rs, T.versioning, (r) => r.dependencies.includes(bucket.urn)), (p) => { p.versioningConfiguration = { status: "Suspended" }; });
            return { resources: rs, expectOn: bucket.name };
        },
    },
    {
        name: "database backups no longer copied to the secondary region", policy: "backup-cross-region-copy",
        mutate: on(T.backupPlan, () => true, (p) => { p.rules = p.rules.map((r: Props) => ({ ...r, copyActions: [] })); }),
    },
    {
        name: "database backups copied to a vault in the same region", policy: "backup-cross-region-copy",
        mutate: on(T.backupPlan, () => true, (p) => {
            p.rules = p.rules.map((r: Props) => ({ ...r, copyActions: [{ destinationVaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-use1-db-backup", lifecycle: { deleteAfter: 35 } }] }));
        }),
    },
    {
        name: "database without an AWS Backup plan", policy: "backup-cross-region-copy",
        mutate: (rs) => ({
            resources: remove(rs, (r) => r.type.startsWith("aws:backup/")),
            expectOn: findResource(rs, T.rds, isPrimaryDb).name,
        }),
    },
    // --- traffic ----------------------------------------------------------------------------------
    {
        name: "api Service back on a NodePort", policy: "web-services-cluster-ip",
        mutate: on(T.service, use1Named("api"), (p) => { p.spec.type = "NodePort"; }),
    },
    {
        name: "ws Service exposed as a LoadBalancer", policy: "web-services-cluster-ip",
        mutate: on(T.service, use1Named("ws"), (p) => { p.spec.type = "LoadBalancer"; }),
    },
    {
        // The other region still associates api's role: one association for two clusters is not enough.
        name: "api's Pod Identity association dropped in one region", policy: "aws-workload-identity",
        mutate: (rs) => ({
            resources: remove(rs, (r) => r.type === T.association && r.inputs.serviceAccount === "api" && String(r.inputs.clusterName).includes("use1")),
            expectOn: findResource(rs, T.deployment, use1Named("api")).name,
        }),
    },
    {
        name: "load balancer controller without any AWS identity", policy: "aws-workload-identity",
        mutate: (rs) => ({
            resources: remove(rs, (r) => r.type === T.association && r.inputs.serviceAccount === "aws-load-balancer-controller"),
            expectOn: findResource(rs, T.release, (r) => r.inputs.chart === "aws-load-balancer-controller" && r.name.includes("use1")).name,
        }),
    },
    {
        name: "api pods on the namespace's default ServiceAccount", policy: "aws-workload-identity",
        mutate: on(T.deployment, use1Named("api"), (p) => { delete p.spec.template.spec.serviceAccountName; }),
    },
];

/**
 * Runs one mutation on a copy of `resources`: a new array of shallow copies, whose properties `edit` copies
 * before it changes them (copy on write). `resources` itself is never written to; tests/policy-mutations.test.ts
 * runs every mutation against a deeply frozen run to prove it.
 */
export function applyMutation(m: PolicyMutation, resources: readonly RegisteredResource[]): { resources: RegisteredResource[]; expectOn: string } {
    return m.mutate(resources.map((r) => ({ ...r })));
}

/** Whether `r` is `original` as a mutation left it: the same properties, not copied by `edit`. */
function untouched(r: RegisteredResource, original: RegisteredResource | undefined): boolean {
    return original !== undefined && r.inputs === original.inputs && r.state === original.state
        && r.dependencies === original.dependencies && r.propertyDependencies === original.propertyDependencies;
}

/** One mutation inside a `MutationBatch`: the resource its policy must report. */
export interface BatchedMutation {
    readonly mutation: PolicyMutation;
    readonly expectOn: string;
}

/** Mutations applied together to one copy of the stack. */
export interface MutationBatch {
    readonly mutations: readonly BatchedMutation[];
    /** The stack with every mutation of the batch applied. */
    readonly resources: RegisteredResource[];
    /** URNs the batch edited or added (what the engine would send to Analyze). */
    readonly changed: ReadonlySet<string>;
}

/**
 * Groups mutations so that one evaluation checks several (the Analyzer-protocol test sends a whole stack per
 * evaluation, so one per mutation is most of the suite's time). Each mutation runs alone on a copy of
 * `resources`; its effect is the set of resources it edited, added or removed. A batch takes a mutation only when
 * no member expects its policy on the same resource (so each expected violation names its own mutation's target),
 * its effect shares no resource with the batch's effects or expected resources, and no member edited its expected
 * resource (so no edit overwrites or disturbs another's). The batch's stack is the unchanged stack with every
 * effect merged in. That each mutation is caught on its own is shown by the in-process test
 * (tests/policy-mutations.test.ts), which evaluates them one at a time.
 */
export function batchMutations(mutations: readonly PolicyMutation[], resources: readonly RegisteredResource[]): MutationBatch[] {
    const base = new Map(resources.map((r) => [r.urn, r]));
    const effects = mutations.map((mutation) => {
        const out = applyMutation(mutation, resources);
        const edited = new Map<string, RegisteredResource | null>();
        const kept = new Set<string>();
        for (const r of out.resources) {
            kept.add(r.urn);
            if (!untouched(r, base.get(r.urn))) {
                edited.set(r.urn, r);
            }
        }
        for (const r of resources) {
            if (!kept.has(r.urn)) {
                edited.set(r.urn, null);
            }
        }
        return { mutation, expectOn: out.expectOn, edited };
    });

    const groups: { policies: Set<string>; touched: Set<string>; expected: Set<string>; members: typeof effects }[] = [];
    // First fit, widest effects first: the mutations that touch many resources open the batches.
    for (const e of [...effects].sort((a, b) => b.edited.size - a.edited.size)) {
        const urns = [...e.edited.keys()];
        const target = resources.find((r) => r.name === e.expectOn)?.urn;
        const fits = groups.find((g) => !g.policies.has(`${e.mutation.policy} on ${e.expectOn}`)
            && urns.every((u) => !g.touched.has(u) && !g.expected.has(u))
            && (target === undefined || !g.touched.has(target)));
        const g = fits ?? { policies: new Set<string>(), touched: new Set<string>(), expected: new Set<string>(), members: [] };
        if (!fits) {
            groups.push(g);
        }
        g.policies.add(`${e.mutation.policy} on ${e.expectOn}`);
        urns.forEach((u) => g.touched.add(u));
        if (target !== undefined) {
            g.expected.add(target);
        }
        g.members.push(e);
    }

    return groups.map((g) => {
        const edits = new Map<string, RegisteredResource | null>();
        g.members.forEach((e) => e.edited.forEach((r, urn) => edits.set(urn, r)));
        const merged: RegisteredResource[] = [];
        for (const r of resources) {
            const edit = edits.get(r.urn);
            if (edit === undefined) {
                merged.push({ ...r });
            } else if (edit !== null) {
                merged.push(edit);
            }
        }
        const present = new Set(resources.map((r) => r.urn));
        edits.forEach((r, urn) => {
            if (r !== null && !present.has(urn)) {
                merged.push(r);
            }
        });
        return {
            mutations: g.members.map((e) => ({ mutation: e.mutation, expectOn: e.expectOn })),
            resources: merged,
            changed: new Set([...edits].filter(([, r]) => r !== null).map(([urn]) => urn)),
        };
    });
}
