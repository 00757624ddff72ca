/**
 * The price table `npm run plan` estimates monthly cost from. Checked in, so the estimate is reproducible
 * and reviewable; nothing is fetched at run time.
 *
 * SOURCE: AWS public on-demand list prices (Linux, shared tenancy; RDS for PostgreSQL single-AZ;
 * ElastiCache for Redis OSS node-based), us-east-1 / us-west-2, which list the same figures for every
 * type below. Recorded on 2026-11-23 from the author's last known figures, without network access to
 * re-check them: VERIFY BEFORE BUDGETING (https://aws.amazon.com/pricing/, or the Price List API).
 *
 * Rules the estimator follows:
 * - Only the regions in `PRICED_REGIONS` are priced. Anything else, and any instance/node/DB class
 *   missing here, is reported as unknown and left out of the totals: never extrapolated or guessed.
 * - Spot is an ASSUMPTION, not a price: `SPOT_DISCOUNT` off the on-demand price. Real spot prices
 *   move by type, AZ and hour.
 * - Usage-driven charges (data transfer, NAT/ALB data processing and LCUs, logs ingestion, requests,
 *   queries, backups beyond the free allowance) are not estimated; the report lists them as such.
 */

export const PRICE_SOURCE =
    "AWS public on-demand list prices, us-east-1/us-west-2, as recorded on 2026-11-23 (author's last known figures, not re-fetched: no network); verify before budgeting";
export const PRICES_RECORDED_ON = "2026-11-23";

/** Regions whose prices the table holds (identical figures in both for every entry). */
export const PRICED_REGIONS: readonly string[] = ["us-east-1", "us-west-2"];

/** Hours in a billing month as AWS's calculator counts them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** Assumed spot discount off on-demand (60 %). An assumption for planning, not a quoted price. */
export const SPOT_DISCOUNT = 0.6;
export const SPOT_ASSUMPTION = `spot assumed at ${Math.round(SPOT_DISCOUNT * 100)} % below on-demand (assumption; real spot prices vary by type, AZ and time)`;

/**
 * ElastiCache for Valkey node-based clusters are listed 20 % below Redis OSS for the same node type
 * (AWS's Valkey launch pricing); the table holds Redis OSS prices.
 */
export const VALKEY_NODE_FACTOR = 0.8;

export interface InstanceSpec {
    readonly vcpu: number;
    readonly memoryGiB: number;
    /** On-demand USD per hour. */
    readonly hourly: number;
}

/** EC2 (EKS worker nodes). */
export const EC2_INSTANCES: Readonly<Record<string, InstanceSpec>> = {
    "t3.medium": { vcpu: 2, memoryGiB: 4, hourly: 0.0416 },
    "t3.large": { vcpu: 2, memoryGiB: 8, hourly: 0.0832 },
    "m5.large": { vcpu: 2, memoryGiB: 8, hourly: 0.096 },
    "m5.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.192 },
    "m5.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.384 },
    "m5.4xlarge": { vcpu: 16, memoryGiB: 64, hourly: 0.768 },
    "m6a.large": { vcpu: 2, memoryGiB: 8, hourly: 0.0864 },
    "m6a.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.1728 },
    "m6a.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.3456 },
    "m6a.4xlarge": { vcpu: 16, memoryGiB: 64, hourly: 0.6912 },
    "m6i.large": { vcpu: 2, memoryGiB: 8, hourly: 0.096 },
    "m6i.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.192 },
    "m6i.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.384 },
    "m6i.4xlarge": { vcpu: 16, memoryGiB: 64, hourly: 0.768 },
    "m7i.large": { vcpu: 2, memoryGiB: 8, hourly: 0.1008 },
    "m7i.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.2016 },
    "m7i.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.4032 },
    "m7i.4xlarge": { vcpu: 16, memoryGiB: 64, hourly: 0.8064 },
    "m7g.large": { vcpu: 2, memoryGiB: 8, hourly: 0.0816 },
    "m7g.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.1632 },
    "m7g.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.3264 },
    "c7i.large": { vcpu: 2, memoryGiB: 4, hourly: 0.08925 },
    "c7i.xlarge": { vcpu: 4, memoryGiB: 8, hourly: 0.1785 },
};

