/**
 * The dev stack with seed 001's schedule (api 3 / workers 5 from 06:00 to 22:00, the night floors being the
 * small tier's api 2 and the queues' minimums): the cron floors reach the KEDA objects, which still pass the
 * KEDA v2.18.3 CRD schema, and the policy pack reports nothing new.
 */
import { assertKubernetesSchemas } from "./k8s-schema";
import { StackRun, runStack } from "./harness";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";

const SCHEDULE = {
    schedules: {
        daytime: { timezone: "Europe/Berlin", start: "06:00", end: "22:00", api: 3, queues: { notifications: 5, "sla-checks": 5 } },
    },
};

describe("dev with seed 001's day-time floors", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("dev", { scaling: SCHEDULE });
    }, 300_000);

    const scaler = (name: string): any => run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", name).inputs.spec;

    test("api: a cron trigger with the schedule next to cpu, memory and the request rate", () => {
        const api = scaler("dev-use1-api-scaler");
        expect(api.triggers.map((t: any) => t.name)).toEqual(["cpu", "memory", "request-rate", "schedule_daytime"]);
        expect(api.triggers[3]).toEqual({ type: "cron", name: "schedule_daytime", metadata: { timezone: "Europe/Berlin", start: "0 6 * * *", end: "0 22 * * *", desiredReplicas: "3" } });
        expect(api.minReplicaCount).toBe(2);
    });

    test("ws has no schedule; workers' formulas keep the floor times the threshold", () => {
        expect(scaler("dev-use1-ws-scaler").triggers.map((t: any) => t.type)).toEqual(["cpu", "memory", "aws-cloudwatch"]);
        const n = scaler("dev-use1-workers-notifications-scaler");
        expect(n.advanced.scalingModifiers).toEqual({ formula: "max(wait + prioritized, schedule_daytime * 500)", target: "500", metricType: "AverageValue" });
        expect(n.triggers.map((t: any) => t.name)).toEqual(["wait", "prioritized", "schedule_daytime"]);
        expect(scaler("dev-use1-workers-sla-checks-scaler").advanced.scalingModifiers.formula).toBe("max(wait + prioritized, schedule_daytime * 100)");
        expect(scaler("dev-use1-workers-analytics-scaler").advanced.scalingModifiers.formula).toBe("wait + prioritized");
    });

    test("every Kubernetes object passes its schema (KEDA objects against the v2.18.3 CRD fields)", () => {
        const report = assertKubernetesSchemas(run.resources);
        expect(report.validated.filter((v) => v.includes("keda.sh")).length).toBeGreaterThanOrEqual(7);
    });

    test("the policy pack reports no violation on the scaling objects", () => {
        const report = evaluatePolicies(run.resources, { config: loadPolicyConfig("dev") });
        const onScaling = report.violations.filter((v) => /scaler|hpa|aws-auth/.test(v.resourceName ?? ""));
        expect(onScaling.map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
    });
});
