/**
 * Stack config `scaled-web:scaling` (issue 19): the api's request-rate target, the ws connection target
 * and replica schedules. Kept apart from platform/config.ts, which only adds the key and calls
 * `resolveScaling`.
 *
 * ```yaml
 * scaled-web:scaling:
 *   requestsPerSecondPerPod: 1000     # api, seed 000/002
 *   connectionsPerPod: 10000          # ws, seed 003
 *   schedules:
 *     daytime:                        # seed 001: api 3 / workers 5 from 06:00, back to the floors at 22:00
 *       timezone: Europe/Berlin
 *       start: "06:00"
 *       end: "22:00"
 *       days: "*"                     # cron day-of-week: "*", "1-5", "0,6"
 *       api: 3
 *       queues: { notifications: 5 }
 *       nodePools: { general: 4 }     # the nodes follow: the pool keeps >= 4 nodes in the window
 * ```
 */
import { z } from "zod";
import { DEFAULT_BROKER_INSTANCE_TYPE, DEFAULT_RABBITMQ_VERSION, RABBITMQ_VERSION_FAMILIES } from "../components/message-broker";
import type { NodePoolSchedule } from "../components/node-pool";
import { DEFAULT_CONNECTIONS_PER_POD, DEFAULT_REQUESTS_PER_SECOND_PER_POD, ReplicaSchedule } from "../components/service-scaling";

const positive = z.number().int("must be a whole number").min(1, "must be >= 1");
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAYS = /^(\*|[0-6](-[0-6])?(,[0-6](-[0-6])?)*)$/;

const scheduleSchema = z.object({
    /** IANA time zone the times are in. */
    timezone: z.string(),
    /** "HH:MM" the floors start. */
    start: z.string().regex(HHMM, "must be a time \"HH:MM\" such as \"06:00\""),
    /** "HH:MM" the floors end (after start: a window lies within one day). */
    end: z.string().regex(HHMM, "must be a time \"HH:MM\" such as \"22:00\""),
    /** Cron day-of-week field (0 = Sunday): "*", "1-5", "0,6". @default "*" */
    days: z.string().regex(DAYS, "must be a cron day-of-week field such as \"*\", \"1-5\" or \"0,6\" (0 = Sunday)").default("*"),
    api: positive.optional(),
    ws: positive.optional(),
    /** Worker floors per queue name. */
    queues: z.record(z.string(), positive).default({}),
    /** Node floors per node pool (the pool's total in each region): ASG scheduled actions raise `MinSize`. */
    nodePools: z.record(z.string(), positive).default({}),
}).strict();

export const scalingSchema = z.object({
    /** api: requests per second per pod (ALB RequestCount of the api target group). @default 1000 */
    requestsPerSecondPerPod: positive.default(DEFAULT_REQUESTS_PER_SECOND_PER_POD),
    /** ws: open connections per pod (the pods' ActiveConnections gauge). @default 10000 */
    connectionsPerPod: positive.default(DEFAULT_CONNECTIONS_PER_POD),
    /** Replica floors by time window, keyed by a name (DNS label). @default {} */
    schedules: z.record(z.string(), scheduleSchema).default({}),
}).strict().default({});

export type RawScaling = z.output<typeof scalingSchema>;

export interface ScalingConfig {
    readonly requestsPerSecondPerPod: number;
    readonly connectionsPerPod: number;
    /** KEDA cron schedules per target. */
    readonly api: readonly ReplicaSchedule[];
    readonly ws: readonly ReplicaSchedule[];
    readonly queues: Readonly<Record<string, readonly ReplicaSchedule[]>>;
    /** ASG scheduled minimums per node pool. */
    readonly nodePools: Readonly<Record<string, readonly NodePoolSchedule[]>>;
}

/** What the floors are checked against. */
export interface ScalingBounds {
    /** Highest replica floor over the regions, and the ceiling. */
    readonly api: { readonly min: number; readonly max: number };
    readonly ws: { readonly min: number; readonly max: number };
    readonly queues: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
    /** Each node pool's minSize and maxSize (pool totals per region). */
    readonly nodePools: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
}

interface Issue { readonly path: string; readonly message: string }

function minutes(hhmm: string): number {
    const [h, m] = hhmm.split(":").map(Number);
    return h * 60 + m;
}

/** The days a cron day-of-week field names (0-6). */
export function daySet(field: string): Set<number> {
    if (field === "*") {
        return new Set([0, 1, 2, 3, 4, 5, 6]);
    }
    const days = new Set<number>();
    for (const part of field.split(",")) {
        const [a, b] = part.split("-").map(Number);
        for (let d = a; d <= (b ?? a); d++) {
            days.add(d);
        }
    }
    return days;
}

