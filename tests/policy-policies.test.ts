/**
 * Every policy of the pack against hand-built resources shaped like a mocked run's registrations: for
 * each policy a compliant set that passes and violating sets reported with their messages.
 */
import { Policy, validateResourceOfType } from "@pulumi/policy";
import type { RegisteredResource } from "../toolkit/offline";
import { PolicyPackDefinition, evaluatePolicies } from "../toolkit/policy-runner";
import {
    RESOURCE_TYPES, SCALED_OBJECT_TYPE, UNKNOWN, UNKNOWN_VALUE, UndecidableError, allPolicies, decodeUserData, globToRegExp, isUnknown,
    nodeRegistrationFromUserData, parseTaint, raw, selectorMatches, toleratesTaint, validateResourceOfTypes,
} from "../policy-pack/policies";
import { k8s } from "../policy-pack/policies/sdk";

// The policy server's proxy (`@pulumi/policy/proxy` ships no type declarations).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy: { unknownCheckingProxy<T>(v: T): T; UnknownValueError: new (...a: any[]) => Error } = require("@pulumi/policy/proxy");

/** The engine's unknown (`pulumi.runtime.unknownValue` on the wire). */
const U = UNKNOWN_VALUE;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const K8S_PROVIDER = "urn:pulumi:test::scaled-web::pulumi:providers:kubernetes::use1-k8s::use1-k8s-id";
const OTHER_K8S_PROVIDER = "urn:pulumi:test::scaled-web::pulumi:providers:kubernetes::usw2-k8s::usw2-k8s-id";

function res(type: string, name: string, inputs: Record<string, any>, extra: Partial<RegisteredResource> = {}): RegisteredResource {
    return {
        urn: `urn:pulumi:test::scaled-web::${type}::${name}`,
        type, name, inputs, state: inputs,
        custom: true, protect: false, dependencies: [], secretInputs: [],
        ...extra,
    };
}

const DENY_ALL = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
function netpol(name: string, spec: Record<string, any>, o: { namespace?: string; provider?: string } = {}): RegisteredResource {
    return res("kubernetes:networking.k8s.io/v1:NetworkPolicy", `use1-${name}`, { metadata: { name, namespace: o.namespace ?? "web" }, spec }, { provider: o.provider ?? K8S_PROVIDER });
}

const dependsOn = (...rs: RegisteredResource[]): Partial<RegisteredResource> => ({ dependencies: rs.map((r) => r.urn) });

const sized = (over: Record<string, any> = {}): Record<string, any> => ({
    name: "app",
    image: "registry/app:1.0",
    resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    ...over,
});

interface WorkloadOptions {
    replicas?: number | null;
    labels?: Record<string, string>;
    podSpec?: Record<string, any>;
    namespace?: string;
    provider?: string;
}

function podSpec(o: WorkloadOptions): Record<string, any> {
    return { containers: [sized()], ...(o.podSpec ?? {}) };
}

function deployment(name: string, o: WorkloadOptions = {}): RegisteredResource {
    const labels = o.labels ?? { "app.kubernetes.io/name": name };
    const spec: Record<string, any> = { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(o) } };
    if (o.replicas !== null) {
        spec.replicas = o.replicas ?? 3;
    }
    return res("kubernetes:apps/v1:Deployment", `use1-${name}`, { metadata: { name, namespace: o.namespace ?? "web", labels }, spec }, { provider: o.provider ?? K8S_PROVIDER });
}

/** The same pod template in each workload kind. */
function workload(kind: string, name: string, o: WorkloadOptions = {}): RegisteredResource {
    const labels = o.labels ?? { "app.kubernetes.io/name": name };
    const template = { metadata: { labels }, spec: podSpec(o) };
    const metadata = { name, namespace: o.namespace ?? "web" };
    switch (kind) {
        case "Deployment": return deployment(name, o);
        case "StatefulSet": return res("kubernetes:apps/v1:StatefulSet", name, { metadata, spec: { replicas: 3, serviceName: name, selector: { matchLabels: labels }, template } });
        case "DaemonSet": return res("kubernetes:apps/v1:DaemonSet", name, { metadata, spec: { selector: { matchLabels: labels }, template } });
        case "Job": return res("kubernetes:batch/v1:Job", name, { metadata, spec: { template } });
        case "CronJob": return res("kubernetes:batch/v1:CronJob", name, { metadata, spec: { schedule: "0 * * * *", jobTemplate: { spec: { template } } } });
        case "Pod": return res("kubernetes:core/v1:Pod", name, { metadata: { ...metadata, labels }, spec: template.spec });
        default: throw new Error(kind);
    }
}

function hpa(name: string, min: number | undefined, max: number | undefined, version = "v2", target = name): RegisteredResource {
    return res(`kubernetes:autoscaling/${version}:HorizontalPodAutoscaler`, `use1-${name}-hpa`, {
        metadata: { name, namespace: "web" },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicas: min, maxReplicas: max },
    }, { provider: K8S_PROVIDER });
}

function scaledObject(name: string, min: number | undefined, triggers: string[] = ["cpu"], target = name): RegisteredResource {
    return res("kubernetes:keda.sh/v1alpha1:ScaledObject", `use1-${name}-scaler`, {
        metadata: { name, namespace: "web" },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
            ...(min === undefined ? {} : { minReplicaCount: min }),
            maxReplicaCount: 10,
            triggers: triggers.map((type) => ({ type, metadata: {} })),
        },
    }, { provider: K8S_PROVIDER });
}

function pdb(name: string, spec: Record<string, any>, provider = K8S_PROVIDER): RegisteredResource {
    return res("kubernetes:policy/v1:PodDisruptionBudget", `pdb-${name}`, { metadata: { name, namespace: "web" }, spec }, { provider });
}

const SPOT_TYPES = ["m7i.xlarge", "m6i.xlarge", "m6a.xlarge"];

function nodeadm(flags: string[]): string {
    const text = [
        "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"B\"", "", "--B", "Content-Type: application/node.eks.aws", "",
        "apiVersion: node.eks.aws/v1alpha1", "kind: NodeConfig", "spec:", "  kubelet:", "    flags:",
        ...flags.map((f) => `      - ${f}`), "", "--B--",
    ].join("\n");
    return Buffer.from(text).toString("base64");
}

const SPOT_USER_DATA = nodeadm(["--node-labels=node-type=spot,node-pool=workers", "--register-with-taints=spot=true:NoSchedule"]);
const SPOT_CA_TAGS = [
    { key: "k8s.io/cluster-autoscaler/node-template/label/node-type", value: "spot", propagateAtLaunch: true },
    { key: "k8s.io/cluster-autoscaler/node-template/taint/spot", value: "true:NoSchedule", propagateAtLaunch: true },
];

function launchTemplate(name: string, over: Record<string, any> = {}): RegisteredResource {
    return res("aws:ec2/launchTemplate:LaunchTemplate", name, {
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 },
        ...over,
    });
}

/** A pool: launch template + ASG (mixed instances). `spot` sets 0 % on-demand above base. */
function asgPool(name: string, o: { spot: boolean; types?: string[]; minSize?: number; maxSize?: number; userData?: string; tags?: any[] }): RegisteredResource[] {
    const lt = launchTemplate(`${name}-lt`, o.userData ? { userData: o.userData } : {});
    const asg = res("aws:autoscaling/group:Group", `${name}-asg`, {
        minSize: o.minSize ?? (o.spot ? 0 : 2),
        maxSize: o.maxSize ?? 10,
        mixedInstancesPolicy: {
            instancesDistribution: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: o.spot ? 0 : 100 },
            launchTemplate: {
                launchTemplateSpecification: { launchTemplateId: `${name}-lt-id`, version: "1" },
                overrides: (o.types ?? (o.spot ? SPOT_TYPES : ["m7i.2xlarge"])).map((instanceType) => ({ instanceType })),
            },
        },
        tags: o.tags ?? (o.spot ? SPOT_CA_TAGS : []),
    }, dependsOn(lt));
    return [lt, asg];
}

/** An on-demand pool split into one ASG per zone, all launched from one launch template (NodePool perZone). */
function perZonePool(name: string, mins: readonly number[]): RegisteredResource[] {
    const [lt, first] = asgPool(name, { spot: false, minSize: mins[0] });
    const zones = mins.map((minSize, i) => (i === 0 ? first : res("aws:autoscaling/group:Group", `${name}-asg-${i}`, { ...first.inputs, minSize }, dependsOn(lt))));
    return [lt, ...zones];
}

function nodeGroup(name: string, inputs: Record<string, any>): RegisteredResource {
    return res("aws:eks/nodeGroup:NodeGroup", name, {
        clusterName: "c", nodeRoleArn: "arn", subnetIds: ["s"],
        scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 2 },
        instanceTypes: ["m7i.large"],
        ...inputs,
    });
}

const primaryDb = (over: Record<string, any> = {}): RegisteredResource => res("aws:rds/instance:Instance", "db-primary", {
    identifier: "app-db", engine: "postgres", instanceClass: "db.m7g.large", storageEncrypted: true, kmsKeyId: "arn:aws:kms:key",
    publiclyAccessible: false, multiAz: true, backupRetentionPeriod: 14, deletionProtection: true, skipFinalSnapshot: false,
    finalSnapshotIdentifier: "app-db-final", dbSubnetGroupName: "private", ...over,
});

function replicaDb(name: string, primary: RegisteredResource, over: Record<string, any> = {}): RegisteredResource {
    return res("aws:rds/instance:Instance", name, { replicateSourceDb: primary.inputs.identifier, instanceClass: "db.m7g.large", ...over }, dependsOn(primary));
}

const cacheGroup = (over: Record<string, any> = {}): RegisteredResource => res("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
    description: "cache", engine: "valkey", nodeType: "cache.m7g.large", replicasPerNodeGroup: 1, numNodeGroups: 3,
    automaticFailoverEnabled: true, multiAzEnabled: true, atRestEncryptionEnabled: true, transitEncryptionEnabled: true,
    authToken: "secret", subnetGroupName: "private", securityGroupIds: ["sg-1"], ...over,
});

function listener(name: string, inputs: Record<string, any>, type = "aws:lb/listener:Listener"): RegisteredResource {
    return res(type, name, { loadBalancerArn: "arn:lb", ...inputs });
}

const HTTPS = { port: 443, protocol: "HTTPS", certificateArn: "arn:cert", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] };
const REDIRECT = { port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] };

/** An ALB, its security group, and ingress rules on it. */
function albWithRules(ports: number[], opts: { attach?: boolean; cidr?: string; lbType?: string } = {}): RegisteredResource[] {
    const sg = res("aws:ec2/securityGroup:SecurityGroup", "edge-sg", { vpcId: "vpc-1", description: "alb" });
    const lb = res("aws:lb/loadBalancer:LoadBalancer", "edge-alb", {
        loadBalancerType: opts.lbType ?? "application", securityGroups: opts.attach === false ? [] : ["edge-sg-id"], subnets: ["a", "b"],
    }, opts.attach === false ? {} : dependsOn(sg));
    const rules = ports.map((port) => res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `edge-in-${port}`, {
        securityGroupId: "edge-sg-id", ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: opts.cidr ?? "0.0.0.0/0",
    }, dependsOn(sg)));
    return [sg, lb, ...rules];
}

