/**
 * Offline CrossGuard: evaluates the pack's policies on the resources a mocked run registered, the way
 * the Pulumi engine evaluates them during `pulumi preview --policy-pack`, without the CLI or a server.
 *
 * What it reproduces from the engine and `@pulumi/policy`:
 * - effective enforcement level: the policy's own, else the pack's; then the config file's `"all"`, then
 *   the config's per-policy level; `disabled` skips the policy; `remediate` violations count as mandatory;
 * - policy config: JSON-schema `default`s of each policy's `configSchema`, overlaid (shallowly, per
 *   property) by the config file, then validated against the schema;
 * - `validateResourceOfType`: a validation only runs on resources whose type token equals the class's
 *   `__pulumiType`; `args.isType` / `asType` compare the same way; `args.notApplicable()` skips quietly;
 * - stack policies get every resource with `parent`, `dependencies`, `propertyDependencies` and `provider`
 *   resolved to objects;
 * - every `props` (resources, stack resources, providers) is wrapped in `@pulumi/policy`'s
 *   `unknownCheckingProxy`, as its server does; a validation that reads an unknown value throws
 *   `UnknownValueError`, which is not a violation but an entry of `PolicyReport.undecidable` (the server
 *   reports it as an advisory "can't run policy ... during preview" diagnostic).
 *
 * Differences, on purpose: outside preview mode stack policies see each resource's inputs, not its
 * outputs as the engine gives them (`stackProperties`; resource policies get inputs in both); and the
 * config is checked more strictly
 * than the CLI does (unknown policy names and unknown properties are errors, so a typo in
 * `config/prod.json` cannot silently loosen a guardrail).
 */
import * as fs from "fs";
import * as path from "path";
import type {
    Policies, PolicyConfigSchema, PolicyResource, PolicyResourceOptions, ReportViolation,
    ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { RegisteredResource } from "./offline";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, allPolicies } from "../policy-pack/policies";
import { RESOURCE_TYPES } from "../policy-pack/policies/common";
import { EnforcementLevel, PolicyReport, PolicyViolation, UndecidablePolicy } from "./report-types";

export type { EnforcementLevel, PolicyReport, PolicyViolation, UndecidablePolicy } from "./report-types";

/**
 * `@pulumi/policy/proxy`: the proxy its server wraps every `props` in, and the error it throws on an
 * unknown value. Both are `@internal` (absent from the .d.ts), hence the typed require.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T extends object>(target: T): T;
    UnknownValueError: new (...args: any[]) => Error;
};
const { unknownCheckingProxy, UnknownValueError } = policyProxy;

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Directory of the per-stack `--policy-pack-config` files (`policy-pack/config`, also from a `dist/` build). */
export const CONFIG_DIR = [path.resolve(__dirname, "..", "policy-pack", "config"), path.resolve(__dirname, "..", "..", "policy-pack", "config")].find((d) => fs.existsSync(d)) ??
    path.resolve(__dirname, "..", "policy-pack", "config");

/** A pack to evaluate: this project's by default, or any other set of CrossGuard policies. */
export interface PolicyPackDefinition {
    readonly name: string;
    /** Level of policies that do not set one. @default "advisory" (as `new PolicyPack`) */
    readonly enforcementLevel?: EnforcementLevel;
    readonly policies: Policies;
}

/**
 * The JSON of a `--policy-pack-config` file: per policy name (or `"all"`) an enforcement level, or an
 * object with an optional `enforcementLevel` and the policy's config properties.
 */
export type PolicyPackConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface EvaluateOptions {
    /** Parsed `--policy-pack-config` JSON (e.g. from `loadPolicyConfig("prod")`). */
    readonly config?: object;
    /** @default this project's pack (`policies/index.ts`) */
    readonly pack?: PolicyPackDefinition;
    /** Stack tags the policies see as `args.stackTags`. */
    readonly stackTags?: Readonly<Record<string, string>>;
    /**
     * The resources come from a preview (`runOffline(..., { preview: true })`): values not known yet are
     * the unknown sentinel, and stack policies see outputs (see `stackProperties`). @default false
     */
    readonly preview?: boolean;
    /**
     * What stack policies see as a resource's `props`: its `state` (outputs, as the engine's AnalyzeStack
     * sends them: pkg/resource/deploy/step_generator.go `AnalyzeResources` uses `v.Outputs`) or its
     * `inputs`. @default "outputs" in preview mode, else "inputs" (mutation tests edit inputs)
     */
    readonly stackProperties?: "outputs" | "inputs";
}

