/**
 * The offline toolkit: everything that proves a stack without a cloud account or the Pulumi CLI.
 *
 * - `runOffline` runs a Pulumi program under the mock runtime and returns what it registered;
 * - `evaluatePolicies` / `evaluatePoliciesAsync` judge those resources with the policy pack, as
 *   CrossGuard would, under a stack's policy config (`loadPolicyConfig`: `config/<stack>.json`, else
 *   `config/<environment>.json`; `locatePolicyConfig` also says which file);
 * - `buildPlanReport`, `renderText` and `renderMarkdown` make the report `npm run plan` prints;
 * - `PolicyPackProcess` starts a policy pack as the Pulumi CLI does and drives it over the Analyzer gRPC
 *   protocol (`evaluate` returns the same `PolicyReport` shape as `evaluatePolicies`).
 *
 * `runOffline(..., { preview: true })` and `evaluatePolicies(..., { preview: true })` reproduce a first
 * `pulumi preview`: unknown values (`UNKNOWN`), and policies that cannot decide on them (`undecidable`).
 *
 * The toolkit depends on the library (`components/`), the reference program's config types
 * (`platform/config.ts`) and the policy pack (`policy-pack/policies`); none of those import it.
 */
export { MOCK_ACCOUNT_ID, StackFileError, UNKNOWN, readStackConfig, runOffline, withInputs } from "./offline";
export type { OfflineOptions, OfflineRun, RegisteredResource } from "./offline";
export {
    CONFIG_DIR as POLICY_CONFIG_DIR, DEFAULT_PACK, PolicyConfigError, PolicyConfigNotFoundError, evaluatePolicies, evaluatePoliciesAsync, loadPolicyConfig,
    locatePolicyConfig,
} from "./policy-runner";
export type { EvaluateOptions, LocatedPolicyConfig, PolicyConfigLookup, PolicyPackConfigFile, PolicyPackDefinition } from "./policy-runner";
export type { EnforcementLevel, PolicyReport, PolicyViolation, UndecidablePolicy } from "./report-types";
export { buildPlanReport, money, renderMarkdown, renderText } from "./report";
export { DEFAULT_PACK_DIR, PolicyPackProcess, reconcileConfig } from "./analyzer-client";
export type {
    AnalyzerDiagnostic, AnalyzerInfoSummary, AnalyzerPolicyInfo, PackLog, PolicyPackProcessOptions, ProtocolEvaluateOptions, ResolvedAnalyzerConfig,
} from "./analyzer-client";
export type { PlanInput, PlanReport } from "./report";
