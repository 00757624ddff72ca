import { runStack } from "./harness";
import { evaluatePolicies, loadPolicyConfig } from "../policy-pack/runner";

test("scratch dev", async () => {
    const t0 = Date.now();
    const run = await runStack("dev");
    const t1 = Date.now();
    const report = evaluatePolicies(run.resources, { config: loadPolicyConfig("dev") });
    console.log(`run ${t1 - t0} ms, eval ${Date.now() - t1} ms, ${run.resources.length} resources`);
    console.log(report.violations.map((v) => `${v.enforcementLevel} ${v.policyName}: ${v.message}`).join("\n"));
    const prod = evaluatePolicies(run.resources, { config: loadPolicyConfig("prod") });
    console.log("DEV UNDER PROD:\n" + prod.violations.map((v) => `${v.enforcementLevel} ${v.policyName}: ${v.message}`).join("\n"));
}, 300000);
