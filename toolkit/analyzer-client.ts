/**
 * A client of the Pulumi Analyzer gRPC service: starts a policy pack the way the Pulumi CLI does and
 * drives it with the calls the engine makes during `pulumi preview/up --policy-pack`, so the pack is
 * tested through `@pulumi/policy`'s real server (its deserializer, its unknown-checking proxy, its
 * enforcement-level handling) instead of an in-process imitation.
 *
 * What is reproduced, and where it comes from (pulumi/pulumi at 1b59498, @pulumi/pulumi 3.248,
 * @pulumi/policy 1.21):
 * - start: `node <@pulumi/pulumi/cmd/run-policy-pack resolved from the pack dir> <engine-address> <pack-dir>`
 *   with the pack directory as working directory, and the stack's identity in `PULUMI_CONFIG`,
 *   `PULUMI_NODEJS_{PROJECT,STACK,ORGANIZATION,DRY_RUN}` (sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 *   `RunPlugin` for kind analyzer; pkg/resource/plugin/analyzer_plugin.go `constructEnv`). The engine
 *   address is a real `pulumirpc.Engine` server here, as `host.ServerAddr()` is for the CLI. The pack
 *   prints its port on stdout (@pulumi/policy server.js `serve`: `console.log(port.toString())`);
 * - `ConfigureStack` (analyzer_plugin.go `NewPolicyAnalyzer`), `GetAnalyzerInfo`, then `Configure` with
 *   the config the CLI reconciles (pkg/resource/analyzer/config.go `ReconcilePolicyPackConfig`: each
 *   policy's level from GetAnalyzerInfo and its schema defaults, then the pack's initial config, then the
 *   `--policy-pack-config` file: `"all"` first, then per policy, properties overlaid one by one);
 * - `Analyze` per resource with its inputs, `AnalyzeStack` with every resource's outputs, parent,
 *   dependencies and property dependencies (pkg/resource/deploy/step_generator.go `analyzeAll`,
 *   `AnalyzeResources`); properties marshalled with `KeepUnknowns, KeepSecrets, SkipInternalKeys`
 *   (analyzer_plugin.go): secrets as `{"4dabf1…": "1b4706…", value}`, unknowns as the sentinel string,
 *   resource references NOT as the resource-reference object (no `KeepResources`): as the referenced id,
 *   unknown while that id is, or its URN (sdk/go/common/resource/plugin/rpc.go; `runOffline` already
 *   records them so);
 * - diagnostics back to a `PolicyReport`: `@pulumi/policy` reports a violation as
 *   `description + "\n" + message` and a validation that read an unknown value as an advisory
 *   "can't run policy '<name>' from policy pack '<pack>@v<version>' during preview: <reason>", which
 *   lands in `undecidable` (server.js `makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun`).
 *
 * Not reproduced: the provider's `Check` (defaults and auto-names it adds to inputs) and the engine's
 * default providers (resources without an explicit provider are analyzed without one).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RegisteredResource } from "./offline";
import { SECRET_SIG, SIG_KEY } from "./offline";
import { PolicyConfigError, validateAgainstSchema } from "./policy-runner";
import type { EnforcementLevel, PolicyReport, PolicyViolation, UndecidablePolicy } from "./report-types";

/* eslint-disable @typescript-eslint/no-require-imports */
// The generated protobuf/grpc modules and the grpc-js/google-protobuf copies they were built against,
// resolved from @pulumi/pulumi so message classes and channel credentials match.
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string): any => require(require.resolve(id, { paths: [PULUMI_DIR] }));
const grpc = fromPulumi("@grpc/grpc-js");
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const enginerpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const structpb = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const emptypb = fromPulumi("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The pack this project serves (`policy-pack/`, also from a `dist/` build). */
export const DEFAULT_PACK_DIR = [path.resolve(__dirname, "..", "policy-pack"), path.resolve(__dirname, "..", "..", "policy-pack")]
    .find((d) => fs.existsSync(path.join(d, "PulumiPolicy.yaml"))) ?? path.resolve(__dirname, "..", "policy-pack");

const LEVELS: Record<number, EnforcementLevel> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_CODES: Record<EnforcementLevel, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LOG_SEVERITIES = ["debug", "info", "warning", "error"] as const;

/** The "can't run policy" diagnostic `@pulumi/policy` sends when a validation reads an unknown value. */
const UNDECIDABLE_RE = /^can't run policy '([^']*)' from policy pack '([^']*)' during preview: ([\s\S]*)$/;

export interface PolicyPackProcessOptions {
    /** Directory holding `PulumiPolicy.yaml`. @default this project's `policy-pack/` */
    readonly packDir?: string;
    readonly project?: string;
    readonly stack?: string;
    readonly organization?: string;
    /** Stack config (`namespace:key` -> value) the CLI hands the pack in `PULUMI_CONFIG`. */
    readonly config?: Readonly<Record<string, string>>;
    /** Value of `PULUMI_NODEJS_DRY_RUN` at start (the CLI starts the pack per operation). @default false */
    readonly dryRun?: boolean;
    /**
     * How long to wait for the port. This project's pack starts transpile-only (policy-pack/main.js); a pack
     * without such a `main` is type-checked by ts-node on its first start (`typeCheck: true` in
     * cmd/run-policy-pack/run.js), which can take minutes.
     * @default 300000
     */
    readonly startTimeoutMs?: number;
    /** Extra environment for the pack process. */
    readonly env?: Readonly<Record<string, string>>;
}

/** A message the pack logged: through the Engine service, or as a line on stdout/stderr. */
export interface PackLog {
    readonly source: "engine" | "stdout" | "stderr";
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
    readonly urn?: string;
}

export interface AnalyzerPolicyInfo {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly type: "resource" | "stack" | "unknown";
    readonly configSchema?: { readonly properties: Record<string, any>; readonly required: readonly string[] };
}

export interface AnalyzerInfoSummary {
    readonly name: string;
    readonly version: string;
    readonly supportsConfig: boolean;
    readonly policies: readonly AnalyzerPolicyInfo[];
    readonly initialConfig: Readonly<Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }>>;
}