function validTimeZone(tz: string): boolean {
    try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return tz.includes("/") || tz === "UTC";
    } catch {
        return false;
    }
}

/** Resolves and checks `scaling`; issue paths are under `scaling.`. */
export function resolveScaling(raw: RawScaling, bounds: ScalingBounds): { scaling: ScalingConfig; issues: Issue[] } {
    const issues: Issue[] = [];
    const api: ReplicaSchedule[] = [];
    const ws: ReplicaSchedule[] = [];
    const queues: Record<string, ReplicaSchedule[]> = {};
    const nodePools: Record<string, NodePoolSchedule[]> = {};
    const entries = Object.entries(raw.schedules);
    for (const [name, s] of entries) {
        const at = `scaling.schedules.${name}`;
        if (!DNS_LABEL.test(name)) {
            issues.push({ path: at, message: `schedule name "${name}" must be a DNS label (lower-case letters, digits, '-')` });
        }
        if (!validTimeZone(s.timezone)) {
            issues.push({ path: `${at}.timezone`, message: `must be an IANA time zone such as "Europe/Berlin" or "UTC", got "${s.timezone}"` });
        }
        if (HHMM.test(s.start) && HHMM.test(s.end) && minutes(s.start) >= minutes(s.end)) {
            issues.push({ path: `${at}.end`, message: `must be after start (${s.start}) on the same day, got "${s.end}"; a window over midnight is two windows, or raise the floors for the day instead` });
        }
        if (s.api === undefined && s.ws === undefined && Object.keys(s.queues).length === 0 && Object.keys(s.nodePools).length === 0) {
            issues.push({ path: at, message: "sets no floor; give api, ws, queues.<name> or nodePools.<name>" });
        }
        const cron = (hhmm: string): string => `${Number(hhmm.slice(3))} ${Number(hhmm.slice(0, 2))} * * ${s.days}`;
        const make = (replicas: number): ReplicaSchedule => ({ name, timezone: s.timezone, start: cron(s.start), end: cron(s.end), desiredReplicas: replicas });
        const floor = (path: string, value: number | undefined, b: { min: number; max: number } | undefined, what: string): boolean => {
            if (value === undefined || b === undefined) {
                return false;
            }
            if (value > b.max) {
                issues.push({ path, message: `must be <= the ${what} ceiling (${b.max}), got ${value}; raise the ceiling or lower the floor` });
                return false;
            }
            if (value <= b.min) {
                issues.push({ path, message: `must be above the ${what} replica floor (${b.min}) to have an effect, got ${value}; raise it or drop it` });
                return false;
            }
            return true;
        };
        if (floor(`${at}.api`, s.api, bounds.api, "api")) {
            api.push(make(s.api!));
        }
        if (floor(`${at}.ws`, s.ws, bounds.ws, "ws")) {
            ws.push(make(s.ws!));
        }
        for (const [q, n] of Object.entries(s.queues)) {
            const b = bounds.queues[q];
            if (!b) {
                issues.push({ path: `${at}.queues.${q}`, message: `"${q}" is not a queue of this stack (${Object.keys(bounds.queues).join(", ")})` });
                continue;
            }
            if (floor(`${at}.queues.${q}`, n, b, `queue ${q}`)) {
                (queues[q] ??= []).push(make(n));
            }
        }
        for (const [pool, n] of Object.entries(s.nodePools)) {
            const b = bounds.nodePools[pool];
            if (!b) {
                issues.push({ path: `${at}.nodePools.${pool}`, message: `"${pool}" is not a node pool of this stack (${Object.keys(bounds.nodePools).join(", ")})` });
                continue;
            }
            if (floor(`${at}.nodePools.${pool}`, n, b, `node pool ${pool} (minSize/maxSize)`)) {
                const r = make(n);
                (nodePools[pool] ??= []).push({ name, timezone: r.timezone, start: r.start, end: r.end, minSize: n });
            }
        }
    }
    // Overlaps: two schedules that set a floor for the same target must not be active at the same time.
    for (let i = 0; i < entries.length; i++) {
        for (let j = i + 1; j < entries.length; j++) {
            const [an, a] = entries[i];
            const [bn, b] = entries[j];
            const shared = [
                ...(a.api !== undefined && b.api !== undefined ? ["api"] : []),
                ...(a.ws !== undefined && b.ws !== undefined ? ["ws"] : []),
                ...Object.keys(a.queues).filter((q) => q in b.queues).map((q) => `queues.${q}`),
                ...Object.keys(a.nodePools).filter((n) => n in b.nodePools).map((n) => `nodePools.${n}`),
            ];
            if (shared.length === 0 || !HHMM.test(a.start) || !HHMM.test(a.end) || !HHMM.test(b.start) || !HHMM.test(b.end)) {
                continue;
            }
            if (a.timezone !== b.timezone) {
                issues.push({ path: `scaling.schedules.${bn}.timezone`, message: `must equal the time zone of "${an}" (${a.timezone}), which also sets ${shared.join(", ")}, so their windows can be checked for overlap; got "${b.timezone}"` });
                continue;
            }
            const days = [...daySet(a.days)].filter((d) => daySet(b.days).has(d));
            const overlap = days.length > 0 && minutes(a.start) < minutes(b.end) && minutes(b.start) < minutes(a.end);
            if (overlap) {
                issues.push({
                    path: `scaling.schedules.${bn}`,
                    message: `overlaps "${an}" (${a.start}-${a.end} vs ${b.start}-${b.end} on day(s) ${days.join(",")}) for ${shared.join(", ")}; KEDA (or the ASG, whose end action would cut the other window short) would not keep the floors you expect, so make the windows disjoint or merge them`,
                });
            }
        }
    }
    return { scaling: { requestsPerSecondPerPod: raw.requestsPerSecondPerPod, connectionsPerPod: raw.connectionsPerPod, api, ws, queues, nodePools }, issues };
}

