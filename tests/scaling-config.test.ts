/**
 * Stack config `scaled-web:scaling` (platform/scaling-config.ts): request-rate and connection targets,
 * replica schedules as KEDA cron triggers, and what a bad schedule is told.
 */
import { parseConfig } from "../platform/config";
import { configMessageOf } from "./config-fixtures";
import { daySet } from "../platform/scaling-config";

/** A minimal valid prod config (large tier: api/ws floors 3, ceilings 20). */
function base(scaling?: unknown): any {
    return {
        environment: "prod",
        tier: "large",
        domain: "example.com",
        regions: { "us-east-1": { role: "primary", weight: 100 } },
        api: { image: "registry.example.com/team/api:1.0.0" },
        ws: { image: "registry.example.com/team/ws:1.0.0" },
        workers: { image: "registry.example.com/team/worker:1.0.0" },
        // prod names its node AMI and cluster admins (platform/cluster-ops-config.ts).
        cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
        ...(scaling === undefined ? {} : { scaling }),
    };
}

const messageOf = (raw: unknown): string => configMessageOf(raw, "prod");

/** Seed 001 (api 3 / workers 5 by day, api 1 / workers 2 at night) scaled to the large tier, whose floors are the night values. */
const SEED_001 = {
    daytime: { timezone: "Europe/Berlin", start: "06:00", end: "22:00", api: 8, ws: 6, queues: { notifications: 5, "sla-checks": 4 } },
};

describe("scaling: defaults and the documented example", () => {
    test("seed values by default: 1000 r/s and 10000 connections per pod, no schedules", () => {
        const c = parseConfig(base(), "prod");
        expect(c.scaling).toEqual({ requestsPerSecondPerPod: 1000, connectionsPerPod: 10000, api: [], ws: [], queues: {}, nodePools: {} });
    });

    test("per-stack targets", () => {
        const c = parseConfig(base({ requestsPerSecondPerPod: 400, connectionsPerPod: 2500 }), "prod");
        expect([c.scaling.requestsPerSecondPerPod, c.scaling.connectionsPerPod]).toEqual([400, 2500]);
    });

    test("a schedule becomes one cron floor per target, in KEDA's 5-field form", () => {
        const c = parseConfig(base({ schedules: SEED_001 }), "prod");
        const cron = { name: "daytime", timezone: "Europe/Berlin", start: "0 6 * * *", end: "0 22 * * *" };
        expect(c.scaling.api).toEqual([{ ...cron, desiredReplicas: 8 }]);
        expect(c.scaling.ws).toEqual([{ ...cron, desiredReplicas: 6 }]);
        expect(c.scaling.queues).toEqual({ notifications: [{ ...cron, desiredReplicas: 5 }], "sla-checks": [{ ...cron, desiredReplicas: 4 }] });
    });

    test("node pools follow a schedule: the window's floor becomes the pool's ASG scheduled minimum", () => {
        const c = parseConfig(base({ schedules: { daytime: { ...SEED_001.daytime, days: "1-5", nodePools: { general: 9, workers: 4 } } } }), "prod");
        const cron = { name: "daytime", timezone: "Europe/Berlin", start: "0 6 * * 1-5", end: "0 22 * * 1-5" };
        expect(c.scaling.nodePools).toEqual({ general: [{ ...cron, minSize: 9 }], workers: [{ ...cron, minSize: 4 }] });
    });

    test("days and minutes go into the cron fields; disjoint windows on the same target are fine", () => {
        const c = parseConfig(base({
            schedules: {
                weekdays: { timezone: "UTC", start: "07:30", end: "19:45", days: "1-5", api: 10 },
                weekend: { timezone: "UTC", start: "07:30", end: "19:45", days: "0,6", api: 7 },
            },
        }), "prod");
        expect(c.scaling.api.map((s) => [s.start, s.end, s.desiredReplicas])).toEqual([["30 7 * * 1-5", "45 19 * * 1-5", 10], ["30 7 * * 0,6", "45 19 * * 0,6", 7]]);
        expect([...daySet("1-3,5")]).toEqual([1, 2, 3, 5]);
    });
});