/** One diagnostic as the engine receives it, with the URN the engine attributes it to. */
export interface AnalyzerDiagnostic {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly policyPackVersion: string;
    readonly description: string;
    readonly message: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn?: string;
}

export interface ProtocolEvaluateOptions {
    /** Parsed `--policy-pack-config` JSON. */
    readonly config?: object;
    /** Sent as `ConfigureStack.dryRun`. @default false */
    readonly preview?: boolean;
    /** Stack tags (`ConfigureStack.tags`, the policies' `args.stackTags`). */
    readonly stackTags?: Readonly<Record<string, string>>;
    /**
     * What `AnalyzeStack` sends as each resource's properties. The engine sends outputs; "inputs" exists
     * to compare with the in-process runner's update-mode default. @default "outputs"
     */
    readonly stackProperties?: "outputs" | "inputs";
    /**
     * URNs to send `Analyze` for; default: every resource. For re-checking a variant of a run whose other
     * resources were already analyzed (e.g. one edited resource): `AnalyzeStack` still gets every resource.
     */
    readonly analyzeOnly?: ReadonlySet<string>;
    /**
     * Whether to send `AnalyzeStack` after the `Analyze` calls, as the engine always does. `false` is for
     * re-checking only resource policies on a variant of a run whose stack policies were already
     * checked (with `analyzeOnly`). @default true
     */
    readonly analyzeStack?: boolean;
}

export type ResolvedAnalyzerConfig = Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }>;

// ---------------------------------------------------------------------------------------------
// Encoding, as the engine marshals properties for analyzers
// ---------------------------------------------------------------------------------------------

/**
 * `value` as the engine sends it: `undefined` dropped (arrays: null), every path in `secretPaths`
 * (the `RegisteredResource.secretInputs` notation: `a.b[0].c`) wrapped in the secret signature object.
 */