/** The effective config of one policy after defaults, `all` and per-policy overrides. */
export interface ResolvedPolicyConfig {
    readonly enforcementLevel: EnforcementLevel;
    readonly properties: Readonly<Record<string, unknown>>;
}

/** A config file that cannot be applied: every problem, one per line. */
export class PolicyConfigError extends Error {
    constructor(public readonly problems: readonly string[]) {
        super(`Invalid policy pack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "PolicyConfigError";
    }
}

/** The pack `policy-pack/index.ts` serves. */
export const DEFAULT_PACK: PolicyPackDefinition = { name: PACK_NAME, enforcementLevel: PACK_ENFORCEMENT_LEVEL, policies: allPolicies };

/** Where to look for a stack's policy config: its environment (`scaled-web:environment`) and the directory. */
export interface PolicyConfigLookup {
    /** The stack's environment; `config/<environment>.json` is the fallback when the stack has no file of its own. */
    readonly environment?: string;
    /** @default `CONFIG_DIR` (`policy-pack/config`) */
    readonly dir?: string;
}

/** The policy config a stack resolved to, and which file it came from. */
export interface LocatedPolicyConfig {
    readonly config: PolicyPackConfigFile;
    /** Absolute path of the file read. */
    readonly file: string;
    /** `stack`: `config/<stack>.json`; `environment`: `config/<environment>.json` (the stack has no file of its own). */
    readonly matchedBy: "stack" | "environment";
}

/** Neither `config/<stack>.json` nor `config/<environment>.json` exists; `tried` lists the paths looked at. */
export class PolicyConfigNotFoundError extends Error {
    constructor(public readonly stack: string, public readonly tried: readonly string[], available: readonly string[], environment?: string) {
        const envHint = environment === undefined ? " (no environment given, so no environment fallback was tried)" : "";
        const create = tried.length > 1 ? `${tried[0]} (this stack only) or ${tried[1]} (every stack whose environment is "${environment}")` : tried[0];
        super(`No policy config for stack "${stack}": tried ${tried.join(" and ")}${envHint}; configs there: ${available.join(", ") || "none"}. ` +
            `Fix: create ${create} in the --policy-pack-config format, e.g. a copy of one of those configs.`);
        this.name = "PolicyConfigNotFoundError";
    }
}

/**
 * Finds a stack's `--policy-pack-config` file: `config/<stack>.json`, else `config/<environment>.json`
 * (so a new stack such as a copy of prod under another name gets its environment's guardrails), else
 * throws `PolicyConfigNotFoundError` naming both paths.
 */
export function locatePolicyConfig(stack: string, lookup: PolicyConfigLookup = {}): LocatedPolicyConfig {
    const dir = lookup.dir ?? CONFIG_DIR;
    const candidates: { file: string; matchedBy: LocatedPolicyConfig["matchedBy"] }[] = [{ file: path.join(dir, `${stack}.json`), matchedBy: "stack" }];
    if (lookup.environment !== undefined && lookup.environment !== stack) {
        candidates.push({ file: path.join(dir, `${lookup.environment}.json`), matchedBy: "environment" });
    }
    const found = candidates.find((c) => fs.existsSync(c.file));
    if (!found) {
        const available = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort() : [];
        throw new PolicyConfigNotFoundError(stack, candidates.map((c) => c.file), available, lookup.environment);
    }
    try {
        return { config: JSON.parse(fs.readFileSync(found.file, "utf8")) as PolicyPackConfigFile, file: found.file, matchedBy: found.matchedBy };
    } catch (e) {
        throw new Error(`${found.file} is not valid JSON: ${(e as Error).message}`);
    }
}

/**
 * Reads a stack's policy config: `policy-pack/config/<stack>.json`, else `config/<environment>.json` when
 * `lookup.environment` is given (see `locatePolicyConfig`, which also says which file was used). A string
 * second argument is the directory (the former signature).
 */
export function loadPolicyConfig(stack: string, lookup: PolicyConfigLookup | string = {}): PolicyPackConfigFile {
    return locatePolicyConfig(stack, typeof lookup === "string" ? { dir: lookup } : lookup).config;
}

// ---------------------------------------------------------------------------------------------
// Config: defaults, "all", overrides, schema validation
// ---------------------------------------------------------------------------------------------

function isLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

function clone<T>(v: T): T {
    return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

function typeOfJson(v: unknown): string {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "array";
    }
    if (typeof v === "number") {
        return Number.isInteger(v) ? "integer" : "number";
    }
    return typeof v;
}

/**
 * Validates `value` against the JSON-schema subset CrossGuard config schemas use: type, enum, const,
 * numeric and length bounds, pattern, items, properties, required, additionalProperties.
 */
export function validateAgainstSchema(value: unknown, schema: PolicyConfigJSONSchema | boolean, at: string): string[] {
    if (schema === true) {
        return [];
    }
    if (schema === false) {
        return [`${at} is not allowed`];
    }
    const problems: string[] = [];
    const actual = typeOfJson(value);
    if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
        if (!ok) {
            return [`${at} must be ${types.join(" or ")}, got ${actual} ${JSON.stringify(value)}`];
        }
    }
    if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
        problems.push(`${at} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(value)}`);
    }
    if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) {
        problems.push(`${at} must be ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
    }
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) {
            problems.push(`${at} must be >= ${schema.minimum}, got ${value}`);
        }
        if (schema.maximum !== undefined && value > schema.maximum) {
            problems.push(`${at} must be <= ${schema.maximum}, got ${value}`);
        }
        if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
            problems.push(`${at} must be > ${schema.exclusiveMinimum}, got ${value}`);
        }
        if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
            problems.push(`${at} must be < ${schema.exclusiveMaximum}, got ${value}`);
        }
    }
    if (typeof value === "string") {
        if (schema.minLength !== undefined && value.length < schema.minLength) {
            problems.push(`${at} must be at least ${schema.minLength} characters, got ${JSON.stringify(value)}`);
        }
        if (schema.maxLength !== undefined && value.length > schema.maxLength) {
            problems.push(`${at} must be at most ${schema.maxLength} characters, got ${JSON.stringify(value)}`);
        }
        if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
            problems.push(`${at} must match /${schema.pattern}/, got ${JSON.stringify(value)}`);
        }
    }
    if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) {
            problems.push(`${at} must have at least ${schema.minItems} items, got ${value.length}`);
        }
        if (schema.maxItems !== undefined && value.length > schema.maxItems) {
            problems.push(`${at} must have at most ${schema.maxItems} items, got ${value.length}`);
        }
        if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
            problems.push(`${at} must not repeat items`);
        }
        if (schema.items !== undefined) {
            value.forEach((item, i) => {
                const itemSchema = Array.isArray(schema.items) ? (schema.items[i] ?? schema.additionalItems ?? true) : schema.items!;
                problems.push(...validateAgainstSchema(item, itemSchema as PolicyConfigJSONSchema | boolean, `${at}[${i}]`));
            });
        }
    }
    if (actual === "object") {
        problems.push(...validateObject(value as Record<string, unknown>, schema.properties ?? {}, schema.required ?? [], schema.additionalProperties ?? true, at));
    }
    return problems;
}

