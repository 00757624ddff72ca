/**
 * What the offline mock runtime answers for resources and invokes: the inputs echoed back plus the
 * computed attributes a real provider would fill in (ids, ARNs, endpoints, DNS names), all derived
 * deterministically from the resource's name and region so reports and tests are stable.
 *
 * Add a type here when a component reads a computed output of it.
 */

export interface MockContext {
    readonly region: string;
    readonly accountId: string;
    readonly id?: string;
}

type StateFn = (name: string, inputs: Record<string, any>, ctx: MockContext) => Record<string, any>;

/** `aws:rds/instance:Instance` -> `rds`, used to build ARNs. */
function serviceOf(type: string): string {
    const m = /^aws:([a-zA-Z0-9]+)\//.exec(type);
    return m ? m[1].toLowerCase() : "unknown";
}

const arnFor = (type: string, name: string, ctx: MockContext): string =>
    `arn:aws:${serviceOf(type)}:${ctx.region}:${ctx.accountId}:${type.split(":").pop()!.toLowerCase()}/${name}`;

/** Computed attributes per resource type (merged over the echoed inputs). */
export const MOCK_STATE: Record<string, StateFn> = {
    "aws:ec2/vpc:Vpc": (name) => ({ defaultSecurityGroupId: `sg-${name}-default`, mainRouteTableId: `rtb-${name}-main` }),
    "aws:ec2/securityGroup:SecurityGroup": (name) => ({ id: `sg-${name}` }),
    "aws:kms/key:Key": (name, _i, ctx) => ({ keyId: `${name}-key-id`, arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${name}` }),
    "aws:iam/role:Role": (name, _i, ctx) => ({ arn: `arn:aws:iam::${ctx.accountId}:role/${name}`, name: _i.name ?? name }),
    "aws:iam/policy:Policy": (name, _i, ctx) => ({ arn: `arn:aws:iam::${ctx.accountId}:policy/${name}` }),
    "aws:iam/instanceProfile:InstanceProfile": (name, _i, ctx) => ({ arn: `arn:aws:iam::${ctx.accountId}:instance-profile/${name}`, name: _i.name ?? name }),
    "aws:eks/cluster:Cluster": (name, inputs, ctx) => ({
        name: inputs.name ?? name,
        endpoint: `https://${name}.gr7.${ctx.region}.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from(`mock-ca-${name}`).toString("base64") },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.${ctx.region}.amazonaws.com/id/${name.toUpperCase()}` }] }],
        vpcConfig: { ...(inputs.vpcConfig ?? {}), clusterSecurityGroupId: `sg-${name}-cluster` },
        version: inputs.version ?? "1.33",
    }),
    "aws:lb/loadBalancer:LoadBalancer": (name, _i, ctx) => ({
        dnsName: `${name}-123456.${ctx.region}.elb.amazonaws.com`,
        zoneId: ctx.region === "us-west-2" ? "Z1H1FL5HABSF5" : "Z35SXDOTRQ7X7K",
        arnSuffix: `app/${name}/0123456789abcdef`,
    }),
    "aws:lb/targetGroup:TargetGroup": (name) => ({ arnSuffix: `targetgroup/${name}/0123456789abcdef` }),
    "aws:rds/instance:Instance": (name, inputs, ctx) => ({
        address: `${name}.abcdefghij.${ctx.region}.rds.amazonaws.com`,
        endpoint: `${name}.abcdefghij.${ctx.region}.rds.amazonaws.com:5432`,
        port: inputs.port ?? 5432,
        identifier: inputs.identifier ?? name,
        arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${inputs.identifier ?? name}`,
        resourceId: `db-${name.toUpperCase()}`,
        // manageMasterUserPassword: RDS reports the secret it created (DescribeDBInstances MasterUserSecret).
        masterUserSecrets: inputs.manageMasterUserPassword
            ? [{ secretArn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:rds!db-${name}-AbCdEf`, kmsKeyId: inputs.masterUserSecretKmsKeyId, secretStatus: "active" }]
            : [],
    }),
    "aws:rds/proxy:Proxy": (name, inputs, ctx) => ({
        endpoint: `${name}.proxy-abcdefghij.${ctx.region}.rds.amazonaws.com`,
        name: inputs.name ?? name,
        arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db-proxy:prx-${name.replace(/[^a-z0-9]/g, "")}`,
    }),
    // Data (issue 6): auto-named children whose `name` other resources reference.
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": () => ({ name: "default" }),
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:elasticache/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:elasticache/parameterGroup:ParameterGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:secretsmanager/secret:Secret": (name, _i, ctx) => ({ arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-AbCdEf` }),
    "aws:elasticache/replicationGroup:ReplicationGroup": (name, inputs, ctx) => ({
        configurationEndpointAddress: `clustercfg.${name}.abcdef.${ctx.region.replace(/-/g, "")}.cache.amazonaws.com`,
        primaryEndpointAddress: `master.${name}.abcdef.${ctx.region.replace(/-/g, "")}.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${name}.abcdef.${ctx.region.replace(/-/g, "")}.cache.amazonaws.com`,
        port: inputs.port ?? 6379,
    }),
    // Peering: the accepter reports the connection active once it has accepted it.
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": () => ({ acceptStatus: "active" }),
    "aws:route53/healthCheck:HealthCheck": (name) => ({ id: `hc-${name}` }),
    "aws:route53/record:Record": (_name, inputs) => ({ fqdn: String(inputs.name ?? "").replace(/\.$/, "") }),
    "aws:route53/zone:Zone": (name) => ({ zoneId: `Z${name.replace(/[^A-Za-z0-9]/g, "").toUpperCase().slice(0, 20)}` }),
    "aws:acm/certificate:Certificate": (name, inputs) => ({
        domainValidationOptions: [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map((d: string) => ({
            domainName: d,
            resourceRecordName: `_acme.${d}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: `_validate.${name}.acm-validations.aws.`,
        })),
    }),
    "aws:s3/bucketV2:BucketV2": (name, inputs) => ({ bucket: inputs.bucket ?? `${name}-bucket`, bucketRegionalDomainName: `${name}.s3.amazonaws.com` }),
    "aws:s3/bucket:Bucket": (name, inputs) => ({
        bucket: inputs.bucket ?? `${name}-bucket`, bucketRegionalDomainName: `${name}.s3.amazonaws.com`, bucketDomainName: `${name}.s3.amazonaws.com`,
    }),
    // CloudFront (issue 18): every distribution's alias target is in CloudFront's own hosted zone Z2FDTNDATAQYW2
    // (Route 53 API Reference, AliasTarget HostedZoneId).
    "aws:cloudfront/distribution:Distribution": (name) => ({ domainName: `${name}.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2" }),
    "aws:sqs/queue:Queue": (name, _i, ctx) => ({ url: `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`, arn: `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}` }),
    "aws:sns/topic:Topic": (name, _i, ctx) => ({ arn: `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name}` }),
    "aws:ecr/repository:Repository": (name, inputs, ctx) => ({
        repositoryUrl: `${ctx.accountId}.dkr.ecr.${ctx.region}.amazonaws.com/${inputs.name ?? name}`,
        registryId: ctx.accountId,
    }),
    // Compute (issue 3).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_name, inputs, ctx) => ({
        arn: `arn:aws:iam::${ctx.accountId}:oidc-provider/${String(inputs.url ?? "").replace(/^https:\/\//, "")}`,
    }),
    "aws:cloudwatch/eventRule:EventRule": (name, inputs, ctx) => ({ name: inputs.name ?? name, arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${inputs.name ?? name}` }),
    "aws:autoscaling/group:Group": (name, inputs, ctx) => ({ name: inputs.name ?? name, arn: `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:${name}` }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
    "aws:eks/nodeGroup:NodeGroup": (name) => ({ resources: [{ autoscalingGroups: [{ name: `eks-${name}-asg` }] }] }),
    // Managed Prometheus (issue 19 item 3a): workspace ARN `arn:aws:aps:<region>:<account>:workspace/<id>` and its
    // endpoint `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/` (AMP API DescribeWorkspace).
    "aws:amp/workspace:Workspace": (name, _i, ctx) => ({
        arn: `arn:aws:aps:${ctx.region}:${ctx.accountId}:workspace/ws-${name}`,
        prometheusEndpoint: `https://aps-workspaces.${ctx.region}.amazonaws.com/workspaces/ws-${name}/`,
    }),
    "aws:amp/scraper:Scraper": (name, _i, ctx) => ({
        arn: `arn:aws:aps:${ctx.region}:${ctx.accountId}:scraper/s-${name}`,
        roleArn: `arn:aws:iam::${ctx.accountId}:role/aws-service-role/scraper.aps.amazonaws.com/AWSServiceRoleForAmazonPrometheusScraper_${name}`,
    }),
    "random:index/randomPassword:RandomPassword": (name) => ({ result: `mock-password-${name}` }),
    "docker:index/image:Image": (name, inputs) => ({ repoDigest: `${inputs.imageName}@sha256:${"ab".repeat(32)}`, imageName: inputs.imageName ?? name }),
};

/** The state a mock registration returns: echoed inputs, a generic ARN, then type-specific attributes. */
export function mockResourceState(type: string, name: string, inputs: Record<string, any>, ctx: MockContext): Record<string, any> {
    const specific = MOCK_STATE[type];
    const autonames: Record<string, string> = {};
    for (const k of AUTONAMED[type] ?? []) {
        if (inputs[k] === undefined) {
            autonames[k] = name;
        }
    }
    return {
        ...inputs,
        ...autonames,
        ...(type.startsWith("aws:") ? { arn: arnFor(type, name, ctx) } : {}),
        ...(specific ? specific(name, inputs, ctx) : {}),
    };
}

/** The engine's unknown sentinel (see `UNKNOWN` in offline.ts; duplicated to keep this module standalone). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Properties the provider fills in during `Check` when the program leaves them out (Pulumi auto-naming:
 * the logical name plus a random suffix), so they are known already in a preview; the mock answers the
 * logical name (in both modes). Everything else a provider computes (ids, ARNs, endpoints, AWS-generated
 * names, versions) is only known after Create.
 *
 * Sources: pulumi-aws provider/resources.go `setAutonaming` auto-names every resource's `name` input
 * (a TF property that is Optional or Required, i.e. a `name?:` in the @pulumi/aws 7.48 `*Args`
 * interface), plus explicit `AutoName` fields: `bucket` (S3, "If omitted, the provider will assign a
 * random, unique name"), `identifier` (RDS instance, "this provider will assign a random, unique
 * identifier") and `replicationGroupId` (ElastiCache, `AutoNameTransform(..., strings.ToLower)`).
 * Listed for the types the reference program creates; a type missing here gets an unknown name.
 */
export const AUTONAMED: Record<string, readonly string[]> = {
    "aws:autoscaling/group:Group": ["name"],
    "aws:autoscaling/lifecycleHook:LifecycleHook": ["name"],
    "aws:cloudwatch/eventRule:EventRule": ["name"],
    "aws:cloudwatch/logGroup:LogGroup": ["name"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["name"],
    "aws:ec2/securityGroup:SecurityGroup": ["name"],
    "aws:ecr/repository:Repository": ["name"],
    "aws:eks/cluster:Cluster": ["name"],
    "aws:elasticache/parameterGroup:ParameterGroup": ["name"],
    "aws:elasticache/replicationGroup:ReplicationGroup": ["replicationGroupId"],
    "aws:elasticache/subnetGroup:SubnetGroup": ["name"],
    "aws:iam/instanceProfile:InstanceProfile": ["name"],
    "aws:iam/policy:Policy": ["name"],
    "aws:iam/role:Role": ["name"],
    "aws:iam/rolePolicy:RolePolicy": ["name"],
    "aws:kms/alias:Alias": ["name"],
    "aws:lb/loadBalancer:LoadBalancer": ["name"],
    "aws:lb/targetGroup:TargetGroup": ["name"],
    "aws:rds/instance:Instance": ["identifier"],
    "aws:rds/parameterGroup:ParameterGroup": ["name"],
    "aws:rds/proxy:Proxy": ["name"],
    "aws:rds/subnetGroup:SubnetGroup": ["name"],
    "aws:route53/zone:Zone": ["name"],
    "aws:s3/bucket:Bucket": ["bucket"],
    "aws:s3/bucketV2:BucketV2": ["bucket"],
    "aws:secretsmanager/secret:Secret": ["name"],
    "aws:sns/topic:Topic": ["name"],
    "aws:sqs/queue:Queue": ["name"],
    "aws:wafv2/webAcl:WebAcl": ["name"],
};

function isPlainObject(v: unknown): v is Record<string, any> {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** `planned` where the program set a value, `UNKNOWN` for everything the provider would compute. */
function overlayUnknown(input: any, computed: any): any {
    if (input === undefined) {
        return UNKNOWN;
    }
    if (isPlainObject(input) && isPlainObject(computed)) {
        const out: Record<string, any> = { ...input };
        for (const [k, v] of Object.entries(computed)) {
            out[k] = overlayUnknown(input[k], v);
        }
        return out;
    }
    return input;
}

/**
 * The state a first `pulumi preview` plans for a new resource: what the program set (its inputs,
 * unknowns included) and, for every attribute the provider computes, an unknown. The engine previews a
 * Create by calling the provider's Create with `preview: true`; the AWS provider (pulumi-terraform-bridge)
 * answers with Terraform's planned state, where a Computed attribute the config does not set is unknown
 * (bridge CHANGELOG: "Add support for previewing Create and Update operations" #276, "Ensure that nested
 * unknowns are preserved during previews" #308). Auto-named properties (`AUTONAMED`) stay known: the
 * provider assigns them in `Check`, before the preview.
 */
export function mockPreviewState(type: string, name: string, inputs: Record<string, any>, ctx: MockContext): Record<string, any> {
    const full = mockResourceState(type, name, inputs, ctx);
    const autonamed = AUTONAMED[type] ?? [];
    const out: Record<string, any> = { ...inputs };
    for (const [k, v] of Object.entries(full)) {
        if (k in inputs && inputs[k] !== undefined) {
            out[k] = overlayUnknown(inputs[k], v);
        } else {
            out[k] = UNKNOWN;
        }
    }
    for (const k of autonamed) {
        if (inputs[k] === undefined) {
            out[k] = full[k];
        }
    }
    return out;
}

/** Answers for the invokes the program makes. Unknown tokens fail loudly so a new invoke gets an answer here. */
export const MOCK_CALLS: Record<string, (inputs: Record<string, any>, ctx: MockContext) => Record<string, any>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": (_i, ctx) => ({
        accountId: ctx.accountId,
        arn: `arn:aws:iam::${ctx.accountId}:user/offline`,
        userId: "AIDAOFFLINE",
        id: ctx.accountId,
    }),
    "aws:index/getRegion:getRegion": (_i, ctx) => ({ name: ctx.region, region: ctx.region, id: ctx.region, description: ctx.region }),
    // Compute (issue 3): the EKS-optimized AMI id published in SSM, one per region and parameter path.
    "aws:ssm/getParameter:getParameter": (inputs, ctx) => ({
        name: inputs.name,
        value: `ami-0${Buffer.from(ctx.region).toString("hex").slice(-8)}${String(inputs.name).includes("arm64") ? "a" : "b"}0000000`,
        insecureValue: "",
        type: "String",
        version: 1,
        withDecryption: true,
        arn: `arn:aws:ssm:${ctx.region}::parameter${inputs.name}`,
        id: inputs.name,
    }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    // Zones as one account might see them (data: issue 14): names and zone IDs do not line up, and us-east-1
    // offers use1-az3, which EKS and RDS Proxy cannot use, so the program's exclusion is exercised.
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, ctx) => {
        const zones = MOCK_ZONES[ctx.region] ?? { a: 1, b: 2, c: 3 };
        const prefix = zoneIdPrefixOf(ctx.region);
        return {
            names: Object.keys(zones).map((l) => `${ctx.region}${l}`),
            zoneIds: Object.values(zones).map((n) => `${prefix}-az${n}`),
            groupNames: Object.keys(zones).map(() => ctx.region),
            id: ctx.region,
        };
    },
    "aws:route53/getZone:getZone": (inputs) => ({
        zoneId: `Z${String(inputs.name ?? "zone").replace(/[^A-Za-z0-9]/g, "").toUpperCase().slice(0, 20)}`,
        name: inputs.name,
        id: `Z${String(inputs.name ?? "zone").replace(/[^A-Za-z0-9]/g, "").toUpperCase().slice(0, 20)}`,
    }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": (_i, ctx) => ({
        userName: "AWS",
        password: "mock-ecr-token",
        proxyEndpoint: `https://${ctx.accountId}.dkr.ecr.${ctx.region}.amazonaws.com`,
        authorizationToken: Buffer.from("AWS:mock-ecr-token").toString("base64"),
        id: ctx.region,
    }),
};

/** Zone letter -> zone ID number per region for the mock answer above; other regions get a, b, c = az1..az3. */
const MOCK_ZONES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
    "us-east-1": { a: 2, b: 4, c: 1, d: 6, e: 3, f: 5 },
    "us-west-2": { a: 2, b: 1, c: 3, d: 4 },
    "us-west-1": { a: 1, b: 2, c: 3 },
    "ca-central-1": { a: 1, b: 2, d: 4 },
};

/** `us-east-1` -> `use1` (as components/network.ts `zoneIdPrefix`). */
function zoneIdPrefixOf(region: string): string {
    const [geo, dir = "", n = ""] = region.split("-");
    return `${geo}${dir.replace(/north/g, "n").replace(/south/g, "s").replace(/east/g, "e").replace(/west/g, "w").replace(/central/g, "c")}${n}`;
}

export function mockCall(token: string, inputs: Record<string, any>, ctx: MockContext): Record<string, any> {
    const answer = MOCK_CALLS[token];
    if (!answer) {
        throw new Error(`offline mock has no answer for invoke ${token}; add one to toolkit/mock-outputs.ts`);
    }
    return answer(inputs, ctx);
}