export function toEngineValue(value: unknown, secretPaths: ReadonlySet<string>, at = ""): unknown {
    let out: unknown;
    if (Array.isArray(value)) {
        out = value.map((v, i) => {
            const e = toEngineValue(v, secretPaths, `${at}[${i}]`);
            return e === undefined ? null : e;
        });
    } else if (value && typeof value === "object") {
        const obj: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const e = toEngineValue(v, secretPaths, at ? `${at}.${k}` : k);
            if (e !== undefined) {
                obj[k] = e;
            }
        }
        out = obj;
    } else {
        out = value;
    }
    return at !== "" && secretPaths.has(at) && out !== undefined ? { [SIG_KEY]: SECRET_SIG, value: out } : out;
}

/** A property map as the `google.protobuf.Struct` the engine sends (`SkipInternalKeys`: no `__` keys). */
function toStruct(props: Record<string, unknown> | undefined, secretPaths: readonly string[] = []): any {
    const encoded = toEngineValue(props ?? {}, new Set(secretPaths)) as Record<string, unknown>;
    for (const k of Object.keys(encoded)) {
        if (k.startsWith("__")) {
            delete encoded[k];
        }
    }
    return structpb.Struct.fromJavaScript(encoded);
}

function providerUrn(ref: string | undefined): string | undefined {
    if (!ref) {
        return undefined;
    }
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

function resourceOptions(r: RegisteredResource): any {
    const opts = new analyzerpb.AnalyzerResourceOptions();
    opts.setProtect(r.protect);
    opts.setIgnorechangesList([]);
    opts.setDeletebeforereplace(false);
    opts.setDeletebeforereplacedefined(false);
    opts.setAdditionalsecretoutputsList([]);
    opts.setAliasesList([]);
    const timeouts = new analyzerpb.AnalyzerResourceOptions.CustomTimeouts();
    opts.setCustomtimeouts(timeouts);
    opts.setParent(r.parent ?? "");
    return opts;
}

function providerResource(r: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): any {
    const urn = providerUrn(r.provider);
    if (!urn) {
        return undefined;
    }
    const p = byUrn.get(urn);
    const msg = new analyzerpb.AnalyzerProviderResource();
    msg.setUrn(urn);
    msg.setType(p?.type ?? (urn.split("::")[2] ?? "").split("$").pop() ?? "");
    msg.setName(p?.name ?? urn.split("::").pop() ?? "");
    msg.setProperties(toStruct(p?.inputs, p?.secretInputs));
    return msg;
}

/** The `AnalyzeRequest` the engine sends for `r` (its inputs). */
export function analyzeRequest(r: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): any {
    const req = new analyzerpb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(toStruct(r.inputs, r.secretInputs));
    req.setOptions(resourceOptions(r));
    const provider = providerResource(r, byUrn);
    if (provider) {
        req.setProvider(provider);
    }
    return req;
}

/** The `AnalyzerResource` the engine puts in `AnalyzeStackRequest` for `r`. */
export function stackResource(r: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>, stackProperties: "outputs" | "inputs" = "outputs"): any {
    const msg = new analyzerpb.AnalyzerResource();
    msg.setUrn(r.urn);
    msg.setType(r.type);
    msg.setName(r.name);
    msg.setProperties(toStruct(stackProperties === "outputs" ? r.state : r.inputs, r.secretInputs));
    msg.setOptions(resourceOptions(r));
    const provider = providerResource(r, byUrn);
    if (provider) {
        msg.setProvider(provider);
    }
    msg.setParent(r.parent ?? "");
    msg.setDependenciesList([...r.dependencies]);
    const deps = msg.getPropertydependenciesMap();
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        if (urns.length > 0) {
            const d = new analyzerpb.AnalyzerPropertyDependencies();
            d.setUrnsList([...urns]);
            deps.set(k, d);
        }
    }
    return msg;
}

// ---------------------------------------------------------------------------------------------
// Config, as the CLI reconciles it
// ---------------------------------------------------------------------------------------------

