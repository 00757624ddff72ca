/**
 * Monthly cost estimate of a stack from the resources it registers and the checked-in price table
 * (`toolkit/prices.ts`). Every line says what it priced and how; anything without a price in the table
 * (a type, a class, a region) is listed under `unknown` and left out of the totals, never guessed.
 *
 * Node pools are priced at their desired size (`monthly`) and at their max size (`monthlyAtMax`), so the
 * report shows both the baseline and what full scale-out costs.
 */
import type { RegisteredResource } from "../offline";
import type { PlatformConfig } from "../../platform/config";
import {
    CACHE_NODES, EC2_INSTANCES, FIXED, HOURS_PER_MONTH, MQ_BROKER_INSTANCES, NOT_ESTIMATED, PRICE_SOURCE, PRICED_REGIONS, RDS_INSTANCES,
    RDS_PROXY_VCPU_HOUR, RDS_STORAGE_GB_MONTH, SPOT_ASSUMPTION, SPOT_DISCOUNT, VALKEY_NODE_FACTOR,
} from "../prices";
import { T, cachesOf, databasesOf, nodePoolsOf, onDemandCount, type Purchase } from "./architecture";
import { GLOBAL, ResourceGraph } from "./graph";

export type CostCategory = "compute" | "kubernetes" | "network" | "edge" | "database" | "cache" | "queue" | "security" | "observability" | "dns";

export interface CostLine {
    /** Pulumi name of the priced resource. */
    readonly resource: string;
    readonly type: string;
    /** Top-level component it belongs to. */
    readonly component: string;
    readonly region: string;
    readonly category: CostCategory;
    readonly purchase: Purchase;
    /** How many units at the baseline (desired size), and what a unit is. */
    readonly quantity: number;
    readonly unit: string;
    /** USD per unit per month. */
    readonly unitMonthly: number;
    /** USD per month at the baseline. */
    readonly monthly: number;
    /** USD per month at max size (equal to `monthly` for fixed-size resources). */
    readonly monthlyAtMax: number;
    readonly detail: string;
}

export interface UnknownCost {
    readonly resource: string;
    readonly type: string;
    readonly region: string;
    /** What has no price, e.g. `instance type x9.large` or `region eu-west-1`. */
    readonly what: string;
}

export interface CostTotals {
    readonly monthly: number;
    readonly monthlyAtMax: number;
}

/**
 * A setting that moves the bill but has no line of its own (log volume, a replica's standby), read back from
 * the registered resources so the report shows what the stack really does.
 */
export interface CostSetting {
    readonly region: string;
    /** What it is about, e.g. `flow logs prod-use1-net-flow-log`. */
    readonly subject: string;
    /** The effective value, e.g. `REJECT every 600 s to cloud-watch-logs, kept 30 days`. */
    readonly value: string;
    /** The stack key that changes it. */
    readonly key: string;
}

export interface CostReport {
    readonly currency: "USD";
    readonly source: string;
    readonly spotAssumption: string;
    readonly hoursPerMonth: number;
    readonly lines: readonly CostLine[];
    readonly unknown: readonly UnknownCost[];
    readonly total: CostTotals;
    readonly byPurchase: Readonly<Record<Purchase, CostTotals>>;
    readonly byComponent: readonly ({ readonly component: string } & CostTotals)[];
    readonly byRegion: readonly ({ readonly region: string } & CostTotals)[];
    readonly byCategory: readonly ({ readonly category: CostCategory } & CostTotals)[];
    readonly notEstimated: readonly string[];
    /** Cost-relevant settings in force (flow logs, RDS log retention, DR replica Multi-AZ). */
    readonly settings: readonly CostSetting[];
}