describe("scaling: bad schedules are config errors naming the stack key", () => {
    test.each<[string, unknown, RegExp]>([
        ["an unknown time zone", { day: { ...SEED_001.daytime, timezone: "Mars/Olympus" } }, /scaled-web:scaling\.schedules\.day\.timezone: must be an IANA time zone .*got "Mars\/Olympus"/],
        ["a window over midnight", { night: { timezone: "UTC", start: "22:00", end: "06:00", api: 8 } }, /scaled-web:scaling\.schedules\.night\.end: must be after start \(22:00\) on the same day, got "06:00"/],
        ["a time that is not HH:MM", { day: { timezone: "UTC", start: "6am", end: "22:00", api: 8 } }, /scaled-web:scaling\.schedules\.day\.start: must be a time "HH:MM"/],
        ["an api floor above its ceiling", { day: { timezone: "UTC", start: "06:00", end: "22:00", api: 21 } }, /scaled-web:scaling\.schedules\.day\.api: must be <= the api ceiling \(20\), got 21/],
        ["an api floor that is not above the replica floor", { day: { timezone: "UTC", start: "06:00", end: "22:00", api: 3 } }, /scaled-web:scaling\.schedules\.day\.api: must be above the api replica floor \(3\) to have an effect, got 3/],
        ["a queue floor above its ceiling", { day: { timezone: "UTC", start: "06:00", end: "22:00", queues: { analytics: 4 } } }, /scaled-web:scaling\.schedules\.day\.queues\.analytics: must be <= the queue analytics ceiling \(3\), got 4/],
        ["an unknown queue", { day: { timezone: "UTC", start: "06:00", end: "22:00", queues: { billing: 4 } } }, /scaled-web:scaling\.schedules\.day\.queues\.billing: "billing" is not a queue of this stack/],
        ["a schedule without floors", { day: { timezone: "UTC", start: "06:00", end: "22:00" } }, /scaled-web:scaling\.schedules\.day: sets no floor/],
        ["a schedule name that is not a DNS label", { Day: { timezone: "UTC", start: "06:00", end: "22:00", api: 8 } }, /scaled-web:scaling\.schedules\.Day: schedule name "Day" must be a DNS label/],
        ["a bad days field", { day: { timezone: "UTC", start: "06:00", end: "22:00", days: "mon-fri", api: 8 } }, /scaled-web:scaling\.schedules\.day\.days: must be a cron day-of-week field/],
        ["an unknown node pool", { day: { timezone: "UTC", start: "06:00", end: "22:00", nodePools: { gpu: 4 } } }, /scaled-web:scaling\.schedules\.day\.nodePools\.gpu: "gpu" is not a node pool of this stack \(.*general.*\)/],
        ["a node floor above the pool's maxSize", { day: { timezone: "UTC", start: "06:00", end: "22:00", nodePools: { general: 1000 } } }, /scaled-web:scaling\.schedules\.day\.nodePools\.general: must be <= the node pool general \(minSize\/maxSize\) ceiling \(\d+\), got 1000/],
        ["a node floor not above the pool's minSize", { day: { timezone: "UTC", start: "06:00", end: "22:00", nodePools: { general: 1 } } }, /scaled-web:scaling\.schedules\.day\.nodePools\.general: must be above the node pool general \(minSize\/maxSize\) replica floor/],
        ["a zero floor", { day: { timezone: "UTC", start: "06:00", end: "22:00", ws: 0 } }, /scaled-web:scaling\.schedules\.day\.ws: must be >= 1/],
    ])("%s", (_what, schedules, message) => {
        expect(messageOf(base({ schedules }))).toMatch(message);
    });

    test("overlapping windows for the same target on a shared day are refused, naming both", () => {
        const msg = messageOf(base({
            schedules: {
                morning: { timezone: "UTC", start: "06:00", end: "12:00", days: "1-5", api: 8 },
                lunch: { timezone: "UTC", start: "11:00", end: "14:00", days: "5", api: 10 },
            },
        }));
        expect(msg).toMatch(/scaled-web:scaling\.schedules\.lunch: overlaps "morning" \(06:00-12:00 vs 11:00-14:00 on day\(s\) 5\) for api/);
    });

    test("schedules that share a target must share a time zone (so overlaps are decidable)", () => {
        const msg = messageOf(base({
            schedules: {
                a: { timezone: "UTC", start: "06:00", end: "12:00", queues: { notifications: 4 } },
                b: { timezone: "Europe/Berlin", start: "13:00", end: "14:00", queues: { notifications: 6 } },
            },
        }));
        expect(msg).toMatch(/scaled-web:scaling\.schedules\.b\.timezone: must equal the time zone of "a" \(UTC\), which also sets queues\.notifications/);
    });

    test("node-pool windows overlap like replica windows", () => {
        const msg = messageOf(base({
            schedules: {
                morning: { timezone: "UTC", start: "06:00", end: "12:00", nodePools: { general: 9 } },
                noon: { timezone: "UTC", start: "11:00", end: "14:00", nodePools: { general: 10 } },
            },
        }));
        expect(msg).toMatch(/scaled-web:scaling\.schedules\.noon: overlaps "morning" .* for nodePools\.general/);
    });

    test("touching windows (one ends when the next starts) and different targets do not overlap", () => {
        expect(() => parseConfig(base({
            schedules: {
                a: { timezone: "UTC", start: "06:00", end: "12:00", api: 8 },
                b: { timezone: "UTC", start: "12:00", end: "18:00", api: 9 },
                c: { timezone: "Asia/Tokyo", start: "08:00", end: "10:00", ws: 7 },
            },
        }), "prod")).not.toThrow();
    });

    test("unknown keys and bad targets", () => {
        expect(messageOf(base({ requestsPerSecond: 10 }))).toMatch(/scaled-web:scaling/);
        expect(messageOf(base({ requestsPerSecondPerPod: 0 }))).toMatch(/scaled-web:scaling\.requestsPerSecondPerPod: must be >= 1/);
    });
});