const isLevel = (v: unknown): v is EnforcementLevel => typeof v === "string" && v in LEVEL_CODES;

/**
 * The config the CLI sends in `Configure`: per policy of `info`, its level and schema defaults, then the
 * pack's initial config, then `file` (`"all"` first, then per policy; properties overlaid one by one),
 * validated against each policy's schema (pkg/resource/analyzer/config.go). Throws `PolicyConfigError`.
 */
export function reconcileConfig(info: AnalyzerInfoSummary, file: object = {}): ResolvedAnalyzerConfig {
    const result: ResolvedAnalyzerConfig = {};
    for (const p of info.policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
            if (s && typeof s === "object" && "default" in s) {
                properties[k] = JSON.parse(JSON.stringify(s.default));
            }
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
    }
    const problems: string[] = [];
    const parsed: Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> = {};
    for (const [name, raw] of Object.entries(file as Record<string, unknown>)) {
        if (typeof raw === "string") {
            if (!isLevel(raw)) {
                problems.push(`${name}: "${raw}" is not a valid enforcement level`);
                continue;
            }
            parsed[name] = { enforcementLevel: raw, properties: {} };
        } else if (raw && typeof raw === "object" && !Array.isArray(raw)) {
            const { enforcementLevel, ...properties } = raw as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                problems.push(`${name}: ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`);
                continue;
            }
            parsed[name] = { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties };
        } else {
            problems.push(`${name}: must be an enforcement level or an object`);
        }
    }
    const apply = (config: AnalyzerInfoSummary["initialConfig"]): void => {
        const all = config.all;
        if (all?.enforcementLevel) {
            for (const k of Object.keys(result)) {
                result[k] = { ...result[k], enforcementLevel: all.enforcementLevel };
            }
        }
        for (const [name, given] of Object.entries(config)) {
            const current = result[name] ?? { enforcementLevel: undefined as unknown as EnforcementLevel, properties: {} };
            result[name] = {
                enforcementLevel: given.enforcementLevel ?? current.enforcementLevel,
                properties: { ...current.properties, ...given.properties },
            };
        }
    };
    apply(info.initialConfig);
    apply(parsed);
    for (const p of info.policies) {
        if (p.configSchema) {
            const schema = { type: "object" as const, properties: p.configSchema.properties, required: [...p.configSchema.required] };
            problems.push(...validateAgainstSchema(result[p.name].properties, schema, p.name));
        }
    }
    // The CLI keeps entries for names the pack does not have ("all" included) and sends them; one without a
    // level fails its Configure call ("invalid enforcement level", analyzer_plugin.go `Configure`).
    for (const [name, c] of Object.entries(result)) {
        if (!isLevel(c.enforcementLevel)) {
            problems.push(`${name}: invalid enforcement level "" (the pack has no policy "${name}", so the config must give one)`);
        }
    }
    if (problems.length > 0) {
        throw new PolicyConfigError(problems);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// The pack process and the client
// ---------------------------------------------------------------------------------------------

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function unary<T>(client: any, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
        client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp)));
    });
}

/** A running policy pack, started as the CLI starts it, and the Analyzer client connected to it. */
export class PolicyPackProcess {
    private infoCache?: AnalyzerInfoSummary;
    private closed = false;

    private constructor(
        /** Everything the pack logged (Engine `Log` calls and stdout/stderr lines after the port). */
        readonly logs: PackLog[],
        private readonly child: ChildProcess,
        private readonly client: any,
        private readonly engine: any,
        readonly port: number,
        readonly packDir: string,
        private readonly exited: Promise<void>,
    ) {}