function validateObject(
    value: Record<string, unknown>, properties: Record<string, PolicyConfigJSONSchema | boolean>, required: readonly string[],
    additional: PolicyConfigJSONSchema | boolean, at: string,
): string[] {
    const problems: string[] = [];
    for (const key of required) {
        if (value[key] === undefined) {
            problems.push(`${at}.${key} is required`);
        }
    }
    for (const [key, v] of Object.entries(value)) {
        const s = properties[key] ?? additional;
        problems.push(...(s === false ? [`${at}.${key} is not a known property (known: ${Object.keys(properties).join(", ") || "none"})`] : validateAgainstSchema(v, s, `${at}.${key}`)));
    }
    return problems;
}

function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema?.properties ?? {})) {
        if (s && typeof s === "object" && s.default !== undefined) {
            out[k] = clone(s.default);
        }
    }
    return out;
}

/**
 * The effective enforcement level and config properties of every policy of `pack` under `config`
 * (the engine's order: schema defaults, then `"all"`, then per-policy entries). Throws
 * `PolicyConfigError` listing every problem with the config file.
 */
export function resolvePolicyConfig(pack: PolicyPackDefinition, config: object = {}): Map<string, ResolvedPolicyConfig> {
    const problems: string[] = [];
    const packLevel = pack.enforcementLevel ?? "advisory";
    const result = new Map<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }>();
    for (const p of pack.policies) {
        if (p.name === "all") {
            problems.push("a policy may not be named \"all\" (reserved)");
        }
        result.set(p.name, { enforcementLevel: p.enforcementLevel ?? packLevel, properties: schemaDefaults(p.configSchema) });
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError([`the config must be a JSON object keyed by policy name, got ${typeOfJson(config)}`]);
    }

    // Parse entries: "name": "level" or "name": { enforcementLevel?, ...properties }.
    const entries: [string, EnforcementLevel | undefined, Record<string, unknown>][] = [];
    for (const [name, raw] of Object.entries(config as Record<string, unknown>)) {
        if (typeof raw === "string") {
            if (!isLevel(raw)) {
                problems.push(`${name}: "${raw}" is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
                continue;
            }
            entries.push([name, raw, {}]);
        } else if (raw && typeof raw === "object" && !Array.isArray(raw)) {
            const { enforcementLevel, ...props } = raw as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                problems.push(`${name}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
                continue;
            }
            entries.push([name, enforcementLevel as EnforcementLevel | undefined, props]);
        } else {
            problems.push(`${name}: must be an enforcement level or an object, got ${typeOfJson(raw)}`);
        }
    }

    const all = entries.find(([name]) => name === "all");
    if (all) {
        if (Object.keys(all[2]).length > 0) {
            problems.push(`all: only "enforcementLevel" applies to every policy; move ${Object.keys(all[2]).join(", ")} under a policy name`);
        }
        if (all[1]) {
            for (const r of result.values()) {
                r.enforcementLevel = all[1];
            }
        }
    }
    for (const [name, level, props] of entries) {
        if (name === "all") {
            continue;
        }
        const r = result.get(name);
        if (!r) {
            problems.push(`${name}: no such policy in pack "${pack.name}"`);
            continue;
        }
        if (level) {
            r.enforcementLevel = level;
        }
        Object.assign(r.properties, clone(props));
    }

    for (const p of pack.policies) {
        const r = result.get(p.name)!;
        const schema = p.configSchema;
        if (!schema) {
            const extra = Object.keys(r.properties);
            if (extra.length > 0) {
                problems.push(`${p.name}: takes no config properties, got ${extra.join(", ")}`);
            }
            continue;
        }
        problems.push(...validateObject(r.properties, schema.properties ?? {}, schema.required ?? [], false, p.name));
    }
    if (problems.length > 0) {
        throw new PolicyConfigError(problems);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

function pulumiTypeOf(x: unknown): string | undefined {
    const t = (x as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

/**
 * Whether a validation can apply to a resource of `type`: one carrying a Pulumi type (`validateResourceOfType`)
 * or a list of them (`validateResourceOfTypes`) is not applicable to any other type, which the server finds
 * out by calling it (or, for the first, without calling it); the outcome, no violation, is the same.
 */
function appliesTo(validation: unknown, type: string): boolean {
    const token = pulumiTypeOf(validation);
    if (token) {
        return token === type;
    }
    const types = (validation as Record<string, unknown> | undefined)?.[RESOURCE_TYPES];
    return Array.isArray(types) ? types.includes(type) : true;
}

/** `validateResourceOfType` semantics: compare the type token with the class's `__pulumiType` (or `isInstance`). */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const token = pulumiTypeOf(resourceClass);
    if (token) {
        return type === token;
    }
    const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean })?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/** Splits a provider reference `urn::id` into its URN. */
function providerUrn(ref: string | undefined): string | undefined {
    if (!ref) {
        return undefined;
    }
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

function nameFromUrn(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

function typeFromUrn(urn: string): string {
    const parts = urn.split("::");
    return (parts[parts.length - 2] ?? "").split("$").pop() ?? "";
}

export interface EvalResource {
    readonly source: RegisteredResource;
    readonly policyResource: PolicyResource;
    readonly opts: PolicyResourceOptions;
}

/** A fresh copy of `props` behind `@pulumi/policy`'s unknown-checking proxy, as its server hands them out. */
function proxied(props: Record<string, any> | undefined): any {
    return unknownCheckingProxy(clone(props ?? {}));
}

/** A resource's options as the engine passes them to policies. */
function policyOptions(r: RegisteredResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent: r.parent,
    };
}

/**
 * The engine's view of the registered resources for stack policies: props from `stackProperties`
 * (inputs unless told otherwise), behind the unknown-checking proxy, links resolved to objects.
 */
export function toPolicyResources(resources: readonly RegisteredResource[], stackProperties: "outputs" | "inputs" = "inputs"): EvalResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const out: EvalResource[] = resources.map((r) => {
        const props = proxied(stackProperties === "outputs" ? r.state : r.inputs);
        const opts = policyOptions(r);
        const pr: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
        if (r.urn) {
            byUrn.set(r.urn, pr);
        }
        return { source: r, policyResource: pr, opts };
    });
    const registered = new Map(resources.map((r) => [r.urn, r]));
    for (const { source, policyResource } of out) {
        const mutable = policyResource as { -readonly [K in keyof PolicyResource]: PolicyResource[K] };
        if (source.parent && byUrn.has(source.parent)) {
            mutable.parent = byUrn.get(source.parent);
        }
        mutable.dependencies = (source.dependencies ?? []).map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        const propertyDependencies: Record<string, PolicyResource[]> = {};
        for (const [k, urns] of Object.entries(source.propertyDependencies ?? {})) {
            propertyDependencies[k] = urns.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        }
        mutable.propertyDependencies = propertyDependencies;
        const provider = providerOf(source, registered);
        if (provider) {
            mutable.provider = provider;
        }
    }
    return out;
}

/** The provider a resource uses, as the engine describes it to analyzers (its inputs, proxied). */
function providerOf(source: RegisteredResource, registered: ReadonlyMap<string, RegisteredResource>): PolicyResource["provider"] {
    const purn = providerUrn(source.provider);
    if (!purn) {
        return undefined;
    }
    const p = registered.get(purn);
    return { type: p?.type ?? typeFromUrn(purn), props: proxied(p?.inputs), urn: purn, name: p?.name ?? nameFromUrn(purn) };
}

/** A promise a policy returned, for the driver to settle. */
interface Pending {
    readonly policy: string;
    readonly promise: PromiseLike<unknown>;
    /** Where an `UnknownValueError` the promise rejects with is recorded. */
    readonly resourceUrn?: string;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
    return !!v && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

function* evaluate(resources: readonly RegisteredResource[], options: EvaluateOptions): Generator<Pending, PolicyReport, unknown> {
    const pack = options.pack ?? DEFAULT_PACK;
    const resolved = resolvePolicyConfig(pack, options.config ?? {});
    const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
    const stackProperties = options.stackProperties ?? (options.preview ? "outputs" : "inputs");
    // The stack policies' view (every resource's properties copied behind the unknown-checking proxy), built
    // when the first stack policy runs: a pack narrowed to resource policies never pays for it.
    let stackView: EvalResource[] | undefined;
    const evalResources = (): EvalResource[] => (stackView ??= toPolicyResources(resources, stackProperties));
    const registered = new Map(resources.map((r) => [r.urn, r]));
    const violations: PolicyViolation[] = [];
    const undecidable: UndecidablePolicy[] = [];
    const evaluated: PolicyReport["policies"][number][] = [];

    for (const policy of pack.policies) {
        const { enforcementLevel, properties } = resolved.get(policy.name)!;
        if (enforcementLevel === "disabled") {
            continue;
        }
        evaluated.push({ name: policy.name, enforcementLevel, description: policy.description });
        // As the engine: violations of a policy set to "remediate" that still fire count as mandatory.
        const reportedLevel: EnforcementLevel = enforcementLevel === "remediate" ? "mandatory" : enforcementLevel;
        const getConfig = <T extends object>(): T => clone(properties) as T;

        const validate = (policy as ResourceValidationPolicy).validateResource;
        if (validate) {
            const validations: ResourceValidation[] = Array.isArray(validate) ? validate : [validate];
            for (const source of resources) {
                let opts: PolicyResourceOptions | undefined;
                for (const validation of validations) {
                    if (!appliesTo(validation, source.type)) {
                        continue;
                    }
                    opts ??= policyOptions(source);
                    const props = proxied(source.inputs);
                    const provider = providerOf(source, registered);
                    const args: ResourceValidationArgs = {
                        type: source.type,
                        props,
                        urn: source.urn,
                        name: source.name,
                        opts,
                        ...(provider ? { provider } : {}),
                        stackTags,
                        isType: (cls) => isTypeOf(source.type, cls),
                        asType: ((cls: unknown) => (isTypeOf(source.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                        getConfig,
                        notApplicable: throwNotApplicable,
                    };
                    // As the server: a URN given with the violation wins over the validated resource's.
                    const report: ReportViolation = (message: string, urn?: string) => {
                        const r = urn ? registered.get(urn) : source;
                        violations.push({
                            policyName: policy.name, enforcementLevel: reportedLevel, message,
                            resourceUrn: urn || source.urn,
                            ...(r ? { resourceName: r.name, resourceType: r.type } : {}),
                        });
                    };
                    try {
                        const result = validation(args, report);
                        if (isThenable(result)) {
                            yield { policy: policy.name, promise: result, resourceUrn: source.urn };
                        }
                    } catch (e) {
                        if (e instanceof UnknownValueError) {
                            undecidable.push({ policyName: policy.name, resourceUrn: source.urn, message: e.message });
                        } else if (!(e instanceof NotApplicable)) {
                            throw new Error(`policy "${policy.name}" failed on ${source.type} "${source.name}": ${(e as Error)?.message ?? e}`, { cause: e });
                        }
                    }
                }
            }
        }

        const validateStack = (policy as StackValidationPolicy).validateStack;
        if (typeof validateStack === "function") {
            const token = pulumiTypeOf(validateStack);
            if (token && !resources.some((r) => r.type === token)) {
                continue;
            }
            const report: ReportViolation = (message: string, urn?: string) => {
                const r = urn ? registered.get(urn) : undefined;
                violations.push({
                    policyName: policy.name, enforcementLevel: reportedLevel, message,
                    ...(urn ? { resourceUrn: urn } : {}),
                    ...(r ? { resourceName: r.name, resourceType: r.type } : {}),
                });
            };
            try {
                const result = validateStack({ resources: evalResources().map((e) => e.policyResource), stackTags, getConfig, notApplicable: throwNotApplicable }, report);
                if (isThenable(result)) {
                    yield { policy: policy.name, promise: result };
                }
            } catch (e) {
                if (e instanceof UnknownValueError) {
                    undecidable.push({ policyName: policy.name, message: e.message });
                } else if (!(e instanceof NotApplicable)) {
                    throw new Error(`policy "${policy.name}" failed on the stack: ${(e as Error)?.message ?? e}`, { cause: e });
                }
            }
        }
    }

    return {
        packName: pack.name,
        policies: evaluated,
        violations,
        mandatoryCount: violations.filter((v) => v.enforcementLevel === "mandatory").length,
        advisoryCount: violations.filter((v) => v.enforcementLevel === "advisory").length,
        undecidable,
    };
}

/**
 * Evaluates every policy of the pack (default: this project's) on `resources`, as registered by a mocked
 * run, under `options.config` (the JSON of a `--policy-pack-config` file). Synchronous; throws
 * `PolicyConfigError` for a bad config, and an Error when a policy is asynchronous (use
 * `evaluatePoliciesAsync` for such packs) or crashes.
 */
export function evaluatePolicies(resources: readonly RegisteredResource[], options: EvaluateOptions = {}): PolicyReport {
    const run = evaluate(resources, options);
    const step = run.next();
    if (!step.done) {
        throw new Error(`policy "${step.value.policy}" is asynchronous; evaluate this pack with evaluatePoliciesAsync`);
    }
    return step.value;
}

/** `evaluatePolicies` for packs whose validations return promises. */
export async function evaluatePoliciesAsync(resources: readonly RegisteredResource[], options: EvaluateOptions = {}): Promise<PolicyReport> {
    const run = evaluate(resources, options);
    let step = run.next();
    while (!step.done) {
        try {
            await step.value.promise;
            step = run.next();
        } catch (e) {
            step = run.throw(e);
        }
    }
    return step.value;
}