/** Flow logs, exported RDS log retention and cross-region replicas' Multi-AZ, as registered. */
export function costSettings(graph: ResourceGraph): CostSetting[] {
    const out: CostSetting[] = [];
    const groups = graph.ofType("aws:cloudwatch/logGroup:LogGroup");
    const kept = (days: unknown): string => (days === undefined || days === null || Number(days) === 0 ? "never expires" : `kept ${days} days`);
    for (const f of graph.ofType("aws:ec2/flowLog:FlowLog")) {
        const i = f.inputs ?? {};
        const destination = String(i.logDestinationType ?? "cloud-watch-logs");
        const group = groups.find((g) => i.logDestination !== undefined && (g.state?.arn === i.logDestination || `${g.name}-id` === i.logDestination));
        const retention = destination === "cloud-watch-logs" ? `, ${kept(group?.inputs?.retentionInDays)}` : " (bucket lifecycle sets retention)";
        out.push({
            region: graph.regionLabel(f), subject: `flow logs ${f.name}`, key: "network.flowLog*",
            value: `${i.trafficType ?? "ALL"} every ${i.maxAggregationInterval ?? 600} s to ${destination}${retention}`,
        });
    }
    const rdsGroups = groups.filter((g) => String(g.inputs?.name ?? "").startsWith("/aws/rds/instance/"));
    for (const db of databasesOf(graph)) {
        const mine = rdsGroups.filter((g) => String(g.inputs.name).startsWith(`/aws/rds/instance/${db.identifier}/`));
        out.push({
            region: db.region, subject: `PostgreSQL logs of ${db.name}`, key: "database.logRetentionDays",
            value: mine.length ? [...new Set(mine.map((g) => kept(g.inputs.retentionInDays)))].join(", ") : "no log group created first: RDS creates one that never expires",
        });
        if (db.crossRegion) {
            out.push({
                region: db.region, subject: `DR replica ${db.name}`, key: "database.crossRegionReplicaMultiAz",
                value: db.multiAz ? "Multi-AZ (instance and storage x2)" : "single-AZ",
            });
        }
    }
    return out;
}

/** Services billed globally (Route53), priced wherever their provider sits. */
const GLOBAL_TYPES = new Set<string>([T.healthCheck, "aws:route53/zone:Zone"]);

class Estimator {
    readonly lines: CostLine[] = [];
    readonly unknown: UnknownCost[] = [];

    constructor(private readonly graph: ResourceGraph) {}

    /** True when the table has prices for where `r` runs; records an unknown otherwise. */
    priced(r: RegisteredResource): boolean {
        const region = this.graph.regionLabel(r);
        if (GLOBAL_TYPES.has(r.type) || PRICED_REGIONS.includes(region)) {
            return true;
        }
        this.miss(r, region === GLOBAL ? "region (resource has no region)" : `region ${region} (the price table covers ${PRICED_REGIONS.join(", ")})`);
        return false;
    }

    miss(r: RegisteredResource, what: string): void {
        this.unknown.push({ resource: r.name, type: r.type, region: this.graph.regionLabel(r), what });
    }

    add(r: RegisteredResource, line: Omit<CostLine, "resource" | "type" | "component" | "region" | "monthly" | "monthlyAtMax"> & { maxQuantity?: number }): void {
        const { maxQuantity, ...rest } = line;
        this.lines.push({
            resource: r.name,
            type: r.type,
            component: this.graph.topLevelOf(r).name,
            region: this.graph.regionLabel(r),
            ...rest,
            monthly: rest.quantity * rest.unitMonthly,
            monthlyAtMax: (maxQuantity ?? rest.quantity) * rest.unitMonthly,
        });
    }

    /** A fixed hourly charge per resource. */
    hourly(r: RegisteredResource, category: CostCategory, hourly: number, unit: string, detail: string): void {
        if (this.priced(r)) {
            this.add(r, { category, purchase: "on-demand", quantity: 1, unit, unitMonthly: hourly * HOURS_PER_MONTH, detail });
        }
    }

    monthly(r: RegisteredResource, category: CostCategory, monthly: number, quantity: number, unit: string, detail: string): void {
        if (this.priced(r)) {
            this.add(r, { category, purchase: "on-demand", quantity, unit, unitMonthly: monthly, detail });
        }
    }
}

function sum<K extends string>(lines: readonly CostLine[], key: (l: CostLine) => K): Map<K, CostTotals> {
    const out = new Map<K, { monthly: number; monthlyAtMax: number }>();
    for (const l of lines) {
        const t = out.get(key(l)) ?? { monthly: 0, monthlyAtMax: 0 };
        t.monthly += l.monthly;
        t.monthlyAtMax += l.monthlyAtMax;
        out.set(key(l), t);
    }
    return out;
}

function byMonthlyDesc<T extends CostTotals>(a: T, b: T): number {
    return b.monthly - a.monthly || b.monthlyAtMax - a.monthlyAtMax;
}