    /** Starts the pack in `options.packDir` and connects to it. */
    static async start(options: PolicyPackProcessOptions = {}): Promise<PolicyPackProcess> {
        const packDir = path.resolve(options.packDir ?? DEFAULT_PACK_DIR);
        const logs: PackLog[] = [];

        // The engine side: a pulumirpc.Engine server whose address the pack gets as its first argument.
        const engine = new grpc.Server();
        engine.addService(enginerpc.EngineService, {
            log: (call: any, cb: any) => {
                const r = call.request;
                logs.push({ source: "engine", severity: LOG_SEVERITIES[r.getSeverity()] ?? "info", message: r.getMessage(), urn: r.getUrn() || undefined });
                cb(null, new emptypb.Empty());
            },
            getRootResource: (_call: any, cb: any) => cb({ code: grpc.status.UNIMPLEMENTED, details: "offline engine" }),
            setRootResource: (_call: any, cb: any) => cb({ code: grpc.status.UNIMPLEMENTED, details: "offline engine" }),
            startDebugging: (_call: any, cb: any) => cb({ code: grpc.status.UNIMPLEMENTED, details: "offline engine" }),
            requirePulumiVersion: (_call: any, cb: any) => cb(null, new emptypb.Empty()),
        });
        const enginePort: number = await new Promise((resolve, reject) =>
            engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => (err ? reject(err) : resolve(port))));

        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(options.env ?? {}) };
        const set = (k: string, v: string | undefined): void => {
            if (v) {
                env[k] = v;
            }
        };
        set("PULUMI_CONFIG", JSON.stringify(options.config ?? {}));
        set("PULUMI_NODEJS_ORGANIZATION", options.organization);
        set("PULUMI_NODEJS_PROJECT", options.project);
        set("PULUMI_NODEJS_STACK", options.stack);
        set("PULUMI_NODEJS_DRY_RUN", String(options.dryRun ?? false));
        set("PULUMI_ORGANIZATION", options.organization);
        set("PULUMI_PROJECT", options.project);
        set("PULUMI_STACK", options.stack);
        set("PULUMI_DRY_RUN", String(options.dryRun ?? false));

        const child = spawn(process.execPath, [runPolicyPack, `127.0.0.1:${enginePort}`, packDir], { cwd: packDir, env, stdio: ["ignore", "pipe", "pipe"] });
        live.add(child);
        if (!exitHookInstalled) {
            exitHookInstalled = true;
            process.once("exit", () => live.forEach((c) => c.kill("SIGKILL")));
        }
        const exited = new Promise<void>((resolve) => child.once("exit", () => {
            live.delete(child);
            resolve();
        }));

        let stderr = "";
        const lines = (source: "stdout" | "stderr", onLine: (line: string) => void) => {
            let buf = "";
            child[source]!.setEncoding("utf8");
            child[source]!.on("data", (chunk: string) => {
                buf += chunk;
                let i: number;
                while ((i = buf.indexOf("\n")) >= 0) {
                    onLine(buf.slice(0, i));
                    buf = buf.slice(i + 1);
                }
            });
        };
        let onPort: ((port: number) => void) | undefined;
        lines("stderr", (line) => {
            stderr += `${line}\n`;
            logs.push({ source: "stderr", severity: "error", message: line });
        });
        lines("stdout", (line) => {
            if (onPort && /^\d+$/.test(line.trim())) {
                const f = onPort;
                onPort = undefined;
                f(Number(line.trim()));
            } else {
                logs.push({ source: "stdout", severity: "info", message: line });
            }
        });
        const timeoutMs = options.startTimeoutMs ?? 300_000;
        let port: number;
        try {
            port = await new Promise<number>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`policy pack in ${packDir} printed no port within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
                onPort = (p) => {
                    clearTimeout(timer);
                    resolve(p);
                };
                child.once("exit", (code, signal) => {
                    clearTimeout(timer);
                    reject(new Error(`policy pack in ${packDir} exited (${signal ?? code}) before printing its port; stderr:\n${stderr}`));
                });
            });
        } catch (e) {
            child.kill("SIGKILL");
            await exited;
            engine.forceShutdown();
            throw e;
        }
        const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        return new PolicyPackProcess(logs, child, client, engine, port, packDir, exited);
    }

    /** `ConfigureStack`, as the CLI sends it right after starting the pack. */
    async configureStack(options: { stack?: string; project?: string; organization?: string; dryRun?: boolean; tags?: Readonly<Record<string, string>>; config?: Readonly<Record<string, string>> } = {}): Promise<void> {
        const req = new analyzerpb.AnalyzerStackConfigureRequest();
        req.setStack(options.stack ?? "");
        req.setProject(options.project ?? "");
        req.setOrganization(options.organization ?? "");
        req.setDryRun(options.dryRun ?? false);
        for (const [k, v] of Object.entries(options.tags ?? {})) {
            req.getTagsMap().set(k, v);
        }
        for (const [k, v] of Object.entries(options.config ?? {})) {
            req.getConfigMap().set(k, v);
        }
        await unary(this.client, "configureStack", req);
    }

    /** `GetAnalyzerInfo` (cached, as the CLI caches it). */
    async info(): Promise<AnalyzerInfoSummary> {
        if (!this.infoCache) {
            const resp: any = await unary(this.client, "getAnalyzerInfo", new emptypb.Empty());
            const initialConfig: Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> = {};
            resp.getInitialconfigMap().forEach((v: any, k: string) => {
                initialConfig[k] = { enforcementLevel: LEVELS[v.getEnforcementlevel()], properties: v.getProperties()?.toJavaScript() ?? {} };
            });
            this.infoCache = {
                name: resp.getName(),
                version: resp.getVersion(),
                supportsConfig: resp.getSupportsconfig(),
                initialConfig,
                policies: resp.getPoliciesList().map((p: any): AnalyzerPolicyInfo => {
                    const schema = p.getConfigschema();
                    return {
                        name: p.getName(),
                        description: p.getDescription(),
                        enforcementLevel: LEVELS[p.getEnforcementlevel()],
                        type: p.getPolicyType() === 1 ? "resource" : p.getPolicyType() === 2 ? "stack" : "unknown",
                        ...(schema ? { configSchema: { properties: schema.getProperties()?.toJavaScript() ?? {}, required: schema.getRequiredList() } } : {}),
                    };
                }),
            };
        }
        return this.infoCache;
    }

    /** Reconciles `file` as the CLI does and sends it with `Configure`; returns what was sent. */
    async configure(file: object = {}): Promise<ResolvedAnalyzerConfig> {
        const info = await this.info();
        const resolved = reconcileConfig(info, file);
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(resolved)) {
            const pc = new analyzerpb.PolicyConfig();
            pc.setEnforcementlevel(LEVEL_CODES[c.enforcementLevel]);
            pc.setProperties(structpb.Struct.fromJavaScript(c.properties));
            map.set(name, pc);
        }
        await unary(this.client, "configure", req);
        return resolved;
    }

    private diagnostics(resp: any, defaultUrn?: string): AnalyzerDiagnostic[] {
        return resp.getDiagnosticsList().map((d: any): AnalyzerDiagnostic => ({
            policyName: d.getPolicyname(),
            policyPackName: d.getPolicypackname(),
            policyPackVersion: d.getPolicypackversion(),
            description: d.getDescription(),
            message: d.getMessage(),
            enforcementLevel: LEVELS[d.getEnforcementlevel()],
            ...(d.getUrn() || defaultUrn ? { urn: d.getUrn() || defaultUrn } : {}),
        }));
    }

    /** `Analyze` for one resource; diagnostics without a URN are the resource's (as the engine attributes them). */
    async analyze(r: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): Promise<AnalyzerDiagnostic[]> {
        return this.diagnostics(await unary(this.client, "analyze", analyzeRequest(r, byUrn)), r.urn);
    }

    /** `AnalyzeStack` with every resource. */
    async analyzeStack(resources: readonly RegisteredResource[], stackProperties: "outputs" | "inputs" = "outputs"): Promise<AnalyzerDiagnostic[]> {
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const req = new analyzerpb.AnalyzeStackRequest();
        req.setResourcesList(resources.map((r) => stackResource(r, byUrn, stackProperties)));
        return this.diagnostics(await unary(this.client, "analyzeStack", req));
    }

    /**
     * What the engine does with the pack during a preview/update of `resources`: ConfigureStack,
     * Configure, Analyze for each resource, AnalyzeStack; the diagnostics as a `PolicyReport`.
     */
    async evaluate(resources: readonly RegisteredResource[], options: ProtocolEvaluateOptions = {}): Promise<PolicyReport> {
        await this.configureStack({ dryRun: options.preview ?? false, tags: options.stackTags });
        const info = await this.info();
        const resolved = await this.configure(options.config ?? {});
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const diags: AnalyzerDiagnostic[] = [];
        // The engine analyzes resources as the program registers them, many at a time; 64 requests in flight keep
        // both this process and the pack busy (8 left each waiting on the other about half the time).
        const queue = options.analyzeOnly ? resources.filter((r) => options.analyzeOnly!.has(r.urn)) : [...resources];
        const worker = async (): Promise<void> => {
            for (let r = queue.shift(); r; r = queue.shift()) {
                diags.push(...(await this.analyze(r, byUrn)));
            }
        };
        await Promise.all(Array.from({ length: 64 }, worker));
        if (options.analyzeStack ?? true) {
            diags.push(...(await this.analyzeStack(resources, options.stackProperties ?? "outputs")));
        }
        return toPolicyReport(info, resolved, diags, byUrn);
    }

    /** Stops the pack (SIGTERM, then SIGKILL after 5 s), closes the client and the engine server. */
    async close(): Promise<void> {
        if (this.closed) {
            return;
        }
        this.closed = true;
        this.client.close();
        if (this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill("SIGTERM");
            const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
            await this.exited;
            clearTimeout(timer);
        }
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        await new Promise<void>((resolve) => this.engine.tryShutdown(() => resolve()));
    }
}

/** Maps the pack's diagnostics back to the toolkit's report shape (see the module comment). */
export function toPolicyReport(
    info: AnalyzerInfoSummary, resolved: ResolvedAnalyzerConfig, diags: readonly AnalyzerDiagnostic[], byUrn: ReadonlyMap<string, RegisteredResource>,
): PolicyReport {
    const violations: PolicyViolation[] = [];
    const undecidable: UndecidablePolicy[] = [];
    const stackPolicies = new Set(info.policies.filter((p) => p.type === "stack").map((p) => p.name));
    for (const d of diags) {
        const cannot = UNDECIDABLE_RE.exec(d.message);
        if (cannot && d.enforcementLevel === "advisory" && cannot[1] === d.policyName) {
            undecidable.push({
                policyName: d.policyName,
                // A stack policy's "can't run" carries no URN; a resource policy's is the analyzed resource's.
                ...(d.urn && !stackPolicies.has(d.policyName) ? { resourceUrn: d.urn } : {}),
                message: cannot[3],
            });
            continue;
        }
        let message = d.message;
        if (message === d.description) {
            message = "";
        } else if (message.startsWith(`${d.description}\n`)) {
            message = message.slice(d.description.length + 1);
        }
        const r = d.urn ? byUrn.get(d.urn) : undefined;
        violations.push({
            policyName: d.policyName,
            enforcementLevel: d.enforcementLevel,
            message,
            ...(d.urn ? { resourceUrn: d.urn } : {}),
            ...(r ? { resourceName: r.name, resourceType: r.type } : {}),
        });
    }
    const policies = info.policies
        .map((p) => ({ name: p.name, enforcementLevel: resolved[p.name]?.enforcementLevel ?? p.enforcementLevel, description: p.description }))
        .filter((p) => p.enforcementLevel !== "disabled");
    return {
        packName: info.name,
        policies,
        violations,
        mandatoryCount: violations.filter((v) => v.enforcementLevel === "mandatory").length,
        advisoryCount: violations.filter((v) => v.enforcementLevel === "advisory").length,
        undecidable,
    };
}
