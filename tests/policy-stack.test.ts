/**
 * The pack on the real prod stack: the program as `pulumi preview --stack prod` would run it, evaluated
 * offline under `config/prod.json`, has no mandatory violation; a weakened copy of the same resources
 * (replicas 1, limits removed, encryption off, ...) is caught by the expected policies.
 */
import type { RegisteredResource } from "../toolkit/offline";
import { PolicyReport, evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { allPolicies } from "../policy-pack/policies";
import { runStack } from "./harness";

let resources: RegisteredResource[];
let report: PolicyReport;
const prodConfig = loadPolicyConfig("prod");

beforeAll(async () => {
    resources = (await runStack("prod")).resources;
    report = evaluatePolicies(resources, { config: prodConfig });
}, 300_000);

function describeViolations(r: PolicyReport): string[] {
    return r.violations.map((v) => `[${v.enforcementLevel}] ${v.policyName} ${v.resourceName ?? "(stack)"}: ${v.message}`);
}

const ofType = (rs: RegisteredResource[], type: string): RegisteredResource[] => rs.filter((r) => r.type === type);

/** The first resource of `type` satisfying `pred`; fails the test with the candidates when none does. */
function find(rs: RegisteredResource[], type: string, pred: (r: RegisteredResource) => boolean = () => true): RegisteredResource {
    const r = ofType(rs, type).find(pred);
    if (!r) {
        throw new Error(`no ${type} matching the predicate; have: ${ofType(rs, type).map((x) => x.name).join(", ") || "none"}`);
    }
    return r;
}

const k8sNamed = (name: string) => (r: RegisteredResource): boolean => r.inputs.metadata?.name === name && r.name.includes("use1");

describe("prod under config/prod.json", () => {
    it("has no mandatory violation", () => {
        expect(describeViolations(report).filter((v) => v.startsWith("[mandatory]"))).toEqual([]);
        expect(report.mandatoryCount).toBe(0);
    });

    it("evaluates every policy at the mandatory level", () => {
        expect(report.policies.map((p) => p.name)).toEqual(allPolicies.map((p) => p.name));
        expect(new Set(report.policies.map((p) => p.enforcementLevel))).toEqual(new Set(["mandatory"]));
    });

    it("contains what the policies judge, so the clean report is not vacuous", () => {
        const types = new Set(resources.map((r) => r.type));
        for (const t of [
            "kubernetes:apps/v1:Deployment", "kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:policy/v1:PodDisruptionBudget",
            "aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate", "aws:rds/instance:Instance",
            "aws:elasticache/replicationGroup:ReplicationGroup", "aws:lb/listener:Listener", "aws:lb/loadBalancer:LoadBalancer",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:route53/record:Record", "aws:s3/bucket:Bucket",
        ]) {
            expect({ type: t, present: types.has(t) }).toEqual({ type: t, present: true });
        }
        // The spot pool is recognised as spot and the api/ws workloads as critical: the clean result is earned.
        const workersAsg = find(resources, "aws:autoscaling/group:Group", (r) => r.inputs.mixedInstancesPolicy?.instancesDistribution?.onDemandPercentageAboveBaseCapacity === 0);
        expect(workersAsg.inputs.minSize).toBe(0);
    });
});

describe("a weakened copy of prod", () => {
    let weakened: RegisteredResource[];
    let weakReport: PolicyReport;
    const expected: Record<string, string> = {};

    beforeAll(() => {
        weakened = JSON.parse(JSON.stringify(resources));
        const weaken = (policy: string, r: RegisteredResource, change: (inputs: any) => void): void => {
            change(r.inputs);
            expected[`${policy} ${r.name}`] = policy;
        };

        const api = find(weakened, "kubernetes:apps/v1:Deployment", k8sNamed("api"));
        weaken("deployment-min-replicas", api, (i) => { i.spec.replicas = 1; });
        weaken("critical-workloads-not-on-spot", api, (i) => { i.spec.template.spec.nodeSelector = { "node-type": "spot" }; });
        expected[`spot-workloads-tolerate-taint ${api.name}`] = "spot-workloads-tolerate-taint";
        // api/ws scale through KEDA ScaledObjects (issue 19): the floor of the CPU-scaled one is still checked.
        weaken("hpa-replica-bounds", find(weakened, "kubernetes:keda.sh/v1alpha1:ScaledObject", k8sNamed("api")), (i) => { i.spec.minReplicaCount = 1; });
        // An HPA added next to the api's ScaledObject: the two would fight over spec.replicas.
        const apiScaler = find(weakened, "kubernetes:keda.sh/v1alpha1:ScaledObject", k8sNamed("api"));
        const rogueName = `${apiScaler.name}-rogue-hpa`;
        const rogueInputs = { metadata: { ...apiScaler.inputs.metadata, name: "api-extra" }, spec: { scaleTargetRef: apiScaler.inputs.spec.scaleTargetRef, minReplicas: 5, maxReplicas: 20 } };
        const rogue: RegisteredResource = {
            ...JSON.parse(JSON.stringify(apiScaler)),
            type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            name: rogueName,
            urn: apiScaler.urn.replace("keda.sh/v1alpha1:ScaledObject", "autoscaling/v2:HorizontalPodAutoscaler").replace(/::[^:]+$/, `::${rogueName}`),
            inputs: rogueInputs,
            state: rogueInputs,
        };
        weakened.push(rogue);
        expected[`one-autoscaler-per-workload ${rogue.name}`] = "one-autoscaler-per-workload";

        const ws = find(weakened, "kubernetes:apps/v1:Deployment", k8sNamed("ws"));
        weaken("container-resources-declared", ws, (i) => { delete i.spec.template.spec.containers[0].resources.limits; });
        const wsPdb = find(weakened, "kubernetes:policy/v1:PodDisruptionBudget", k8sNamed("ws"));
        weakened.splice(weakened.indexOf(wsPdb), 1);
        expected[`pdb-for-replicated-deployments ${ws.name}`] = "pdb-for-replicated-deployments";

        const primary = find(weakened, "aws:rds/instance:Instance", (r) => !r.inputs.replicateSourceDb);
        weaken("rds-storage-encrypted", primary, (i) => { i.storageEncrypted = false; });
        weaken("rds-not-public", primary, (i) => { i.publiclyAccessible = true; });
        weaken("rds-deletion-protection", primary, (i) => { i.deletionProtection = false; });

        weaken("elasticache-encrypted", find(weakened, "aws:elasticache/replicationGroup:ReplicationGroup"), (i) => { i.transitEncryptionEnabled = false; });
        weaken("imdsv2-required", find(weakened, "aws:ec2/launchTemplate:LaunchTemplate"), (i) => { i.metadataOptions = { httpTokens: "optional" }; });
        weaken("alb-listener-https", find(weakened, "aws:lb/listener:Listener", (r) => r.inputs.protocol === "HTTP"), (i) => {
            i.defaultActions = [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:tg" }];
        });

        // The general pool is one ASG per zone (min 1 each in prod); the policy holds for their sum, so
        // emptying every zone's minimum of one region's pool is the violation (reported on its first group).
        const general = find(weakened, "aws:autoscaling/group:Group", (r) => r.inputs.mixedInstancesPolicy?.instancesDistribution?.onDemandPercentageAboveBaseCapacity !== 0);
        const generalZones = weakened.filter((r) => r.type === general.type && r.parent === general.parent);
        expect(generalZones.length).toBe(3);
        generalZones.forEach((r) => { r.inputs.minSize = 0; });
        expected[`on-demand-node-pool-min-size ${general.name}`] = "on-demand-node-pool-min-size";
        const spot = find(weakened, "aws:autoscaling/group:Group", (r) => r.inputs.mixedInstancesPolicy?.instancesDistribution?.onDemandPercentageAboveBaseCapacity === 0);
        weaken("spot-pool-instance-diversity", spot, (i) => { i.mixedInstancesPolicy.launchTemplate.overrides = i.mixedInstancesPolicy.launchTemplate.overrides.slice(0, 1); });

        weaken("route53-weighted-health-check", find(weakened, "aws:route53/record:Record", (r) => Boolean(r.inputs.weightedRoutingPolicies && r.inputs.healthCheckId)), (i) => { delete i.healthCheckId; });

        const bucket = find(weakened, "aws:s3/bucket:Bucket");
        const pab = find(weakened, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", (r) => r.dependencies.includes(bucket.urn));
        weakened.splice(weakened.indexOf(pab), 1);
        expected[`s3-bucket-public-access-block ${bucket.name}`] = "s3-bucket-public-access-block";

        const rule = find(weakened, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", (r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
        weaken("security-group-public-ingress", rule, (i) => { i.fromPort = 22; i.toPort = 22; });

        weakReport = evaluatePolicies(weakened, { config: prodConfig });
    });

    it("is caught by the expected policies, on the weakened resources", () => {
        const caught = new Set(weakReport.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}`));
        for (const key of Object.keys(expected)) {
            expect({ key, caught: caught.has(key) }).toEqual({ key, caught: true });
        }
    });

    it("reports nothing beyond what was weakened (and what prod itself reports)", () => {
        const baseline = new Set(report.violations.map((v) => `${v.policyName} ${v.resourceName} ${v.message}`));
        const unexpected = weakReport.violations.filter((v) => !expected[`${v.policyName} ${v.resourceName}`] && !baseline.has(`${v.policyName} ${v.resourceName} ${v.message}`));
        expect(unexpected.map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`)).toEqual([]);
    });

    it("names the problem in each message", () => {
        const messages = weakReport.violations.map((v) => v.message);
        for (const m of [
            /Deployment scaled-web\/api \(.*\) must run at least 2 replicas, got spec\.replicas = 1/,
            /ScaledObject scaled-web\/api .*must keep minReplicas >= 2, got 1/,
            /HorizontalPodAutoscaler scaled-web\/api-extra .*and ScaledObject scaled-web\/api .*both scale Deployment scaled-web\/api/,
            /Deployment scaled-web\/ws .*must declare resources\.limits\.cpu, resources\.limits\.memory/,
            /must set storageEncrypted: true, got false/,
            /must set transitEncryptionEnabled: true/,
            /must require IMDSv2/,
            /must not open tcp 22-22 to 0\.0\.0\.0\/0/,
        ]) {
            expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(m)]));
        }
    });
});