export function estimateCost(graph: ResourceGraph, config?: PlatformConfig): CostReport {
    const e = new Estimator(graph);
    const byName = (type: string, name: string): RegisteredResource => graph.ofType(type).find((r) => r.name === name)!;

    // Node pools: on-demand and spot parts, instances and their root volumes.
    for (const pool of nodePoolsOf(graph, config)) {
        const r = byName(pool.type, pool.resource);
        if (!e.priced(r)) {
            continue;
        }
        const specs = pool.instanceTypes.map((t) => EC2_INSTANCES[t]);
        const unknown = pool.instanceTypes.filter((t) => !EC2_INSTANCES[t]);
        if (pool.instanceTypes.length === 0) {
            e.miss(r, "instance type (none registered)");
            continue;
        }
        if (unknown.length) {
            e.miss(r, `instance type${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
            continue;
        }
        const odDesired = onDemandCount(pool.desiredSize, pool.onDemandBase, pool.onDemandPercentAboveBase);
        const odMax = onDemandCount(pool.maxSize, pool.onDemandBase, pool.onDemandPercentAboveBase);
        // On-demand capacity follows the overrides' priority order; spot is priced at the dearest type (conservative).
        const odHourly = specs[0]!.hourly;
        const spotBasis = specs.reduce((a, b) => (b!.hourly > a!.hourly ? b : a))!;
        const spotBasisType = pool.instanceTypes[specs.indexOf(spotBasis)];
        const range = `${pool.minSize}..${pool.maxSize}, desired ${pool.desiredSize}`;
        if (odMax > 0) {
            e.add(r, {
                category: "compute", purchase: "on-demand", quantity: odDesired, maxQuantity: odMax, unit: `${pool.instanceTypes[0]} instance`,
                unitMonthly: odHourly * HOURS_PER_MONTH, detail: `pool ${pool.name} (${range}) on-demand at $${odHourly}/h`,
            });
        }
        if (pool.maxSize - odMax > 0) {
            const spotHourly = spotBasis.hourly * (1 - SPOT_DISCOUNT);
            e.add(r, {
                category: "compute", purchase: "spot", quantity: pool.desiredSize - odDesired, maxQuantity: pool.maxSize - odMax,
                unit: `spot instance (${pool.instanceTypes.join("|")})`, unitMonthly: spotHourly * HOURS_PER_MONTH,
                detail: `pool ${pool.name} (${range}) spot: ${spotBasisType} $${spotBasis.hourly}/h on-demand - ${Math.round(SPOT_DISCOUNT * 100)} % (assumed)`,
            });
        }
        if (pool.detailedMonitoring) {
            const metrics = FIXED.ec2DetailedMonitoringMetricsPerInstance;
            e.add(r, {
                category: "observability", purchase: "on-demand", quantity: pool.desiredSize, maxQuantity: pool.maxSize,
                unit: "instance with detailed monitoring", unitMonthly: metrics * FIXED.ec2DetailedMonitoringMetricMonth,
                detail: `pool ${pool.name}: EC2 detailed monitoring, ${metrics} metrics x $${FIXED.ec2DetailedMonitoringMetricMonth}/metric-month per instance (assumed count)`,
            });
        }
        if (pool.diskGiB !== undefined) {
            e.add(r, {
                category: "compute", purchase: "on-demand", quantity: pool.desiredSize * pool.diskGiB, maxQuantity: pool.maxSize * pool.diskGiB,
                unit: "GiB-month gp3", unitMonthly: FIXED.ebsGp3GbMonth, detail: `pool ${pool.name} root volumes, ${pool.diskGiB} GiB per node`,
            });
        } else {
            e.miss(r, "node volume size (no block device in the launch template)");
        }
    }

    for (const r of graph.ofType(T.eksCluster)) {
        // upgradePolicy.supportType EXTENDED: priced at the extended rate, what the cluster costs once its minor leaves
        // standard support (it keeps running that minor instead of being upgraded).
        const extended = r.inputs.upgradePolicy?.supportType === "EXTENDED";
        const rate = extended ? FIXED.eksClusterExtendedHour : FIXED.eksClusterHour;
        e.hourly(r, "kubernetes", rate, "cluster", extended
            ? `EKS control plane, extended support $${rate}/h (from the end of the minor's standard support; $${FIXED.eksClusterHour}/h before)`
            : `EKS control plane $${rate}/h`);
    }
    for (const r of graph.ofType(T.natGateway)) {
        e.hourly(r, "network", FIXED.natGatewayHour, "NAT gateway", `$${FIXED.natGatewayHour}/h, data processing not estimated`);
    }
    for (const r of graph.ofType("aws:ec2/eip:Eip")) {
        e.hourly(r, "network", FIXED.publicIpv4Hour, "public IPv4", `$${FIXED.publicIpv4Hour}/h per address`);
    }
    for (const r of graph.ofType(T.loadBalancer)) {
        const kind = String(r.inputs?.loadBalancerType ?? "application");
        if (kind === "application" || kind === "network") {
            const hourly = kind === "application" ? FIXED.albHour : FIXED.nlbHour;
            e.hourly(r, "edge", hourly, `${kind} load balancer`, `$${hourly}/h, LCUs not estimated`);
        } else if (e.priced(r)) {
            e.miss(r, `load balancer type ${kind}`);
        }
    }

    // Databases: instance hours (x2 Multi-AZ), storage, and RDS Proxy per vCPU of what it fronts.
    const dbs = databasesOf(graph);
    for (const db of dbs) {
        const r = byName(T.rdsInstance, db.name);
        if (!e.priced(r)) {
            continue;
        }
        const spec = RDS_INSTANCES[db.instanceClass];
        const azs = db.multiAz ? 2 : 1;
        const role = db.role === "primary" ? "primary" : `${db.crossRegion ? "cross-region " : ""}replica of ${db.replicaOf}`;
        if (spec) {
            e.add(r, {
                category: "database", purchase: "on-demand", quantity: azs, unit: `${db.instanceClass} instance`, unitMonthly: spec.hourly * HOURS_PER_MONTH,
                detail: `${role}, ${db.multiAz ? "Multi-AZ (x2)" : "single-AZ"} at $${spec.hourly}/h`,
            });
        } else {
            e.miss(r, `DB instance class ${db.instanceClass}`);
        }
        const storageType = db.storageType ?? "gp2";
        if (db.storageGiB === undefined) {
            e.miss(r, "allocated storage (not set)");
        } else if (storageType === "gp2" || storageType === "gp3") {
            e.add(r, {
                category: "database", purchase: "on-demand", quantity: db.storageGiB * azs, maxQuantity: (db.maxStorageGiB ?? db.storageGiB) * azs,
                unit: `GiB-month ${storageType}`, unitMonthly: RDS_STORAGE_GB_MONTH,
                detail: `${db.storageGiB} GiB${db.maxStorageGiB ? ` (autoscaling to ${db.maxStorageGiB})` : ""}${db.multiAz ? " x2 Multi-AZ" : ""}${db.storageFromSource ? ", as its source" : ""}`,
            });
        } else {
            e.miss(r, `storage type ${storageType}`);
        }
    }
    for (const r of graph.ofType(T.rdsProxy)) {
        if (!e.priced(r)) {
            continue;
        }
        const region = graph.regionLabel(r);
        const fronted = dbs.find((d) => d.role === "primary" && d.region === region);
        const spec = fronted ? RDS_INSTANCES[fronted.instanceClass] : undefined;
        if (!spec) {
            e.miss(r, fronted ? `vCPUs of ${fronted.instanceClass}` : "the instance it fronts (no primary in its region)");
            continue;
        }
        e.add(r, {
            category: "database", purchase: "on-demand", quantity: spec.vcpu, unit: "proxy vCPU", unitMonthly: RDS_PROXY_VCPU_HOUR * HOURS_PER_MONTH,
            detail: `RDS Proxy over ${fronted!.name} (${fronted!.instanceClass}, ${spec.vcpu} vCPU) at $${RDS_PROXY_VCPU_HOUR}/vCPU-h`,
        });
    }

    for (const cache of cachesOf(graph, config)) {
        const r = byName(T.cacheGroup, cache.name);
        if (!e.priced(r)) {
            continue;
        }
        const spec = CACHE_NODES[cache.nodeType];
        if (!spec) {
            e.miss(r, `cache node type ${cache.nodeType}`);
            continue;
        }
        const valkey = cache.engine.toLowerCase() === "valkey";
        const hourly = spec.hourly * (valkey ? VALKEY_NODE_FACTOR : 1);
        e.add(r, {
            category: "cache", purchase: "on-demand", quantity: cache.nodes, unit: `${cache.nodeType} node`, unitMonthly: hourly * HOURS_PER_MONTH,
            detail: `${cache.purpose}: ${cache.shards} shard(s) x ${cache.replicasPerShard + 1} nodes, ${cache.engine} $${spec.hourly}/h${valkey ? " x 0.8 (Valkey)" : ""}`,
        });
    }

    // Amazon MQ for RabbitMQ (queueBackend rabbitmq): instance-hours, three instances for a cluster.
    for (const r of graph.ofType("aws:mq/broker:Broker")) {
        if (!e.priced(r)) {
            continue;
        }
        const type = String(r.inputs?.hostInstanceType ?? "");
        const mode = String(r.inputs?.deploymentMode ?? "SINGLE_INSTANCE");
        const instances = mode === "CLUSTER_MULTI_AZ" ? 3 : 1;
        const hourly = MQ_BROKER_INSTANCES[type];
        if (hourly === undefined) {
            e.miss(r, `Amazon MQ broker instance type ${type}`);
            continue;
        }
        e.add(r, {
            category: "queue", purchase: "on-demand", quantity: instances, unit: `${type} broker instance`, unitMonthly: hourly * HOURS_PER_MONTH,
            detail: `${mode === "CLUSTER_MULTI_AZ" ? "cluster of 3 over the zones" : "single instance"} at $${hourly}/h per instance, storage not estimated`,
        });
    }

    // Small fixed monthly charges.
    for (const r of graph.ofType("aws:kms/key:Key")) {
        e.monthly(r, "security", FIXED.kmsKeyMonth, 1, "KMS key", `$${FIXED.kmsKeyMonth}/key-month, requests not estimated`);
    }
    for (const r of graph.ofType("aws:secretsmanager/secret:Secret")) {
        e.monthly(r, "security", FIXED.secretMonth, 1, "secret", `$${FIXED.secretMonth}/secret-month`);
    }
    for (const r of graph.ofType("aws:wafv2/webAcl:WebAcl")) {
        const rules = Array.isArray(r.inputs?.rules) ? r.inputs.rules.length : 0;
        e.monthly(r, "edge", FIXED.wafWebAclMonth + rules * FIXED.wafRuleMonth, 1, "web ACL", `$${FIXED.wafWebAclMonth} + ${rules} rule(s) x $${FIXED.wafRuleMonth}, requests not estimated`);
    }
    for (const r of graph.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
        const period = Number(r.inputs?.period ?? 60);
        const high = period < 60;
        e.monthly(r, "observability", high ? FIXED.alarmHighResolutionMonth : FIXED.alarmMonth, 1, "alarm", high ? "high-resolution alarm" : "standard alarm");
    }
    for (const r of graph.ofType("aws:cloudwatch/dashboard:Dashboard")) {
        e.monthly(r, "observability", FIXED.dashboardMonth, 1, "dashboard", `$${FIXED.dashboardMonth}/dashboard-month`);
    }
    for (const r of graph.ofType(T.healthCheck)) {
        const i = r.inputs ?? {};
        const type = String(i.type ?? "");
        const features = [type.startsWith("HTTPS"), type.endsWith("STR_MATCH"), Number(i.requestInterval) === 10, Boolean(i.measureLatency)].filter(Boolean).length;
        e.monthly(r, "dns", FIXED.healthCheckMonth + features * FIXED.healthCheckFeatureMonth, 1, "health check",
            `$${FIXED.healthCheckMonth} + ${features} optional feature(s) x $${FIXED.healthCheckFeatureMonth} (AWS endpoint)`);
    }
    for (const r of graph.ofType("aws:route53/zone:Zone")) {
        e.monthly(r, "dns", FIXED.hostedZoneMonth, 1, "hosted zone", `$${FIXED.hostedZoneMonth}/zone-month, queries not estimated`);
    }

    const lines = e.lines;
    const total = [...sum(lines, () => "all").values()][0] ?? { monthly: 0, monthlyAtMax: 0 };
    const purchase = sum(lines, (l) => l.purchase);
    return {
        currency: "USD",
        source: PRICE_SOURCE,
        spotAssumption: SPOT_ASSUMPTION,
        hoursPerMonth: HOURS_PER_MONTH,
        lines,
        unknown: e.unknown,
        total,
        byPurchase: {
            "on-demand": purchase.get("on-demand") ?? { monthly: 0, monthlyAtMax: 0 },
            spot: purchase.get("spot") ?? { monthly: 0, monthlyAtMax: 0 },
        },
        byComponent: [...sum(lines, (l) => l.component).entries()].map(([component, t]) => ({ component, ...t })).sort(byMonthlyDesc),
        byRegion: [...sum(lines, (l) => l.region).entries()].map(([region, t]) => ({ region, ...t })).sort(byMonthlyDesc),
        byCategory: [...sum(lines, (l) => l.category).entries()].map(([category, t]) => ({ category, ...t })).sort(byMonthlyDesc),
        notEstimated: NOT_ESTIMATED,
        settings: costSettings(graph),
    };
}