/** RDS for PostgreSQL, single-AZ instance price per hour; Multi-AZ (one standby) is twice this. */
export const RDS_INSTANCES: Readonly<Record<string, InstanceSpec>> = {
    "db.t4g.micro": { vcpu: 2, memoryGiB: 1, hourly: 0.016 },
    "db.t4g.small": { vcpu: 2, memoryGiB: 2, hourly: 0.032 },
    "db.t4g.medium": { vcpu: 2, memoryGiB: 4, hourly: 0.065 },
    "db.t4g.large": { vcpu: 2, memoryGiB: 8, hourly: 0.129 },
    "db.m6g.large": { vcpu: 2, memoryGiB: 8, hourly: 0.159 },
    "db.m6g.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.318 },
    "db.m6g.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.636 },
    "db.m7g.large": { vcpu: 2, memoryGiB: 8, hourly: 0.168 },
    "db.m7g.xlarge": { vcpu: 4, memoryGiB: 16, hourly: 0.337 },
    "db.m7g.2xlarge": { vcpu: 8, memoryGiB: 32, hourly: 0.674 },
    "db.m7g.4xlarge": { vcpu: 16, memoryGiB: 64, hourly: 1.348 },
};

/** RDS gp2/gp3 storage, USD per GiB-month, single-AZ; Multi-AZ stores twice. */
export const RDS_STORAGE_GB_MONTH = 0.115;
/** RDS Proxy, USD per vCPU-hour of the database instance it fronts. */
export const RDS_PROXY_VCPU_HOUR = 0.015;

/** ElastiCache for Redis OSS, node-based, per node-hour. */
export const CACHE_NODES: Readonly<Record<string, InstanceSpec>> = {
    "cache.t4g.micro": { vcpu: 2, memoryGiB: 0.5, hourly: 0.016 },
    "cache.t4g.small": { vcpu: 2, memoryGiB: 1.37, hourly: 0.032 },
    "cache.t4g.medium": { vcpu: 2, memoryGiB: 3.09, hourly: 0.065 },
    "cache.m6g.large": { vcpu: 2, memoryGiB: 6.38, hourly: 0.149 },
    "cache.m6g.xlarge": { vcpu: 4, memoryGiB: 12.93, hourly: 0.298 },
    "cache.m7g.large": { vcpu: 2, memoryGiB: 6.38, hourly: 0.158 },
    "cache.m7g.xlarge": { vcpu: 4, memoryGiB: 12.93, hourly: 0.315 },
    "cache.r7g.large": { vcpu: 2, memoryGiB: 13.07, hourly: 0.219 },
    "cache.r7g.xlarge": { vcpu: 4, memoryGiB: 26.32, hourly: 0.437 },
};

/**
 * Amazon MQ for RabbitMQ, USD per broker instance-hour (a `CLUSTER_MULTI_AZ` broker runs three instances, a
 * `SINGLE_INSTANCE` broker one). Same recording caveat as the tables above (https://aws.amazon.com/amazon-mq/pricing/).
 * Only the m5 family is in the table: the author holds no m7g figure, so a broker on mq.m7g.* (the default) is
 * reported as unknown rather than guessed; add the row from the pricing page to price it.
 */
export const MQ_BROKER_INSTANCES: Readonly<Record<string, number>> = {
    "mq.m5.large": 0.288,
    "mq.m5.xlarge": 0.576,
    "mq.m5.2xlarge": 1.152,
    "mq.m5.4xlarge": 2.304,
};