// ---------------------------------------------------------------------------------------------
// `scaled-web:queueBackend` (issue 19): where the queues live. `bullmq` (default) keeps them in the Valkey
// queue store; `rabbitmq` puts them on an Amazon MQ for RabbitMQ broker per region.
// ---------------------------------------------------------------------------------------------

export const queueBackendSchema = z.object({
    /** @default "bullmq" */
    type: z.enum(["bullmq", "rabbitmq"], { message: "must be \"bullmq\" or \"rabbitmq\"" }).default("bullmq"),
    /** RabbitMQ: Amazon MQ engine version. @default "4.2" */
    engineVersion: z.string().default(DEFAULT_RABBITMQ_VERSION),
    /** RabbitMQ: broker instance type. @default "mq.m7g.large" */
    instanceType: z.string().default(DEFAULT_BROKER_INSTANCE_TYPE),
    /** RabbitMQ: `CLUSTER_MULTI_AZ` (3 nodes over zones) or, outside prod, `SINGLE_INSTANCE`. @default "CLUSTER_MULTI_AZ" */
    deploymentMode: z.enum(["CLUSTER_MULTI_AZ", "SINGLE_INSTANCE"], { message: "must be \"CLUSTER_MULTI_AZ\" or \"SINGLE_INSTANCE\"" }).default("CLUSTER_MULTI_AZ"),
}).strict().default({});

export type QueueBackendConfig = z.output<typeof queueBackendSchema>;

/**
 * Cross-field rules of `queueBackend`: prod runs a cluster; the version must run on the instance family;
 * the reference app speaks BullMQ only, so a RabbitMQ stack names api and worker images that speak AMQP.
 */
export function queueBackendIssues(b: QueueBackendConfig, environment: string, images: { api?: string; worker?: string }): Issue[] {
    const issues: Issue[] = [];
    if (b.type !== "rabbitmq") {
        return issues;
    }
    if (environment === "prod" && b.deploymentMode !== "CLUSTER_MULTI_AZ") {
        issues.push({ path: "queueBackend.deploymentMode", message: `must be "CLUSTER_MULTI_AZ" in prod (three nodes over the zones; a single instance loses queued jobs with its zone), got "${b.deploymentMode}"` });
    }
    const families = RABBITMQ_VERSION_FAMILIES[b.engineVersion];
    if (!families) {
        issues.push({ path: "queueBackend.engineVersion", message: `must be a RabbitMQ version Amazon MQ offers (${Object.keys(RABBITMQ_VERSION_FAMILIES).join(", ")}), got "${b.engineVersion}"` });
    } else if (!families.some((f) => b.instanceType.startsWith(`${f}.`))) {
        issues.push({ path: "queueBackend.instanceType", message: `RabbitMQ ${b.engineVersion} runs on ${families.join(", ")} instance types only, got "${b.instanceType}"` });
    }
    if (b.deploymentMode === "CLUSTER_MULTI_AZ" && b.instanceType === "mq.t3.micro") {
        issues.push({ path: "queueBackend.instanceType", message: "mq.t3.micro is single-instance only; use mq.m7g.large (or mq.m5.large with 3.13) for a cluster" });
    }
    for (const [key, image] of [["api.image", images.api], ["workers.image", images.worker]] as const) {
        if (!image) {
            issues.push({ path: key, message: "is required with queueBackend.type rabbitmq: the reference app (app/) speaks BullMQ only; name an image that produces/consumes over AMQP (env AMQP_URL)" });
        }
    }
    return issues;
}