function bucket(name: string): RegisteredResource {
    return res("aws:s3/bucket:Bucket", name, { bucket: `${name}-bucket` });
}

function publicAccessBlock(b: RegisteredResource, over: Record<string, any> = {}): RegisteredResource {
    return res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${b.name}-pab`, {
        bucket: `${b.name}-id`, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...over,
    }, dependsOn(b));
}

function record(name: string, inputs: Record<string, any>): RegisteredResource {
    return res("aws:route53/record:Record", name, { zoneId: "Z1", name: "api.example.com", type: "A", ...inputs });
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

function service(name: string, type: string | undefined, labels: Record<string, string> = { "app.kubernetes.io/name": name }): RegisteredResource {
    return res("kubernetes:core/v1:Service", `use1-${name}-svc`, {
        metadata: { name, namespace: "web", labels },
        spec: { ...(type === undefined ? {} : { type }), selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    }, { provider: K8S_PROVIDER });
}

const APP_LABELS = { "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "scaled-web" };
/** An application Deployment running as `account` in `provider`'s cluster. */
function appDeployment(name: string, account: string | undefined, provider = K8S_PROVIDER): RegisteredResource {
    const d = deployment(name, { labels: { ...APP_LABELS, "app.kubernetes.io/name": name }, provider, podSpec: account === undefined ? {} : { serviceAccountName: account } });
    return { ...d, name: `${provider === K8S_PROVIDER ? "use1" : "usw2"}-${name}`, urn: `${d.urn}-${provider === K8S_PROVIDER ? "use1" : "usw2"}` };
}
function serviceAccount(name: string, annotations?: Record<string, string>, provider = K8S_PROVIDER): RegisteredResource {
    return res("kubernetes:core/v1:ServiceAccount", `sa-${name}-${provider === K8S_PROVIDER ? "use1" : "usw2"}`, { metadata: { name, namespace: "web", ...(annotations ? { annotations } : {}) } }, { provider });
}
function association(cluster: string, namespace: string, account: string): RegisteredResource {
    return res("aws:eks/podIdentityAssociation:PodIdentityAssociation", `pia-${cluster}-${account}`, { clusterName: cluster, namespace, serviceAccount: account, roleArn: `arn:aws:iam::123456789012:role/${account}` });
}
function lbcRelease(values: Record<string, any> = { serviceAccount: { create: true, name: "aws-load-balancer-controller" } }): RegisteredResource {
    return res("kubernetes:helm.sh/v3:Release", "use1-lbc", { chart: "aws-load-balancer-controller", version: "3.5.0", namespace: "kube-system", values }, { provider: K8S_PROVIDER });
}

interface Case {
    /** What the case shows. */
    readonly title: string;
    readonly resources: RegisteredResource[];
    /** Config properties of the policy under test. */
    readonly config?: Record<string, unknown>;
    /** Expected messages (each must be reported, nothing else); empty: compliant. */
    readonly violations: RegExp[];
}

const CDN_CERT = { acmCertificateArn: "arn:aws:acm:us-east-1:1:certificate/c", sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" };
const CDN_BEHAVIOUR = { targetOriginId: "origin-primary", viewerProtocolPolicy: "redirect-to-https", allowedMethods: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"], compress: true };
const S3_ORIGIN = { originId: "origin-primary", domainName: "b.s3.us-east-1.amazonaws.com", originAccessControlId: "E2OAC" };
/** A CloudFront distribution as components/cdn.ts registers it. */
function distribution(name: string, over: Record<string, any> = {}): RegisteredResource {
    return res("aws:cloudfront/distribution:Distribution", name, {
        enabled: true, origins: [S3_ORIGIN], defaultCacheBehavior: CDN_BEHAVIOUR,
        orderedCacheBehaviors: [{ ...CDN_BEHAVIOUR, pathPattern: "/assets/*" }], viewerCertificate: CDN_CERT,
        restrictions: { geoRestriction: { restrictionType: "none" } }, ...over,
    });
}

/** An uploads bucket as components/uploads-bucket.ts registers it, with its encryption and versioning. */
function uploads(over: { sse?: Record<string, any>; versioning?: string | null; tags?: any } = {}): RegisteredResource[] {
    const b = res("aws:s3/bucket:Bucket", "uploads", { tags: over.tags ?? { "data-class": "user-uploads" } });
    const out = [b, res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "uploads", {
        bucket: "uploads-id", rules: [{ applyServerSideEncryptionByDefault: over.sse ?? { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k" }, bucketKeyEnabled: true }],
    }, dependsOn(b))];
    if (over.versioning !== null) {
        out.push(res("aws:s3/bucketVersioning:BucketVersioning", "uploads", { bucket: "uploads-id", versioningConfiguration: { status: over.versioning ?? "Enabled" } }, dependsOn(b)));
    }
    return out;
}

/** AWS providers, registered like the program's explicit regional providers. */
function awsProvider(region: string): RegisteredResource {
    return res("pulumi:providers:aws", `aws-${region}`, { region });
}
const onProvider = (p: RegisteredResource, extra: Partial<RegisteredResource> = {}): Partial<RegisteredResource> => ({ provider: `${p.urn}::${p.name}-id`, ...extra });
const EAST = awsProvider("us-east-1");
const WEST = awsProvider("us-west-2");
/** A backup plan in us-east-1 with its vaults; `copy`: the copy vault's region, or null for no copy action. */
function backupPlan(o: { copy?: string | null; destinationArn?: string; unknownArns?: boolean } = {}): RegisteredResource[] {
    const vault = res("aws:backup/vault:Vault", "db-backup", { name: "db-backup" }, onProvider(EAST));
    const out = [EAST, WEST, vault];
    const copyRegion = o.copy === undefined ? "us-west-2" : o.copy;
    const actions: any[] = [];
    const deps = [vault.urn];
    if (copyRegion !== null) {
        const copy = res("aws:backup/vault:Vault", "db-backup-copy", { name: "db-backup-copy" }, onProvider(copyRegion === "us-west-2" ? WEST : EAST));
        out.push(copy);
        deps.push(copy.urn);
        actions.push({ destinationVaultArn: o.unknownArns ? U : o.destinationArn ?? `arn:aws:backup:${copyRegion}:123456789012:backup-vault:db-backup-copy`, lifecycle: { deleteAfter: 35 } });
    }
    out.push(res("aws:backup/plan:Plan", "db-backup", {
        name: "db-backup", rules: [{ ruleName: "scheduled", targetVaultName: o.unknownArns ? U : "db-backup", schedule: "cron(0 5 ? * * *)", copyActions: actions }],
    }, onProvider(EAST, { dependencies: deps, propertyDependencies: { rules: deps } })));
    return out;
}

const CASES: Record<string, Case[]> = {
    "deployment-min-replicas": [
        { title: "3 replicas", resources: [deployment("api")], violations: [] },
        { title: "1 replica", resources: [deployment("api", { replicas: 1 })], violations: [/Deployment web\/api \(use1-api\) must run at least 2 replicas, got spec\.replicas = 1/] },
        { title: "replicas unset", resources: [deployment("api", { replicas: null })], violations: [/must set spec\.replicas >= 2; unset, Kubernetes runs 1 pod/] },
        { title: "minReplicas 3 from config", resources: [deployment("api", { replicas: 2 })], config: { minReplicas: 3 }, violations: [/at least 3 replicas, got spec\.replicas = 2/] },
        { title: "kube-system is excluded", resources: [deployment("metrics-server", { replicas: 1, namespace: "kube-system" })], violations: [] },
        {
            title: "an exempt label skips a workload", resources: [deployment("worker-analytics", { replicas: 1, labels: { queue: "analytics" } })],
            config: { exemptLabels: ["queue=analytics"] }, violations: [],
        },
    ],
    "hpa-replica-bounds": [
        { title: "2..10", resources: [hpa("api", 2, 10)], violations: [] },
        { title: "min 1", resources: [hpa("api", 1, 10)], violations: [/HorizontalPodAutoscaler web\/api \(use1-api-hpa\) must keep minReplicas >= 2, got 1/] },
        { title: "min unset (1)", resources: [hpa("api", undefined, 10)], violations: [/minReplicas >= 2, got unset \(Kubernetes default 1\)/] },
        { title: "max below min", resources: [hpa("api", 4, 3)], violations: [/must have maxReplicas >= minReplicas \(4\), got 3/] },
        { title: "autoscaling/v1 too", resources: [hpa("api", 1, 5, "v1")], violations: [/minReplicas >= 2, got 1/] },
        { title: "a CPU-scaled ScaledObject at 2", resources: [scaledObject("api", 2, ["cpu", "memory", "aws-cloudwatch"])], violations: [] },
        { title: "a CPU-scaled ScaledObject at 1", resources: [scaledObject("api", 1, ["cpu", "aws-cloudwatch"])], violations: [/ScaledObject web\/api \(use1-api-scaler\) must keep minReplicas >= 2, got 1/] },
        { title: "a CPU-scaled ScaledObject without minReplicaCount (KEDA default 0)", resources: [scaledObject("api", undefined, ["memory"])], violations: [/ScaledObject web\/api .*must keep minReplicas >= 2, got 0/] },
        { title: "a queue-only ScaledObject may scale to zero", resources: [scaledObject("worker-analytics", 0, ["redis", "redis"])], violations: [] },
    ],
    "mq-broker-private-multi-az": [
        { title: "a private RabbitMQ cluster", resources: [res("aws:mq/broker:Broker", "q-broker", { engineType: "RabbitMQ", deploymentMode: "CLUSTER_MULTI_AZ", publiclyAccessible: false })], violations: [] },
        {
            title: "a public single-instance broker", resources: [res("aws:mq/broker:Broker", "q-broker", { engineType: "RabbitMQ", deploymentMode: "SINGLE_INSTANCE", publiclyAccessible: true })],
            violations: [/Amazon MQ broker "q-broker" must set publiclyAccessible: false/, /must use one of CLUSTER_MULTI_AZ, ACTIVE_STANDBY_MULTI_AZ, got deploymentMode SINGLE_INSTANCE/],
        },
        { title: "no deploymentMode is the provider's SINGLE_INSTANCE", resources: [res("aws:mq/broker:Broker", "q-broker", { engineType: "RabbitMQ" })], violations: [/got deploymentMode SINGLE_INSTANCE/] },
        {
            title: "dev allows a single instance", resources: [res("aws:mq/broker:Broker", "q-broker", { engineType: "RabbitMQ", deploymentMode: "SINGLE_INSTANCE" })],
            config: { allowedDeploymentModes: ["CLUSTER_MULTI_AZ", "SINGLE_INSTANCE"] }, violations: [],
        },
    ],
    "one-autoscaler-per-workload": [
        { title: "an HPA and a ScaledObject on different Deployments", resources: [hpa("api", 2, 10), scaledObject("ws", 2)], violations: [] },
        {
            title: "an HPA and a ScaledObject on the same Deployment", resources: [hpa("api", 2, 10), scaledObject("api", 2)],
            violations: [/HorizontalPodAutoscaler web\/api \(use1-api-hpa\) and ScaledObject web\/api \(use1-api-scaler\) both scale Deployment web\/api; remove the HPA/],
        },
    ],
    "on-demand-node-pool-min-size": [
        { title: "on-demand ASG min 2 and spot ASG min 0", resources: [...asgPool("general", { spot: false }), ...asgPool("workers", { spot: true })], violations: [] },
        { title: "on-demand ASG min 1", resources: asgPool("general", { spot: false, minSize: 1 }), violations: [/On-demand node pool Group "general-asg" must keep minSize >= 2, got 1/] },
        { title: "per-zone ASGs of one launch template with mins 1 + 1 + 0", resources: perZonePool("general", [1, 1, 0]), violations: [] },
        {
            title: "per-zone ASGs of one launch template with mins 1 + 0 + 0", resources: perZonePool("general", [1, 0, 0]),
            violations: [/On-demand node pool Group "general-asg" \+ Group "general-asg-1" \+ Group "general-asg-2" \(one launch template, one group per zone\) must keep minSize >= 2 in total, got 1 \+ 0 \+ 0 = 1/],
        },
        { title: "two on-demand ASGs of different launch templates count apart", resources: [...asgPool("a", { spot: false, minSize: 1 }), ...asgPool("b", { spot: false, minSize: 1 })], violations: [/Group "a-asg" must keep minSize >= 2, got 1/, /Group "b-asg" must keep minSize >= 2, got 1/] },
        { title: "node group min 1", resources: [nodeGroup("ng", { scalingConfig: { minSize: 1, maxSize: 4, desiredSize: 1 } })], violations: [/NodeGroup "ng" must keep scalingConfig\.minSize >= 2, got 1/] },
        { title: "spot node group min 0", resources: [nodeGroup("ng-spot", { capacityType: "SPOT", scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 } })], violations: [] },
    ],
    "rds-read-replicas": (() => {
        const primary = primaryDb();
        return [
            { title: "primary with a replica", resources: [primary, replicaDb("db-replica-1", primary)], violations: [] },
            { title: "cross-region replica by ARN", resources: [primary, res("aws:rds/instance:Instance", "db-replica-usw2", { replicateSourceDb: "arn:aws:rds:us-east-1:1:db:app-db" }, dependsOn(primary))], violations: [] },
            { title: "primary alone", resources: [primary], violations: [/RDS primary Instance "db-primary" must have at least 1 read replica\(s\), found 0/] },
            { title: "two required", resources: [primary, replicaDb("db-replica-1", primary)], config: { minReadReplicas: 2 }, violations: [/at least 2 read replica\(s\), found 1/] },
        ];
    })(),
    "elasticache-replication": [
        { title: "1 replica per shard, failover, Multi-AZ", resources: [cacheGroup()], violations: [] },
        { title: "numCacheClusters 2 (one replica)", resources: [cacheGroup({ replicasPerNodeGroup: undefined, numNodeGroups: undefined, numCacheClusters: 2 })], violations: [] },
        {
            title: "single node, no failover", resources: [cacheGroup({ replicasPerNodeGroup: undefined, numNodeGroups: undefined, automaticFailoverEnabled: false, multiAzEnabled: false })],
            violations: [/"cache" must have replicasPerNodeGroup >= 1, got 0/, /must set automaticFailoverEnabled: true/, /must set multiAzEnabled: true/],
        },
        { title: "Multi-AZ optional by config", resources: [cacheGroup({ multiAzEnabled: false })], config: { requireMultiAz: false }, violations: [] },
    ],
    "pdb-for-replicated-deployments": [
        { title: "PDB selecting the pods", resources: [deployment("api"), pdb("api", { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "api" } } })], violations: [] },
        { title: "single replica needs none", resources: [deployment("api", { replicas: 1 })], violations: [] },
        { title: "no PDB", resources: [deployment("api")], violations: [/Deployment web\/api \(use1-api\) runs 3 replicas and must be covered by a PodDisruptionBudget/] },
        {
            title: "PDB in another cluster does not count",
            resources: [deployment("api"), pdb("api", { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "api" } } }, OTHER_K8S_PROVIDER)],
            violations: [/must be covered by a PodDisruptionBudget/],
        },
        {
            title: "PDB that blocks every eviction", resources: [deployment("api"), pdb("api", { minAvailable: "100%", selector: { matchLabels: { "app.kubernetes.io/name": "api" } } })],
            violations: [/its PodDisruptionBudget must allow at least one eviction/],
        },
        { title: "HPA floor counts", resources: [deployment("api", { replicas: null }), hpa("api", 3, 10)], violations: [/runs 3 replicas and must be covered/] },
        { title: "exempt label", resources: [deployment("worker", { labels: { component: "worker" } })], config: { exemptLabels: ["component=worker"] }, violations: [] },
    ],
    "container-resources-declared": [
        { title: "all declared", resources: [deployment("api")], violations: [] },
        {
            title: "limits missing", resources: [deployment("api", { podSpec: { containers: [sized({ resources: { requests: { cpu: "250m", memory: "128Mi" } } })] } })],
            violations: [/Deployment web\/api \(use1-api\) containers\[app\] must declare resources\.limits\.cpu, resources\.limits\.memory/],
        },
        {
            title: "init container without resources", resources: [deployment("api", { podSpec: { initContainers: [{ name: "migrate", image: "x" }] } })],
            violations: [/initContainers\[migrate\] must declare resources\.requests\.cpu, resources\.requests\.memory, resources\.limits\.cpu, resources\.limits\.memory/],
        },
    ],
    "container-limits-within-caps": [
        { title: "500m / 256Mi", resources: [deployment("api")], violations: [] },
        {
            title: "8 CPU / 16Gi", resources: [deployment("api", { podSpec: { containers: [sized({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "8", memory: "16Gi" } } })] } })],
            violations: [/resources\.limits\.cpu must be <= 4, got 8/, /resources\.limits\.memory must be <= 8Gi, got 16Gi/],
        },
        {
            title: "not a quantity", resources: [deployment("api", { podSpec: { containers: [sized({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "lots", memory: "1Gi" } } })] } })],
            violations: [/resources\.limits\.cpu must be a valid Kubernetes quantity, got "lots"/],
        },
        {
            title: "tighter caps from config", resources: [deployment("api")], config: { maxCpu: "250m", maxMemory: "128Mi" },
            violations: [/limits\.cpu must be <= 250m, got 500m/, /limits\.memory must be <= 128Mi, got 256Mi/],
        },
    ],
    "container-requests-within-limits": [
        { title: "requests below limits", resources: [deployment("api")], violations: [] },
        {
            title: "request above limit", resources: [deployment("api", { podSpec: { containers: [sized({ resources: { requests: { cpu: "1", memory: "512Mi" }, limits: { cpu: "500m", memory: "256Mi" } } })] } })],
            violations: [/resources\.requests\.cpu \(1\) must be <= resources\.limits\.cpu \(500m\)/, /resources\.requests\.memory \(512Mi\) must be <= resources\.limits\.memory \(256Mi\)/],
        },
    ],
    "node-pool-max-size": [
        { title: "max 10", resources: [...asgPool("general", { spot: false }), nodeGroup("ng", {})], violations: [] },
        { title: "ASG max 100", resources: asgPool("general", { spot: false, maxSize: 100 }), violations: [/Auto Scaling group "general-asg" must have maxSize <= 50, got 100/] },
        { title: "node group max 60", resources: [nodeGroup("ng", { scalingConfig: { minSize: 2, maxSize: 60, desiredSize: 2 } })], violations: [/EKS node group "ng" must have scalingConfig\.maxSize <= 50, got 60/] },
        { title: "cap from config", resources: asgPool("general", { spot: false, maxSize: 12 }), config: { maxSize: 10 }, violations: [/maxSize <= 10, got 12/] },
    ],
    "instance-type-allowlist": [
        { title: "current families", resources: [...asgPool("workers", { spot: true }), nodeGroup("ng", {}), primaryDb(), cacheGroup()], violations: [] },
        {
            title: "GPU and old families",
            resources: [
                ...asgPool("gpu", { spot: false, types: ["p5.48xlarge"] }), nodeGroup("ng", { instanceTypes: ["m4.large"] }),
                primaryDb({ instanceClass: "db.x2g.16xlarge" }), cacheGroup({ nodeType: "cache.r5.large" }),
                res("aws:ec2/instance:Instance", "bastion", { instanceType: "t2.micro", metadataOptions: { httpTokens: "required" } }),
            ],
            violations: [
                /Auto Scaling group "gpu-asg" instance type "p5\.48xlarge" must be in the allow-list/,
                /EKS node group "ng" instance type "m4\.large" must be in the allow-list/,
                /RDS instance "db-primary" instanceClass "db\.x2g\.16xlarge" must be in the allow-list/,
                /ElastiCache replication group "cache" nodeType "cache\.r5\.large" must be in the allow-list/,
                /EC2 instance "bastion" instanceType "t2\.micro" must be in the allow-list/,
            ],
        },
        {
            title: "patterns from config", resources: [launchTemplate("lt", { instanceType: "m7i.4xlarge" })], config: { allowedInstanceTypes: ["m7i.large", "m7i.xlarge"] },
            violations: [/Launch template "lt" instanceType "m7i\.4xlarge" must be in the allow-list \(m7i\.large, m7i\.xlarge\)/],
        },
    ],
    "spot-pool-instance-diversity": [
        { title: "spot ASG with 3 types", resources: asgPool("workers", { spot: true, userData: SPOT_USER_DATA }), violations: [] },
        { title: "on-demand ASG with 1 type", resources: asgPool("general", { spot: false }), violations: [] },
        {
            title: "spot ASG with 2 types", resources: asgPool("workers", { spot: true, types: ["m7i.xlarge", "m6i.xlarge"], userData: SPOT_USER_DATA }),
            violations: [/Spot node pool Group "workers-asg" \(mixedInstancesPolicy with onDemandPercentageAboveBaseCapacity 0\) must allow at least 3 instance types, got 2 \(m7i\.xlarge, m6i\.xlarge\)/],
        },
        {
            title: "ASG that is spot by its taint", resources: asgPool("tainted", { spot: false, userData: SPOT_USER_DATA }),
            violations: [/Spot node pool Group "tainted-asg" \(nodes register with the spot taint or label\) must allow at least 3 instance types, got 1/],
        },
        { title: "spot node group with 1 type", resources: [nodeGroup("ng-spot", { capacityType: "SPOT", instanceTypes: ["m7i.large"] })], violations: [/NodeGroup "ng-spot" \(capacityType SPOT\) must allow at least 3 instance types, got 1/] },
    ],
    "spot-pool-taint": [
        { title: "nodeadm taint + label + CA tags", resources: asgPool("workers", { spot: true, userData: SPOT_USER_DATA }), violations: [] },
        {
            title: "spot node group with taints and labels",
            resources: [nodeGroup("ng-spot", { capacityType: "SPOT", instanceTypes: SPOT_TYPES, labels: { "node-type": "spot" }, taints: [{ key: "spot", value: "true", effect: "NO_SCHEDULE" }] })],
            violations: [],
        },
        {
            title: "spot ASG without taint or label", resources: asgPool("workers", { spot: true, userData: nodeadm(["--node-labels=node-pool=workers"]) }),
            violations: [/Spot node pool Group "workers-asg" .* must register its nodes with the taint spot=true:NoSchedule/, /must label its nodes node-type=spot/],
        },
        {
            title: "scales from zero without CA tags", resources: asgPool("workers", { spot: true, userData: SPOT_USER_DATA, tags: [] }),
            violations: [/scales from zero and must carry the tags k8s\.io\/cluster-autoscaler\/node-template\/label\/node-type=spot and k8s\.io\/cluster-autoscaler\/node-template\/taint\/spot=true:NoSchedule/],
        },
        {
            title: "spot node group with a PreferNoSchedule taint",
            resources: [nodeGroup("ng-spot", { capacityType: "SPOT", instanceTypes: SPOT_TYPES, labels: { "node-type": "spot" }, taints: [{ key: "spot", value: "true", effect: "PREFER_NO_SCHEDULE" }] })],
            violations: [/must register its nodes with the taint spot=true:NoSchedule in taints/],
        },
    ],
    "spot-workloads-tolerate-taint": [
        {
            title: "selects spot and tolerates", violations: [],
            resources: [deployment("worker", { podSpec: { nodeSelector: { "node-type": "spot" }, tolerations: [{ key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }] } })],
        },
        { title: "on-demand workload", resources: [deployment("api")], violations: [] },
        {
            title: "selects spot without toleration", resources: [deployment("worker", { podSpec: { nodeSelector: { "node-type": "spot" } } })],
            violations: [/Deployment web\/worker \(use1-worker\) selects node-type=spot nodes and must tolerate the taint spot=true:NoSchedule/],
        },
        {
            title: "required affinity, wrong toleration value",
            resources: [workload("CronJob", "report", {
                podSpec: {
                    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node-type", operator: "In", values: ["spot"] }] }] } } },
                    tolerations: [{ key: "spot", value: "yes", effect: "NoSchedule" }],
                },
            })],
            violations: [/CronJob web\/report selects node-type=spot nodes and must tolerate/],
        },
    ],
    "critical-workloads-not-on-spot": [
        { title: "api on on-demand nodes", resources: [deployment("api")], violations: [] },
        {
            title: "workers on spot are fine", violations: [],
            resources: [deployment("worker-sla-checks", { podSpec: { nodeSelector: { "node-type": "spot" }, tolerations: [{ key: "spot", operator: "Exists" }] } })],
        },
        {
            title: "api selecting spot", resources: [deployment("api", { podSpec: { nodeSelector: { "node-type": "spot" } } })],
            violations: [/Deployment web\/api \(use1-api\) is a "api" workload and must not select spot nodes \(node-type=spot\)/],
        },
        {
            title: "ws labelled by component, tolerating the taint",
            resources: [deployment("realtime", { labels: { "app.kubernetes.io/component": "ws" }, podSpec: { tolerations: [{ operator: "Exists" }] } })],
            violations: [/is a "ws" workload and must not tolerate the spot taint spot=true:NoSchedule/],
        },
        {
            title: "prod-use1-api on EKS spot capacity", resources: [deployment("prod-use1-api", { podSpec: { nodeSelector: { "eks.amazonaws.com/capacityType": "SPOT" } } })],
            violations: [/must not select spot nodes \(eks\.amazonaws\.com\/capacityType=SPOT\)/],
        },
    ],
    "rds-storage-encrypted": (() => {
        const primary = primaryDb();
        return [
            { title: "encrypted primary, inheriting replica", resources: [primary, replicaDb("db-replica-1", primary)], violations: [] },
            { title: "unencrypted primary", resources: [primaryDb({ storageEncrypted: false })], violations: [/RDS instance "db-primary" must set storageEncrypted: true, got false/] },
            { title: "unset on a primary", resources: [primaryDb({ storageEncrypted: undefined })], violations: [/must set storageEncrypted: true, got unset/] },
            { title: "replica turning it off", resources: [primary, replicaDb("db-replica-1", primary, { storageEncrypted: false })], violations: [/"db-replica-1" must set storageEncrypted: true, got false/] },
            { title: "customer-managed key required", resources: [primaryDb({ kmsKeyId: undefined })], config: { requireCustomerManagedKey: true }, violations: [/must encrypt with a customer-managed KMS key \(kmsKeyId\)/] },
            {
                title: "customer-managed key required: a same-region replica takes its source's", config: { requireCustomerManagedKey: true },
                resources: [primaryDb({ kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" }), replicaDb("db-replica-1", primary)], violations: [],
            },
            {
                title: "a same-region replica naming a key (RDS: InvalidParameterCombination)",
                resources: [primary, replicaDb("db-replica-1", primary, { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" })],
                violations: [/"db-replica-1" is a same-region read replica and must not set kmsKeyId/],
            },
            {
                title: "customer-managed key required: a replica by ARN (cross-region) names its region's key", config: { requireCustomerManagedKey: true },
                resources: [primary, replicaDb("db-replica-us-west-2", primary, { replicateSourceDb: "arn:aws:rds:us-east-1:1:db:db-primary" })],
                violations: [/"db-replica-us-west-2" must encrypt with a customer-managed KMS key \(kmsKeyId\)/],
            },
            { title: "Aurora cluster", resources: [res("aws:rds/cluster:Cluster", "aurora", { engine: "aurora-postgresql" })], violations: [/RDS cluster "aurora" must set storageEncrypted: true/] },
        ];
    })(),
    "rds-not-public": [
        { title: "private", resources: [primaryDb()], violations: [] },
        { title: "public", resources: [primaryDb({ publiclyAccessible: true })], violations: [/RDS instance "db-primary" must set publiclyAccessible: false/] },
        { title: "default VPC", resources: [primaryDb({ dbSubnetGroupName: undefined })], violations: [/must set dbSubnetGroupName/] },
        { title: "Aurora instance", resources: [res("aws:rds/clusterInstance:ClusterInstance", "aurora-1", { publiclyAccessible: true })], violations: [/RDS cluster instance "aurora-1" must set publiclyAccessible: false/] },
    ],
    "rds-multi-az": (() => {
        const primary = primaryDb();
        return [
            { title: "Multi-AZ primary, single-AZ replica", resources: [primary, replicaDb("db-replica-1", primary, { multiAz: false })], violations: [] },
            { title: "single-AZ primary", resources: [primaryDb({ multiAz: false })], violations: [/RDS primary "db-primary" must set multiAz: true, got false/] },
            { title: "replicas too by config", resources: [primary, replicaDb("db-replica-1", primary)], config: { includeReplicas: true }, violations: [/RDS read replica "db-replica-1" must set multiAz: true, got unset/] },
        ];
    })(),
    "rds-backup-retention": [
        { title: "14 days", resources: [primaryDb()], violations: [] },
        { title: "3 days", resources: [primaryDb({ backupRetentionPeriod: 3 })], violations: [/RDS primary "db-primary" must set backupRetentionPeriod >= 7 days, got 3/] },
        { title: "replicas need none", resources: [replicaDb("db-replica-1", primaryDb(), { backupRetentionPeriod: 0 })], violations: [] },
        { title: "Aurora default 1 day", resources: [res("aws:rds/cluster:Cluster", "aurora", { storageEncrypted: true })], violations: [/RDS cluster "aurora" must set backupRetentionPeriod >= 7 days, got unset \(1\)/] },
    ],
    "rds-deletion-protection": [
        { title: "protected with final snapshot", resources: [primaryDb()], violations: [] },
        {
            title: "unprotected, no final snapshot", resources: [primaryDb({ deletionProtection: false, skipFinalSnapshot: true })],
            violations: [/RDS primary "db-primary" must set deletionProtection: true/, /must take a final snapshot on deletion/],
        },
        { title: "final snapshot not required by config", resources: [primaryDb({ skipFinalSnapshot: true })], config: { requireFinalSnapshot: false }, violations: [] },
    ],
    "elasticache-encrypted": [
        { title: "encrypted with AUTH", resources: [cacheGroup()], violations: [] },
        { title: "Valkey encrypts at rest by default", resources: [cacheGroup({ atRestEncryptionEnabled: undefined })], violations: [] },
        {
            title: "Redis without encryption or AUTH", resources: [cacheGroup({ engine: "redis", atRestEncryptionEnabled: undefined, transitEncryptionEnabled: false, authToken: undefined })],
            violations: [/"cache" must set atRestEncryptionEnabled: true/, /must set transitEncryptionEnabled: true/, /must require authentication \(authToken or userGroupIds\)/],
        },
    ],
    "elasticache-private": [
        { title: "subnet group + security groups", resources: [cacheGroup()], violations: [] },
        {
            title: "default VPC", resources: [cacheGroup({ subnetGroupName: undefined, securityGroupIds: undefined })],
            violations: [/"cache" must set subnetGroupName/, /must set securityGroupIds/],
        },
    ],
    "imdsv2-required": [
        { title: "httpTokens required", resources: [launchTemplate("lt")], violations: [] },
        { title: "IMDS disabled", resources: [launchTemplate("lt", { metadataOptions: { httpEndpoint: "disabled" } })], violations: [] },
        { title: "httpTokens optional", resources: [launchTemplate("lt", { metadataOptions: { httpTokens: "optional" } })], violations: [/Launch template "lt" must require IMDSv2: metadataOptions\.httpTokens must be "required", got "optional"/] },
        { title: "no metadata options", resources: [launchTemplate("lt", { metadataOptions: undefined })], violations: [/got unset \(IMDSv1 allowed\)/] },
        { title: "hop limit 3", resources: [launchTemplate("lt", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } })], violations: [/httpPutResponseHopLimit <= 2, got 3/] },
        { title: "EC2 instance", resources: [res("aws:ec2/instance:Instance", "bastion", { instanceType: "t3.micro" })], violations: [/EC2 instance "bastion" must require IMDSv2/] },
    ],
    "launch-template-ebs-encrypted": (() => {
        const root = (ebs: Record<string, any>) => ({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", ...ebs } }] });
        const byDefault = (enabled?: boolean) => res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs-default", enabled === undefined ? {} : { enabled });
        return [
            { title: "encrypted \"true\" (the provider's string)", resources: [launchTemplate("lt", root({ encrypted: "true" }))], violations: [] },
            { title: "encrypted true (boolean)", resources: [launchTemplate("lt", root({ encrypted: true }))], violations: [] },
            { title: "encrypted \"false\"", resources: [launchTemplate("lt", root({ encrypted: "false" }))], violations: [/Launch template LaunchTemplate "lt": EBS volume \/dev\/xvda must set encrypted "true", got "false"/] },
            { title: "\"false\" even with encryption by default", resources: [launchTemplate("lt", root({ encrypted: "false" })), byDefault(true)], violations: [/got "false"/] },
            { title: "unset", resources: [launchTemplate("lt", root({}))], violations: [/EBS volume \/dev\/xvda must set encrypted "true", got unset/] },
            { title: "unset, covered by encryption by default (enabled defaults to true)", resources: [launchTemplate("lt", root({})), byDefault()], violations: [] },
            { title: "unset, encryption by default turned off", resources: [launchTemplate("lt", root({})), byDefault(false)], violations: [/got unset/] },
            {
                title: "encryption by default through another provider (region) does not count",
                resources: [launchTemplate("lt", root({})), res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs-default-usw2", {}, { provider: "urn:pulumi:test::scaled-web::pulumi:providers:aws::usw2::usw2-id" })],
                violations: [/got unset/],
            },
            { title: "no EBS mapping: the AMI decides", resources: [launchTemplate("lt")], violations: [/Launch template LaunchTemplate "lt" maps no EBS volume/] },
            { title: "no EBS mapping, account encrypts by default (config)", resources: [launchTemplate("lt")], config: { accountEncryptsByDefault: true }, violations: [] },
            { title: "instance-store mapping only", resources: [launchTemplate("lt", { blockDeviceMappings: [{ deviceName: "/dev/sdb", virtualName: "ephemeral0" }] })], violations: [/maps no EBS volume/] },
        ];
    })(),
    "namespace-default-deny-network-policy": [
        { title: "namespace with a default deny", resources: [deployment("api"), netpol("default-deny", DENY_ALL)], violations: [] },
        { title: "no NetworkPolicy", resources: [deployment("api")], violations: [/Namespace "web" \(workload Deployment "use1-api"\) has no default-deny NetworkPolicy/] },
        {
            title: "a deny of ingress only", resources: [deployment("api"), netpol("deny-in", { podSelector: {}, policyTypes: ["Ingress"] })],
            violations: [/Namespace "web" .* has no default-deny NetworkPolicy/],
        },
        {
            title: "a policy that selects some pods only", resources: [deployment("api"), netpol("deny-api", { ...DENY_ALL, podSelector: { matchLabels: { app: "api" } } })],
            violations: [/has no default-deny NetworkPolicy/],
        },
        {
            title: "a \"deny\" that allows everything", resources: [deployment("api"), netpol("allow", { ...DENY_ALL, egress: [{}] })],
            violations: [/has no default-deny NetworkPolicy/],
        },
        {
            title: "the deny sits in another cluster", resources: [deployment("api"), netpol("default-deny", DENY_ALL, { provider: OTHER_K8S_PROVIDER })],
            violations: [/Namespace "web" .* has no default-deny NetworkPolicy/],
        },
        { title: "the deny sits in another namespace", resources: [deployment("api"), netpol("default-deny", DENY_ALL, { namespace: "other" })], violations: [/Namespace "web"/] },
        { title: "kube-system is not an application namespace", resources: [deployment("coredns", { namespace: "kube-system" })], violations: [] },
        { title: "one report per namespace", resources: [deployment("api"), deployment("ws")], violations: [/Namespace "web"/] },
    ],
    "s3-bucket-public-access-block": (() => {
        const logs = bucket("logs");
        return [
            { title: "bucket with a full block", resources: [logs, publicAccessBlock(logs)], violations: [] },
            { title: "bucket without block", resources: [logs], violations: [/S3 bucket Bucket "logs" must have a BucketPublicAccessBlock/] },
            { title: "block with a flag off", resources: [logs, publicAccessBlock(logs, { blockPublicPolicy: false })], violations: [/its BucketPublicAccessBlock must set blockPublicPolicy to true/] },
            {
                title: "account-level block covers every bucket",
                resources: [logs, res("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true })],
                violations: [],
            },
            { title: "legacy BucketV2 too", resources: [res("aws:s3/bucketV2:BucketV2", "old", {})], violations: [/S3 bucket BucketV2 "old" must have a BucketPublicAccessBlock/] },
        ];
    })(),
    "alb-listener-https": [
        { title: "HTTPS + redirect", resources: [listener("https", HTTPS), listener("http", REDIRECT)], violations: [] },
        { title: "NLB TCP listener is not judged", resources: [listener("tcp", { port: 5432, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] })], violations: [] },
        {
            title: "HTTP forward", resources: [listener("http", { port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] })],
            violations: [/Load balancer listener "http" \(HTTP:80\) must be HTTPS, or HTTP whose only default action redirects to HTTPS; got default actions: forward/],
        },
        {
            title: "aws:alb alias, redirect to HTTP", resources: [listener("alias", { port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP", port: "8080", statusCode: "HTTP_302" } }] }, "aws:alb/listener:Listener")],
            violations: [/listener "alias" \(HTTP:80\) must be HTTPS.*got default actions: redirect to HTTP/],
        },
        {
            title: "HTTPS with the 2016 policy and no certificate", resources: [listener("https", { ...HTTPS, certificateArn: undefined, sslPolicy: "ELBSecurityPolicy-2016-08" })],
            violations: [/must name its TLS certificate/, /must use an SSL policy matching ELBSecurityPolicy-TLS13-\* or ELBSecurityPolicy-FS-1-2-\*, got "ELBSecurityPolicy-2016-08"/],
        },
    ],
    "security-group-public-ingress": [
        { title: "ALB 80/443", resources: albWithRules([80, 443]), violations: [] },
        { title: "ALB 443 over IPv6", resources: albWithRules([443], { cidr: "::/0" }), violations: [] },
        { title: "VPC-internal SSH", resources: albWithRules([22], { cidr: "10.0.0.0/16" }), violations: [] },
        { title: "SSH from the world", resources: albWithRules([22]), violations: [/SecurityGroupIngressRule "edge-in-22" \(security group edge-sg\) must not open tcp 22-22 to 0\.0\.0\.0\/0/] },
        { title: "443 on a group no ALB uses", resources: albWithRules([443], { attach: false }), violations: [/"edge-in-443" .*opens tcp 443 to 0\.0\.0\.0\/0 but its security group is not attached to an application load balancer/] },
        { title: "443 on a network load balancer's group", resources: albWithRules([443], { lbType: "network" }), violations: [/not attached to an application load balancer/] },
        {
            title: "inline rule with all traffic",
            resources: [res("aws:ec2/securityGroup:SecurityGroup", "nodes", { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })],
            violations: [/SecurityGroup "nodes" must not open all traffic to 0\.0\.0\.0\/0/],
        },
        {
            title: "SecurityGroupRule with a port range",
            resources: (() => {
                const sg = res("aws:ec2/securityGroup:SecurityGroup", "db", {});
                return [sg, res("aws:ec2/securityGroupRule:SecurityGroupRule", "db-in", { type: "ingress", securityGroupId: "db-id", protocol: "tcp", fromPort: 5432, toPort: 5433, cidrBlocks: ["0.0.0.0/0"] }, dependsOn(sg))];
            })(),
            violations: [/SecurityGroupRule "db-in" \(security group db\) must not open tcp 5432-5433 to 0\.0\.0\.0\/0/],
        },
    ],
    "web-services-cluster-ip": [
        { title: "api and ws ClusterIP (explicit and by default)", resources: [service("api", "ClusterIP"), service("ws", undefined)], violations: [] },
        { title: "another service may use a NodePort", resources: [service("metrics", "NodePort")], violations: [] },
        {
            title: "api on a NodePort, ws as a LoadBalancer", resources: [service("api", "NodePort"), service("ws", "LoadBalancer")],
            violations: [/Service web\/api \(use1-api-svc\) serves "api" and must be ClusterIP, got NodePort/, /Service web\/ws \(use1-ws-svc\) serves "ws" and must be ClusterIP, got LoadBalancer/],
        },
        {
            title: "named by its label only", resources: [service("public-gateway", "NodePort", { "app.kubernetes.io/name": "ws" })],
            violations: [/serves "ws" and must be ClusterIP, got NodePort/],
        },
    ],
    "aws-workload-identity": [
        {
            title: "app and add-on associated in their cluster", violations: [],
            resources: [appDeployment("api", "api"), serviceAccount("api"), association("use1", "web", "api"), lbcRelease(), association("use1", "kube-system", "aws-load-balancer-controller")],
        },
        { title: "IRSA annotation instead of an association", violations: [], resources: [appDeployment("api", "api"), serviceAccount("api", { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/api" })] },
        {
            title: "add-on with an IRSA annotation in its values", violations: [],
            resources: [lbcRelease({ serviceAccount: { name: "aws-load-balancer-controller", annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/lbc" } } })],
        },
        { title: "a Deployment that is not the app's needs nothing", violations: [], resources: [deployment("nginx")] },
        {
            title: "app pods on the default service account", resources: [appDeployment("api", undefined)],
            violations: [/Deployment web\/api \(use1-api\) must run as an explicit ServiceAccount .*got none/],
        },
        {
            title: "add-on without identity", resources: [lbcRelease()],
            violations: [/Helm release Release "use1-lbc" \(aws-load-balancer-controller\) runs as kube-system\/aws-load-balancer-controller in 1 cluster\(s\), but no EKS Pod Identity association/],
        },
        {
            title: "two clusters, one association", resources: [appDeployment("ws", "ws"), appDeployment("ws", "ws", OTHER_K8S_PROVIDER), association("use1", "web", "ws")],
            violations: [/use1-ws\) runs as web\/ws in 2 cluster\(s\), but only 1 EKS Pod Identity association/, /usw2-ws\) runs as web\/ws in 2 cluster\(s\), but only 1/],
        },
    ],
    "route53-weighted-health-check": [
        { title: "weighted with health check", resources: [record("api-use1", { setIdentifier: "us-east-1", weightedRoutingPolicies: [{ weight: 70 }], healthCheckId: "hc-1" })], violations: [] },
        { title: "simple record", resources: [record("www", { records: ["1.2.3.4"], ttl: 60 })], violations: [] },
        {
            title: "weighted without health check", resources: [record("api-usw2", { setIdentifier: "us-west-2", weightedRoutingPolicies: [{ weight: 30 }] })],
            violations: [/Route53 weighted record "api-usw2" \(api\.example\.com A, set us-west-2\) must set healthCheckId/],
        },
        {
            title: "failover by config", resources: [record("api-primary", { setIdentifier: "p", failoverRoutingPolicies: [{ type: "PRIMARY" }] })], config: { routingPolicies: ["weighted", "failover"] },
            violations: [/Route53 failover record "api-primary"/],
        },
        {
            title: "exempt record names", resources: [record("reader-1", { name: "reader.db.internal", type: "CNAME", setIdentifier: "r1", weightedRoutingPolicies: [{ weight: 1 }] })],
            config: { exemptRecordNames: ["*.internal"] }, violations: [],
        },
    ],
    // --- storage (issue 18) -----------------------------------------------------------------------
    "cloudfront-viewer-https": [
        { title: "redirect-to-https everywhere, TLSv1.2_2021", resources: [distribution("cdn")], violations: [] },
        { title: "TLSv1.3_2025 and https-only", resources: [distribution("cdn", { viewerCertificate: { ...CDN_CERT, minimumProtocolVersion: "TLSv1.3_2025" }, defaultCacheBehavior: { ...CDN_BEHAVIOUR, viewerProtocolPolicy: "https-only" } })], violations: [] },
        { title: "TLSv1.2_2019 (CBC ciphers)", resources: [distribution("cdn", { viewerCertificate: { ...CDN_CERT, minimumProtocolVersion: "TLSv1.2_2019" } })], violations: [/minimumProtocolVersion to TLSv1\.2_2021 or .* got "TLSv1\.2_2019"/] },
        { title: "security policy unset (TLSv1)", resources: [distribution("cdn", { viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:1:certificate/c", sslSupportMethod: "sni-only" } })], violations: [/got unset \(TLSv1\)/] },
        { title: "default certificate", resources: [distribution("cdn", { viewerCertificate: { cloudfrontDefaultCertificate: true } })], violations: [/default certificate, which forces the TLSv1/] },
        {
            title: "an ordered behaviour that allows HTTP", resources: [distribution("cdn", { orderedCacheBehaviors: [{ ...CDN_BEHAVIOUR, pathPattern: "/assets/*", viewerProtocolPolicy: "allow-all" }] })],
            violations: [/orderedCacheBehaviors\[0\] \(\/assets\/\*\) must set viewerProtocolPolicy .* got "allow-all"/],
        },
        { title: "a stricter allow-list", config: { allowedMinimumProtocolVersions: ["TLSv1.3_2025"] }, resources: [distribution("cdn")], violations: [/got "TLSv1\.2_2021"/] },
    ],
    "cloudfront-s3-origin-private": [
        { title: "S3 origins through OAC, an ALB origin", resources: [distribution("cdn", { origins: [S3_ORIGIN, { originId: "alb", domainName: "alb.example.com", customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] } }] })], violations: [] },
        { title: "S3 origin without OAC", resources: [distribution("cdn", { origins: [{ originId: "origin-primary", domainName: "b.s3.us-east-1.amazonaws.com" }] })], violations: [/S3 origin origin-primary must use Origin Access Control .* needs a public bucket/] },
        { title: "S3 origin with a legacy OAI", resources: [distribution("cdn", { origins: [{ originId: "o", domainName: "b.s3.amazonaws.com", s3OriginConfig: { originAccessIdentity: "origin-access-identity/cloudfront/E1" } }] })], violations: [/origin access identities \(OAI\) are legacy/] },
    ],
    "s3-uploads-encrypted-versioned": [
        { title: "SSE-KMS with a key, versioned", resources: uploads(), violations: [] },
        { title: "an untagged bucket is not judged", resources: uploads({ tags: {}, sse: { sseAlgorithm: "AES256" }, versioning: null }), violations: [] },
        { title: "SSE-S3", resources: uploads({ sse: { sseAlgorithm: "AES256" } }), violations: [/must be encrypted by default with a customer KMS key .* got AES256 without a key/] },
        { title: "aws:kms without a key (the AWS-managed key)", resources: uploads({ sse: { sseAlgorithm: "aws:kms" } }), violations: [/got aws:kms without a key/] },
        { title: "versioning suspended", resources: uploads({ versioning: "Suspended" }), violations: [/must be versioned .* got "Suspended"/] },
        { title: "no versioning", resources: uploads({ versioning: null }), violations: [/must be versioned .* got no versioning resource/] },
        { title: "another tag", config: { tag: "purpose=uploads" }, resources: uploads({ tags: { purpose: "uploads" }, versioning: null }), violations: [/must be versioned/] },
    ],
    "backup-cross-region-copy": [
        { title: "copy to us-west-2", resources: backupPlan(), violations: [] },
        { title: "no RDS primary, no plan", resources: [EAST], violations: [] },
        { title: "no copy action", resources: backupPlan({ copy: null }), violations: [/rule scheduled must copy .* another region than us-east-1; got no copy action/] },
        { title: "copy in the same region", resources: backupPlan({ copy: "us-east-1" }), violations: [/got copies to us-east-1/] },
        {
            title: "RDS primary without any plan", resources: [res("aws:rds/instance:Instance", "db-primary", { instanceClass: "db.m7g.large" }), res("aws:rds/instance:Instance", "db-replica", { replicateSourceDb: "arn:db" })],
            violations: [/RDS primary Instance "db-primary" has no AWS Backup plan/],
        },
        {
            title: "plans not required", config: { requirePlanForDatabases: false },
            resources: [res("aws:rds/instance:Instance", "db-primary", { instanceClass: "db.m7g.large" })], violations: [],
        },
    ],
};

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

function policyNamed(name: string): Policy {
    const p = allPolicies.find((x) => x.name === name);
    if (!p) {
        throw new Error(`no policy ${name}`);
    }
    return p;
}

/** Evaluates one policy alone (mandatory) on `resources`. */
function evaluateOne(name: string, resources: RegisteredResource[], config?: Record<string, unknown>) {
    const pack: PolicyPackDefinition = { name: "under-test", enforcementLevel: "mandatory", policies: [policyNamed(name)] };
    return evaluatePolicies(resources, { pack, config: config ? { [name]: config } : {} });
}

describe("the pack", () => {
    it("has a case table for every policy, with a compliant and a violating case each", () => {
        expect(Object.keys(CASES).sort()).toEqual(allPolicies.map((p) => p.name).sort());
        for (const [name, cases] of Object.entries(CASES)) {
            expect({ name, compliant: cases.some((c) => c.violations.length === 0) }).toEqual({ name, compliant: true });
            expect({ name, violating: cases.some((c) => c.violations.length > 0) }).toEqual({ name, violating: true });
        }
    });

    it.each(allPolicies.map((p) => [p.name, p] as const))("%s: kebab-case name, description, level, config schema with defaults", (name, p) => {
        expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(p.description.length).toBeGreaterThan(60);
        expect(p.enforcementLevel).toBe("mandatory");
        expect(p.configSchema).toBeDefined();
        for (const [prop, schema] of Object.entries(p.configSchema!.properties)) {
            expect({ prop, hasDefault: typeof schema === "object" && schema.default !== undefined }).toEqual({ prop, hasDefault: true });
        }
    });

    it("has unique policy names", () => {
        const names = allPolicies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
    });
});

describe.each(Object.entries(CASES))("%s", (name, cases) => {
    it.each(cases.map((c) => [c.title, c] as const))("%s", (_title, c) => {
        const report = evaluateOne(name, c.resources, c.config);
        const messages = report.violations.map((v) => v.message);
        for (const expected of c.violations) {
            expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
        }
        expect(messages).toHaveLength(c.violations.length);
        for (const v of report.violations) {
            expect(v.policyName).toBe(name);
            expect(v.enforcementLevel).toBe("mandatory");
            expect(v.resourceUrn).toMatch(/^urn:pulumi:/);
            expect(c.resources.map((r) => r.name)).toContain(v.resourceName);
        }
    });
});

// ---------------------------------------------------------------------------------------------
// Preview: props behind @pulumi/policy's unknown-checking proxy, as the policy server passes them
// ---------------------------------------------------------------------------------------------

interface PreviewReport {
    readonly messages: string[];
    /** Validations that threw UnknownValueError: the server's "can't run policy ... during preview". */
    readonly undecidable: string[];
}

/**
 * One policy evaluated in preview mode by the in-process runner, which wraps every resource's props
 * (resource and stack validations) in `@pulumi/policy`'s `unknownCheckingProxy` as its server.js does,
 * and records a validation that throws `UnknownValueError` as undecidable. Fixtures share one object
 * for inputs and state, so stack policies (which see outputs in preview mode) see the same values.
 */
function evaluatePreviewOne(name: string, resources: RegisteredResource[], config?: Record<string, unknown>): PreviewReport {
    const pack: PolicyPackDefinition = { name: "under-test", enforcementLevel: "mandatory", policies: [policyNamed(name)] };
    const report = evaluatePolicies(resources, { pack, config: config ? { [name]: config } : {}, preview: true });
    return {
        messages: report.violations.map((v) => v.message),
        undecidable: report.undecidable.map((u) => `${u.resourceUrn ? u.resourceUrn.split("::").pop() : "stack"}: ${u.message}`),
    };
}

describe("every case, with props behind the preview proxy and nothing unknown", () => {
    const all = Object.entries(CASES).flatMap(([name, cases]) => cases.map((c) => [`${name}: ${c.title}`, name, c] as const));
    it.each(all)("%s", (_t, name, c) => {
        const plain = evaluateOne(name, c.resources, c.config).violations.map((v) => v.message);
        const preview = evaluatePreviewOne(name, c.resources, c.config);
        expect(preview.undecidable).toEqual([]);
        expect(preview.messages.sort()).toEqual(plain.sort());
    });
});

/** A case of a first preview: ids, ARNs, tokens and user data unknown. */
interface PreviewCase {
    readonly title: string;
    readonly policy: string;
    readonly resources: RegisteredResource[];
    readonly config?: Record<string, unknown>;
    readonly violations: RegExp[];
    /** Validations that must say they cannot decide. */
    readonly undecidable?: number;
}

/** A spot or on-demand pool as a first preview sees it: template id and user data unknown, joined by dependency. */
function previewPool(name: string, o: { spot: boolean; types?: string[]; minSize?: number; tags?: any[] }): RegisteredResource[] {
    const [lt, asg] = asgPool(name, { ...o, userData: U });
    asg.inputs.mixedInstancesPolicy.launchTemplate.launchTemplateSpecification = { launchTemplateId: U, version: U };
    return [lt, asg];
}

const PREVIEW_CASES: PreviewCase[] = [
    { title: "certificate ARN unknown, modern TLS policy", policy: "alb-listener-https", resources: [listener("https", { ...HTTPS, certificateArn: U, loadBalancerArn: U })], violations: [] },
    {
        title: "certificate ARN unknown, old TLS policy (read before the certificate)", policy: "alb-listener-https",
        resources: [listener("https", { ...HTTPS, certificateArn: U, sslPolicy: "ELBSecurityPolicy-2016-08" })], violations: [/must use an SSL policy .* got "ELBSecurityPolicy-2016-08"/],
    },
    { title: "HTTP redirect with an unknown load balancer ARN", policy: "alb-listener-https", resources: [listener("http", { ...REDIRECT, loadBalancerArn: U })], violations: [] },
    { title: "SSL policy unknown", policy: "alb-listener-https", resources: [listener("https", { ...HTTPS, sslPolicy: U })], violations: [], undecidable: 1 },
    { title: "KMS key being created", policy: "rds-storage-encrypted", resources: [primaryDb({ kmsKeyId: U })], config: { requireCustomerManagedKey: true }, violations: [] },
    { title: "unencrypted, KMS key unknown", policy: "rds-storage-encrypted", resources: [primaryDb({ kmsKeyId: U, storageEncrypted: false })], violations: [/must set storageEncrypted: true, got false/] },
    { title: "replica of an unknown ARN inherits encryption", policy: "rds-storage-encrypted", resources: [res("aws:rds/instance:Instance", "replica", { replicateSourceDb: U, kmsKeyId: U })], violations: [] },
    { title: "replica of an unknown ARN is no primary", policy: "rds-multi-az", resources: [res("aws:rds/instance:Instance", "replica", { replicateSourceDb: U })], violations: [] },
    { title: "subnet group being created", policy: "rds-not-public", resources: [primaryDb({ dbSubnetGroupName: U })], violations: [] },
    { title: "backups and deletion protection with unknown refs", policy: "rds-deletion-protection", resources: [primaryDb({ kmsKeyId: U, dbSubnetGroupName: U })], violations: [] },
    { title: "AUTH token generated in the same update", policy: "elasticache-encrypted", resources: [cacheGroup({ authToken: U })], violations: [] },
    {
        title: "transit encryption off, AUTH token unknown (read after the decisive fields)", policy: "elasticache-encrypted",
        resources: [cacheGroup({ authToken: U, transitEncryptionEnabled: false })], violations: [/must set transitEncryptionEnabled: true/],
    },
    { title: "unknown subnet group and security group ids", policy: "elasticache-private", resources: [cacheGroup({ subnetGroupName: U, securityGroupIds: [U] })], violations: [] },
    { title: "health check being created", policy: "route53-weighted-health-check", resources: [record("api-use1", { zoneId: U, setIdentifier: "a", weightedRoutingPolicies: [{ weight: 1 }], healthCheckId: U })], violations: [] },
    {
        title: "ALB 443 on groups with unknown ids", policy: "security-group-public-ingress",
        resources: (() => {
            const rs = albWithRules([80, 443]);
            rs.forEach((r) => {
                if (r.inputs.securityGroupId) {
                    r.inputs.securityGroupId = U;
                }
                if (r.inputs.securityGroups) {
                    r.inputs.securityGroups = [U];
                }
            });
            return rs;
        })(),
        violations: [],
    },
    {
        title: "world-open SSH on a group with an unknown id", policy: "security-group-public-ingress",
        resources: (() => {
            const rs = albWithRules([22]);
            rs.forEach((r) => {
                if (r.inputs.securityGroupId) {
                    r.inputs.securityGroupId = U;
                }
            });
            return rs;
        })(),
        violations: [/"edge-in-22" \(security group edge-sg\) must not open tcp 22-22 to 0\.0\.0\.0\/0/],
    },
    {
        title: "443 on an unknown group that nothing links", policy: "security-group-public-ingress",
        resources: [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "orphan-443", { securityGroupId: U, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })],
        violations: [], undecidable: 1,
    },
    { title: "CIDR computed from a VPC is never the world", policy: "security-group-public-ingress", resources: albWithRules([22], { cidr: U }), violations: [] },
    {
        title: "inline rules computed as a whole", policy: "security-group-public-ingress",
        resources: [res("aws:ec2/securityGroup:SecurityGroup", "nodes", { vpcId: U, ingress: U })], violations: [], undecidable: 1,
    },
    {
        title: "block on a bucket whose id is unknown, joined by dependency", policy: "s3-bucket-public-access-block",
        resources: (() => {
            const b = bucket("logs");
            return [b, publicAccessBlock(b, { bucket: U })];
        })(),
        violations: [],
    },
    {
        title: "block joined by parent when no dependency is sent", policy: "s3-bucket-public-access-block",
        resources: (() => {
            const parent = "urn:pulumi:test::scaled-web::scaled-web:edge:Logs::logs";
            const b = res("aws:s3/bucket:Bucket", "logs", {}, { parent });
            return [b, res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-pab", {
                bucket: U, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
            }, { parent })];
        })(),
        violations: [],
    },
    { title: "bucket without a block", policy: "s3-bucket-public-access-block", resources: [bucket("logs")], violations: [/must have a BucketPublicAccessBlock/] },
    {
        // A component with several buckets (the CDN's origin and logs): a sibling's block, joined to its own bucket by
        // dependency, is not lent to the bucket that lost its block through the shared-parent fallback.
        title: "sibling buckets, one block, ids unknown", policy: "s3-bucket-public-access-block",
        resources: (() => {
            const parent = "urn:pulumi:test::scaled-web::scaled-web:edge:Cdn::static";
            const origin = res("aws:s3/bucket:Bucket", "static-origin", {}, { parent });
            const logs = res("aws:s3/bucket:Bucket", "static-logs", {}, { parent });
            return [origin, logs, res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "static-logs", {
                bucket: U, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
            }, { parent, dependencies: [logs.urn], propertyDependencies: { bucket: [logs.urn] } })];
        })(),
        violations: [/BucketV?2? "static-origin" must have a BucketPublicAccessBlock/],
    },
    {
        title: "block flag unknown", policy: "s3-bucket-public-access-block",
        resources: (() => {
            const b = bucket("logs");
            return [b, publicAccessBlock(b, { bucket: U, blockPublicPolicy: U })];
        })(),
        violations: [], undecidable: 1,
    },
    {
        title: "replica by unknown ARN, joined by dependency", policy: "rds-read-replicas",
        resources: (() => {
            const primary = primaryDb();
            return [primary, res("aws:rds/instance:Instance", "db-replica-usw2", { replicateSourceDb: U }, dependsOn(primary))];
        })(),
        violations: [],
    },
    {
        title: "replica of an unknown source that no dependency names", policy: "rds-read-replicas",
        resources: [primaryDb(), res("aws:rds/instance:Instance", "db-replica-usw2", { replicateSourceDb: U })], violations: [], undecidable: 1,
    },
    { title: "primary alone", policy: "rds-read-replicas", resources: [primaryDb({ kmsKeyId: U })], violations: [/must have at least 1 read replica\(s\), found 0/] },
    { title: "spot pool with 3 types, template and user data unknown", policy: "spot-pool-instance-diversity", resources: previewPool("workers", { spot: true }), violations: [] },
    {
        title: "one-type spot pool, template and user data unknown", policy: "spot-pool-instance-diversity", resources: previewPool("workers", { spot: true, types: ["m7i.xlarge"] }),
        violations: [/Spot node pool Group "workers-asg" \(mixedInstancesPolicy with onDemandPercentageAboveBaseCapacity 0\) must allow at least 3 instance types, got 1/],
    },
    { title: "one-type on-demand pool (node-template tags stand in for the user data)", policy: "spot-pool-instance-diversity", resources: previewPool("general", { spot: false }), violations: [] },
    { title: "spot pool declares its taint and label in node-template tags", policy: "spot-pool-taint", resources: previewPool("workers", { spot: true }), violations: [] },
    {
        title: "spot pool scaling from zero without node-template tags", policy: "spot-pool-taint", resources: previewPool("workers", { spot: true, tags: [] }),
        violations: [/scales from zero and must carry the tags/], undecidable: 1,
    },
    { title: "spot pool from 2 without tags: the user data decides, and it is unknown", policy: "spot-pool-taint", resources: previewPool("workers", { spot: true, tags: [], minSize: 2 }), violations: [], undecidable: 1 },
    { title: "on-demand and spot pools at their floors", policy: "on-demand-node-pool-min-size", resources: [...previewPool("general", { spot: false }), ...previewPool("workers", { spot: true })], violations: [] },
    { title: "on-demand pool at 1", policy: "on-demand-node-pool-min-size", resources: previewPool("general", { spot: false, minSize: 1 }), violations: [/On-demand node pool Group "general-asg" must keep minSize >= 2, got 1/] },
    { title: "replicas unknown", policy: "deployment-min-replicas", resources: [(() => { const d = deployment("api"); d.inputs.spec.replicas = U; return d; })()], violations: [], undecidable: 1 },
    { title: "namespace unknown, replicas fine", policy: "deployment-min-replicas", resources: [(() => { const d = deployment("api"); d.inputs.metadata.namespace = U; return d; })()], violations: [] },
    {
        title: "object name unknown: the Pulumi resource name still names an api workload", policy: "critical-workloads-not-on-spot",
        resources: [(() => { const d = deployment("api", { podSpec: { nodeSelector: { "node-type": "spot" } } }); d.inputs.metadata.name = U; return d; })()],
        violations: [/use1-api.* is a "api" workload and must not select spot nodes/],
    },
    {
        title: "image from a repository being created", policy: "container-resources-declared",
        resources: [deployment("api", { podSpec: { containers: [sized({ image: U })] } })], violations: [],
    },
    {
        title: "PDB in a namespace named by an unknown output", policy: "pdb-for-replicated-deployments",
        resources: [deployment("api"), pdb("api", { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "api" } } })].map((r) => {
            r.inputs.metadata.namespace = U;
            return r;
        }),
        violations: [], undecidable: 1,
    },
    {
        title: "volume encryption unknown", policy: "launch-template-ebs-encrypted",
        resources: [launchTemplate("lt", { userData: U, imageId: U, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: U } }] })], violations: [], undecidable: 1,
    },
    {
        title: "encrypted volume, key and AMI unknown", policy: "launch-template-ebs-encrypted",
        resources: [launchTemplate("lt", { userData: U, imageId: U, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: U } }] })], violations: [],
    },
    {
        title: "unencrypted volume, key and AMI unknown", policy: "launch-template-ebs-encrypted",
        resources: [launchTemplate("lt", { userData: U, imageId: U, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false", kmsKeyId: U } }] })],
        violations: [/EBS volume \/dev\/xvda must set encrypted "true", got "false"/],
    },
    { title: "IMDSv2 with unknown user data", policy: "imdsv2-required", resources: [launchTemplate("lt", { userData: U, imageId: U, vpcSecurityGroupIds: [U] })], violations: [] },
    {
        title: "default deny in a namespace named by an unknown output", policy: "namespace-default-deny-network-policy",
        resources: [deployment("api"), netpol("default-deny", DENY_ALL)].map((r) => { r.inputs.metadata.namespace = U; return r; }), violations: [], undecidable: 1,
    },
    {
        title: "workload namespace known, the deny's spec unknown", policy: "namespace-default-deny-network-policy",
        resources: [deployment("api"), netpol("default-deny", U as any)], violations: [], undecidable: 1,
    },
    {
        title: "workload namespace known, no policy at all", policy: "namespace-default-deny-network-policy",
        resources: [deployment("api")], violations: [/has no default-deny NetworkPolicy/],
    },
    { title: "instance type from an unknown parameter", policy: "instance-type-allowlist", resources: [launchTemplate("lt", { instanceType: U })], violations: [], undecidable: 1 },
    {
        title: "certificate, OAC and bucket domain unknown (first preview)", policy: "cloudfront-viewer-https",
        resources: [distribution("cdn", { viewerCertificate: { ...CDN_CERT, acmCertificateArn: U }, webAclId: U })], violations: [],
    },
    {
        title: "unknown OAC id and bucket domain count as present", policy: "cloudfront-s3-origin-private",
        resources: [distribution("cdn", { origins: [{ originId: "origin-primary", domainName: U, originAccessControlId: U }] })], violations: [],
    },
    {
        title: "no OAC on an origin whose domain is unknown", policy: "cloudfront-s3-origin-private",
        resources: [distribution("cdn", { origins: [{ originId: "origin-primary", domainName: U }] })], violations: [/must use Origin Access Control/],
    },
    {
        title: "bucket ids and key ARN unknown, joined by dependency", policy: "s3-uploads-encrypted-versioned",
        resources: (() => {
            const rs = uploads({ sse: { sseAlgorithm: "aws:kms", kmsMasterKeyId: U } });
            rs.slice(1).forEach((r) => { r.inputs.bucket = U; });
            return rs;
        })(),
        violations: [],
    },
    {
        title: "unknown ids, SSE-S3", policy: "s3-uploads-encrypted-versioned",
        resources: (() => {
            const rs = uploads({ sse: { sseAlgorithm: "AES256" } });
            rs.slice(1).forEach((r) => { r.inputs.bucket = U; });
            return rs;
        })(),
        violations: [/customer KMS key/],
    },
    { title: "vault ARNs unknown, copy vault in us-west-2 (joined by dependency)", policy: "backup-cross-region-copy", resources: backupPlan({ unknownArns: true }), violations: [] },
    { title: "vault ARNs unknown, no copy action", policy: "backup-cross-region-copy", resources: backupPlan({ copy: null, unknownArns: true }), violations: [/got no copy action/] },
    { title: "security policy computed", policy: "cloudfront-viewer-https", resources: [distribution("cdn", { viewerCertificate: { ...CDN_CERT, minimumProtocolVersion: U } })], violations: [], undecidable: 1 },
    { title: "api Service of unknown type", policy: "web-services-cluster-ip", resources: [service("api", U)], violations: [], undecidable: 1 },
    {
        title: "NodePort Service whose name is unknown", policy: "web-services-cluster-ip",
        resources: [(() => { const s = service("x", "NodePort", {}); s.inputs.metadata.name = U; return s; })()], violations: [], undecidable: 1,
    },
    {
        title: "association with an unknown role ARN (the role is new) still binds", policy: "aws-workload-identity",
        resources: [appDeployment("api", "api"), serviceAccount("api"), { ...association("use1", "web", "api"), inputs: { clusterName: U, namespace: "web", serviceAccount: "api", roleArn: U }, state: { clusterName: U, namespace: "web", serviceAccount: "api", roleArn: U } }],
        violations: [],
    },
    {
        title: "app pods whose service account name is unknown", policy: "aws-workload-identity",
        resources: [(() => { const d = appDeployment("api", "api"); d.inputs.spec.template.spec.serviceAccountName = U; return d; })()], violations: [], undecidable: 1,
    },
];

describe("a first preview: unknown ids, ARNs, tokens and user data", () => {
    it("covers every policy the issue names as skipped or stopped early", () => {
        const covered = new Set(PREVIEW_CASES.map((c) => c.policy));
        for (const p of [
            "on-demand-node-pool-min-size", "spot-pool-instance-diversity", "spot-pool-taint", "rds-read-replicas", "s3-bucket-public-access-block",
            "security-group-public-ingress", "alb-listener-https", "elasticache-encrypted", "rds-storage-encrypted",
        ]) {
            expect({ p, covered: covered.has(p) }).toEqual({ p, covered: true });
        }
    });

    it.each(PREVIEW_CASES.map((c) => [`${c.policy}: ${c.title}`, c] as const))("%s", (_t, c) => {
        const report = evaluatePreviewOne(c.policy, c.resources, c.config);
        for (const expected of c.violations) {
            expect(report.messages).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
        }
        expect(report.messages).toHaveLength(c.violations.length);
        expect(report.undecidable).toHaveLength(c.undecidable ?? 0);
    });

    it("an undecidable check names the field and why, as the server's UnknownValueError does", () => {
        const d = deployment("api");
        d.inputs.spec.replicas = U;
        const report = evaluatePreviewOne("deployment-min-replicas", [d]);
        expect(report.undecidable).toEqual([expect.stringMatching(/use1-api: string value at \.spec\.replicas can't be known during preview, and the replica count .* is unknown during preview/)]);
        expect(new UndecidableError("a.b", "why")).toBeInstanceOf(policyProxy.UnknownValueError);
    });

    it("the old behaviour is what the proxy punishes: reading an unknown field throws", () => {
        const props = policyProxy.unknownCheckingProxy({ kmsKeyId: U, storageEncrypted: true });
        expect(() => (props as any).kmsKeyId !== undefined).toThrow(policyProxy.UnknownValueError);
        expect(raw(props).kmsKeyId).toBe(U);
        // A host that wraps already-wrapped props (a proxy of a proxy) still yields the plain object.
        expect(raw(policyProxy.unknownCheckingProxy(props)).kmsKeyId).toBe(U);
        expect(isUnknown(raw(props).kmsKeyId)).toBe(true);
        expect(isUnknown(UNKNOWN)).toBe(true);
        expect(isUnknown("arn:aws:kms:key")).toBe(false);
    });
});

describe("container policies cover every workload kind", () => {
    const unsized = { containers: [{ name: "app", image: "x" }] };
    it.each(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"])("%s", (kind) => {
        expect(evaluateOne("container-resources-declared", [workload(kind, "thing")]).violations).toHaveLength(0);
        const report = evaluateOne("container-resources-declared", [workload(kind, "thing", { podSpec: unsized })]);
        expect(report.violations.map((v) => v.message)).toEqual([expect.stringMatching(new RegExp(`^${kind} web/thing.*containers\\[app\\] must declare resources\\.requests\\.cpu`))]);
        expect(report.violations[0].resourceType).toBe(workload(kind, "thing").type);
    });
});

describe("helpers", () => {
    it.each([
        ["m7i.*", "m7i.large", true],
        ["m7i.*", "m7i-flex.large", false],
        ["db.r?g.large", "db.r7g.large", true],
        ["t3.micro", "t3.micros", false],
    ])("glob %s matches %s: %s", (pattern, value, expected) => {
        expect(globToRegExp(pattern).test(value)).toBe(expected);
    });

    it.each([
        [[{ key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }], true],
        [[{ key: "spot", operator: "Exists" }], true],
        [[{ operator: "Exists" }], true],
        [[{ key: "spot", value: "true", effect: "NoExecute" }], false],
        [[{ key: "spot", value: "false" }], false],
        [[], false],
    ])("toleration %j tolerates spot=true:NoSchedule: %s", (tolerations, expected) => {
        expect(toleratesTaint(tolerations, parseTaint("spot=true:NoSchedule"))).toBe(expected);
    });

    it.each([
        [{ matchLabels: { app: "api" } }, { app: "api", tier: "web" }, true],
        [{ matchLabels: { app: "api" } }, { app: "ws" }, false],
        [{ matchExpressions: [{ key: "app", operator: "In", values: ["api", "ws"] }] }, { app: "ws" }, true],
        [{ matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] }, { app: "ws" }, true],
        [{}, { app: "ws" }, true],
    ])("selector %j on %j: %s", (selector, labels, expected) => {
        expect(selectorMatches(selector, labels)).toBe(expected);
    });

    it("reads taints and labels from bootstrap.sh flags, nodeadm flags and nodeadm registerWithTaints", () => {
        const bootstrap = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--node-labels=node-type=spot --register-with-taints=spot=true:NoSchedule,gpu:NoExecute'";
        expect(nodeRegistrationFromUserData(bootstrap)).toEqual({
            taints: [{ key: "spot", value: "true", effect: "NoSchedule" }, { key: "gpu", value: "", effect: "NoExecute" }],
            labels: { "node-type": "spot" },
        });
        const yaml = "spec:\n  kubelet:\n    config:\n      registerWithTaints:\n        - key: spot\n          value: \"true\"\n          effect: NoSchedule\n";
        expect(nodeRegistrationFromUserData(yaml).taints).toEqual([{ key: "spot", value: "true", effect: "NoSchedule" }]);
        const json = "{\"registerWithTaints\":[{\"effect\":\"NoSchedule\",\"key\":\"spot\",\"value\":\"true\"}]}";
        expect(nodeRegistrationFromUserData(json).taints).toEqual([{ key: "spot", value: "true", effect: "NoSchedule" }]);
        expect(nodeRegistrationFromUserData(decodeUserData(SPOT_USER_DATA)).labels).toEqual({ "node-type": "spot", "node-pool": "workers" });
        expect(decodeUserData("#!/bin/bash\necho hi")).toBe("#!/bin/bash\necho hi");
    });

    it("rejects malformed taints", () => {
        expect(() => parseTaint("spot=true")).toThrow(/"spot=true" is not a taint; write key=value:Effect/);
    });
});

describe("validateResourceOfTypes (one validation for several resource types)", () => {
    const deployment = "kubernetes:apps/v1:Deployment";
    const seen: string[] = [];
    const combined = validateResourceOfTypes([
        validateResourceOfType(k8s.apps.v1.Deployment, (_props, args) => { seen.push(`deployment ${args.name}`); }),
        [SCALED_OBJECT_TYPE, (args) => { seen.push(`scaledobject ${args.name}`); }],
    ]);
    const argsOf = (type: string, name: string): any => ({ type, name, props: {}, notApplicable: (reason?: string): never => { throw new Error(`not applicable: ${reason}`); }, isType: (cls: any) => cls.isInstance({ __pulumiType: type }) });

    it("runs the validation of the resource's type, and reports any other type not applicable once, naming the types", () => {
        void combined(argsOf(deployment, "api"), () => undefined);
        void combined(argsOf(SCALED_OBJECT_TYPE, "api-scaler"), () => undefined);
        expect(seen).toEqual(["deployment api", "scaledobject api-scaler"]);
        expect(() => combined(argsOf("aws:s3/bucket:Bucket", "b"), () => undefined))
            .toThrow(`not applicable: Policy only applies to resources of types ${deployment}, ${SCALED_OBJECT_TYPE}`);
        expect((combined as any)[RESOURCE_TYPES]).toEqual([deployment, SCALED_OBJECT_TYPE]);
    });

    it("refuses a validation without its own type", () => {
        expect(() => validateResourceOfTypes([() => undefined])).toThrow(/each validation needs its own resource type/);
        expect(() => validateResourceOfTypes([[deployment, () => undefined], validateResourceOfType(k8s.apps.v1.Deployment, () => undefined)])).toThrow(/got kubernetes:apps\/v1:Deployment/);
    });

    it("no policy of the pack validates with an array, which @pulumi/policy's server calls element by element for every resource", () => {
        expect(allPolicies.filter((p: any) => Array.isArray(p.validateResource)).map((p) => p.name)).toEqual([]);
    });
});