/** Fixed hourly or monthly charges of the other resource types the program creates. */
export const FIXED = {
    /** EKS control plane (standard support), per cluster-hour. */
    eksClusterHour: 0.10,
    /**
     * EKS control plane on a Kubernetes minor in extended support, per cluster-hour in total (not on top of the
     * standard rate): AWS Containers blog "Amazon EKS extended support for Kubernetes versions pricing" ("a total of
     * $0.60 per cluster per hour ... standard support is unchanged — $0.10 per cluster per hour").
     */
    eksClusterExtendedHour: 0.60,
    /** NAT gateway, per hour (data processing extra, not estimated). */
    natGatewayHour: 0.045,
    /** Public IPv4 address (Elastic IP), per hour. */
    publicIpv4Hour: 0.005,
    /** Application Load Balancer, per hour (LCUs extra, not estimated). */
    albHour: 0.0225,
    /** Network Load Balancer, per hour (NLCUs extra, not estimated). */
    nlbHour: 0.0225,
    /** EBS gp3, per GiB-month (node root volumes). */
    ebsGp3GbMonth: 0.08,
    /** KMS customer managed key, per key-month. */
    kmsKeyMonth: 1.0,
    /** Secrets Manager, per secret-month. */
    secretMonth: 0.4,
    /** CloudWatch standard-resolution metric alarm, per alarm-month (high resolution: 0.30). */
    alarmMonth: 0.1,
    alarmHighResolutionMonth: 0.3,
    /**
     * EC2 detailed monitoring, per instance-month: billed as CloudWatch metrics at the first tier's $0.30 per
     * metric-month, prorated by the hour; 7 metrics per instance, as in the example on
     * https://aws.amazon.com/cloudwatch/pricing/ (ASSUMPTION: newer instance types publish more metrics, and
     * the account's 10 free detailed-monitoring metrics are ignored).
     */
    ec2DetailedMonitoringMetricMonth: 0.3,
    ec2DetailedMonitoringMetricsPerInstance: 7,
    /** CloudWatch dashboard, per dashboard-month. */
    dashboardMonth: 3.0,
    /** WAF web ACL per month, plus each rule per month (requests extra, not estimated). */
    wafWebAclMonth: 5.0,
    wafRuleMonth: 1.0,
    /** Route53 health check on an AWS endpoint per month, plus each optional feature (HTTPS, 10 s interval, string match, latency). */
    healthCheckMonth: 0.5,
    healthCheckFeatureMonth: 1.0,
    /** Route53 hosted zone per month. */
    hostedZoneMonth: 0.5,
} as const;

/**
 * Resource types of issue 18 (CDN, uploads, backups) that have no fixed hourly or monthly charge: everything they
 * cost is usage. Listed with the usage rate a budget would start from (same recording caveat as the table above:
 * the author's last known us-east-1 list prices, not re-fetched; VERIFY BEFORE BUDGETING) and the page it is
 * published on. The estimator leaves them out of the totals (NOT_ESTIMATED names them); the web ACL in front of
 * the distribution and the KMS keys of the uploads bucket and backup vaults are priced by `FIXED` as elsewhere.
 */
export const USAGE_ONLY: Readonly<Record<string, { readonly rate: string; readonly source: string }>> = {
    "aws:cloudfront/distribution:Distribution": {
        rate: "data transfer out to the internet $0.085/GB (first 10 TB, North America/Europe), HTTPS requests $0.01 per 10,000; no charge per distribution",
        source: "https://aws.amazon.com/cloudfront/pricing/ (pay-as-you-go)",
    },
    "aws:cloudfront/cachePolicy:CachePolicy": { rate: "no charge", source: "https://aws.amazon.com/cloudfront/pricing/" },
    "aws:cloudfront/originAccessControl:OriginAccessControl": { rate: "no charge", source: "https://aws.amazon.com/cloudfront/pricing/" },
    "aws:s3/bucket:Bucket": {
        rate: "S3 Standard storage $0.023/GB-month (first 50 TB), PUT $0.005 per 1,000, GET $0.0004 per 1,000; replication: the replica's storage plus inter-region transfer $0.02/GB",
        source: "https://aws.amazon.com/s3/pricing/",
    },
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": { rate: "inter-region data transfer $0.02/GB replicated (plus the replica's storage)", source: "https://aws.amazon.com/s3/pricing/" },
    "aws:backup/plan:Plan": {
        rate: "RDS snapshot (warm) backup storage $0.095/GB-month; cross-region copy: inter-region transfer $0.02/GB plus the copy's storage",
        source: "https://aws.amazon.com/backup/pricing/",
    },
    "aws:backup/vault:Vault": { rate: "no charge for the vault itself; its recovery points are billed as backup storage", source: "https://aws.amazon.com/backup/pricing/" },
};

/** What the estimate leaves out because it depends on traffic, not on the resources. */
export const NOT_ESTIMATED: readonly string[] = [
    "data transfer (inter-AZ, inter-region, internet egress)",
    "NAT gateway and load balancer data processing / LCUs; public IPv4 addresses of load balancer nodes",
    "CloudWatch Logs ingestion and storage, VPC flow logs",
    "Route53 queries, WAF requests, ECR and S3 storage, SNS deliveries",
    "RDS backup storage beyond the free allowance, cross-region replication traffic",
    "CodeBuild build minutes of the deploy runner (billed per CI job)",
    "Amazon MQ broker storage and data transfer (instance-hours are estimated)",
    "CloudFront data transfer and requests, S3 storage/requests/replication of the CDN and uploads buckets, AWS Backup storage and cross-region copies (rates in USAGE_ONLY of toolkit/prices.ts)",
];
