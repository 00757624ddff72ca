/**
 * Runs a Pulumi program offline under Pulumi's own mock runtime (`pulumi.runtime.setMocks`) and
 * returns every resource it registered. Used by the tests, by `npm run plan` and by `npm run bench`.
 *
 * Nothing here changes how the program behaves: the same code runs under `pulumi up`; only the
 * engine it talks to is replaced by a mock monitor that answers registrations and invokes.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { mockCall, mockPreviewState, mockResourceState } from "./mock-outputs";

export const MOCK_ACCOUNT_ID = "123456789012";

/** One resource as the program registered it. */
export interface RegisteredResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /**
     * Inputs as the program sent them to the engine, in the form the engine hands them to a policy pack:
     * secrets unwrapped (see `secretInputs`), a value not known yet (preview) as the unknown sentinel
     * `UNKNOWN` wherever it sits, and a resource passed as an input as its id (custom resource; unknown
     * while the id is) or its URN (component), as the engine marshals references for analyzers.
     */
    readonly inputs: Record<string, any>;
    /**
     * Outputs the mock answered with (inputs plus computed ids/arns/endpoints). In preview mode every
     * computed attribute the program did not set is `UNKNOWN`, as in a first `pulumi preview`.
     */
    readonly state: Record<string, any>;
    /** URN of the parent resource, or undefined for the root stack. */
    readonly parent?: string;
    /** Provider reference `urn::id` (empty when the default provider is used). */
    readonly provider?: string;
    /** Region of that provider when it is an `aws.Provider`. */
    readonly region?: string;
    readonly custom: boolean;
    readonly protect: boolean;
    readonly dependencies: readonly string[];
    /** Per input property, the URNs of the resources its value came from (as the engine records them). */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    /** Names of inputs that were marked secret. */
    readonly secretInputs: readonly string[];
}

export interface OfflineRun<T> {
    readonly resources: RegisteredResource[];
    /**
     * Whatever the program returned (its stack outputs), with every Output resolved. In preview mode it is
     * `undefined` as soon as one output is unknown (the SDK's `output(...).promise()` of the stack outputs).
     */
    readonly outputs: T;
    /** Invokes the program made, in order: token and inputs. */
    readonly invokes: { token: string; inputs: Record<string, any>; provider?: string }[];
}

export interface OfflineOptions {
    readonly project?: string;
    readonly stack?: string;
    /** Flat config map `namespace:key` -> string value (objects as JSON), as the CLI passes it. */
    readonly config?: Record<string, string>;
    /**
     * Run as a first `pulumi preview` of a new stack (`pulumi.runtime.isDryRun()` is true): every id and
     * every computed attribute the program did not set comes back unknown, so anything built from them
     * (`apply`, `interpolate`, invokes on unknown inputs) stays unknown and reaches the resources that
     * use it as the sentinel `UNKNOWN`. @default false
     */
    readonly preview?: boolean;
}

/**
 * The wire form of a value not known yet: `pulumi.runtime.unknownValue` in the SDK, `UnknownStringValue`
 * in the engine (sdk/go/common/resource/plugin/rpc.go), `unknownStringValue` in `@pulumi/policy/proxy`.
 * The engine re-marshals every unknown it sends to an analyzer with this (string) sentinel, because the
 * SDK only ever sends untyped unknowns.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** `pulumi.runtime.specialSigKey` and the signatures the SDK uses on the wire (runtime/rpc.js). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/**
 * Turns the SDK's wire form of a registration's inputs into what the engine hands an analyzer:
 * secrets unwrapped (their paths recorded), unknowns kept as the sentinel, and resource references
 * marshalled as the engine does without `KeepResources` (pkg/resource/plugin/analyzer_plugin.go
 * marshals with `KeepUnknowns, KeepSecrets, SkipInternalKeys` only; sdk/go/common/resource/plugin/rpc.go:
 * a reference with an `id` becomes that id, unknown when the id is empty or unknown, one without an
 * `id` (a component) becomes its URN).
 */
export function fromWire(value: any, secretPaths: string[], pathPrefix = ""): any {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        const sig = value[SIG_KEY];
        if (sig === SECRET_SIG) {
            secretPaths.push(pathPrefix);
            return fromWire(value.value, secretPaths, pathPrefix);
        }
        if (sig === RESOURCE_SIG) {
            if ("id" in value) {
                return value.id === "" || value.id === UNKNOWN || value.id === undefined ? UNKNOWN : value.id;
            }
            return value.urn;
        }
        const out: Record<string, any> = {};
        for (const [k, v] of Object.entries(value)) {
            // SkipInternalKeys: the engine drops `__`-prefixed keys (e.g. `__defaults`) before analyzers see them.
            if (pathPrefix === "" && k.startsWith("__")) {
                continue;
            }
            out[k] = fromWire(v, secretPaths, pathPrefix ? `${pathPrefix}.${k}` : k);
        }
        return out;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => fromWire(v, secretPaths, `${pathPrefix}[${i}]`));
    }
    return value;
}

/** `RegisterResourceRequest.propertyDependencies` as a plain map (property -> URNs). */
function propertyDependenciesOf(req: any): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const map = req.getPropertydependenciesMap?.();
    if (map) {
        for (const [k, v] of map.entries() as Iterable<[string, any]>) {
            out[k] = v.getUrnsList();
        }
    }
    return out;
}

/** Splits a provider reference `urn::id` into its URN (the id may be unknown in a preview). */
function providerUrnOf(ref: string | undefined): string | undefined {
    if (!ref) {
        return undefined;
    }
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

/**
 * Runs `program` inside a mocked Pulumi stack and waits until every registration, invoke and
 * output has settled. Not re-entrant: one run at a time per process.
 */
export async function runOffline<T>(program: () => T | Promise<T>, options: OfflineOptions = {}): Promise<OfflineRun<pulumi.Unwrap<T>>> {
    const project = options.project ?? "scaled-web";
    const stack = options.stack ?? "dev";
    const preview = options.preview ?? false;
    const resources: RegisteredResource[] = [];
    const invokes: OfflineRun<unknown>["invokes"] = [];
    // Keyed by the provider's URN: in a preview a new provider's id is unknown, so ids cannot tell them apart.
    const providerRegions = new Map<string, string>();
    // The registration being answered: set by the monitor wrapper below right before the mock monitor
    // calls `newResource` (synchronously), so `newResource` sees the request's wire form and URN.
    let current: { wire: Record<string, any>; urn: string } | undefined;

    const mocks: pulumi.runtime.Mocks = {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            const secretInputs: string[] = [];
            // The wire form, not `args.inputs`: the mock monitor deserializes resource references into
            // resource objects and unknowns into `undefined`/Unknown objects, which an analyzer never sees.
            const inputs = fromWire(current?.wire ?? args.inputs, secretInputs);
            current = undefined;
            const region = providerRegions.get(providerUrnOf(args.provider) ?? "");
            const id = `${args.name}-id`;
            const ctx = { region: region ?? (typeof inputs.region === "string" && inputs.region !== UNKNOWN ? inputs.region : "us-east-1"), accountId: MOCK_ACCOUNT_ID, id };
            const state = preview ? mockPreviewState(args.type, args.name, inputs, ctx) : mockResourceState(args.type, args.name, inputs, ctx);
            resources.push({
                urn: "",
                type: args.type,
                name: args.name,
                inputs,
                state,
                provider: args.provider,
                region,
                custom: args.custom ?? true,
                protect: false,
                dependencies: [],
                secretInputs,
            });
            // A preview of a new resource has no id yet: the mock monitor sends "" and the SDK resolves the
            // resource's `id` as unknown (runtime/resource.js: `resp.getId() || undefined`, known = false).
            return { id: args.custom === false || preview ? undefined : id, state };
        },
        call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
            const region = providerRegions.get(providerUrnOf(args.provider) ?? "") ?? args.inputs?.region ?? "us-east-1";
            invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider });
            return mockCall(args.token, args.inputs ?? {}, { region, accountId: MOCK_ACCOUNT_ID });
        },
    };

    await pulumi.runtime.setMocks(mocks, project, stack, preview);
    pulumi.runtime.setAllConfig(options.config ?? {});

    // Wrap the mock monitor to learn each registration's URN, parent and options, which the
    // public Mocks interface does not pass on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        const urn: string = monitor.newUrn(req.getParent(), req.getType(), req.getName());
        current = { wire: req.getObject()?.toJavaScript() ?? {}, urn };
        if (req.getType() === "pulumi:providers:aws") {
            const region = current.wire.region;
            if (typeof region === "string" && region !== UNKNOWN) {
                providerRegions.set(urn, region);
            }
        }
        const meta = {
            parent: (req.getParent() as string) || undefined,
            protect: Boolean(req.getProtect?.()),
            dependencies: (req.getDependenciesList?.() as string[]) ?? [],
            propertyDependencies: propertyDependenciesOf(req),
        };
        return register(req, (err: any, resp: any) => {
            if (resp) {
                const rec = resources.find((r) => r.urn === "" && r.type === req.getType() && r.name === req.getName()) as any;
                if (rec) {
                    Object.assign(rec, { urn: resp.getUrn(), ...meta });
                }
            }
            callback(err, resp);
        });
    };

    // A program error is caught inside the stack and rethrown once every RPC has drained, so a failed
    // run leaves no dangling promise behind (the CLI reports such errors the same way).
    let failure: { error: unknown } | undefined;
    const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
        try {
            return await program();
        } catch (error) {
            failure = { error };
            return undefined;
        }
    })) as pulumi.Unwrap<T>;
    await settings.waitForRPCs();
    if (failure) {
        throw failure.error;
    }
    return { resources, outputs, invokes };
}

/**
 * A copy of `resource` whose inputs `change` edits (a deep copy; `change` may mutate it in place or
 * return a replacement), with `state` answered anew from the new inputs as the mock would have
 * answered them (`preview`: as in a first preview). For mutation tests: stack policies and the Analyzer
 * protocol's AnalyzeStack read outputs, so editing `inputs` alone would not reach them.
 */
export function withInputs(
    resource: RegisteredResource, change: (inputs: Record<string, any>) => Record<string, any> | void, options: { preview?: boolean } = {},
): RegisteredResource {
    const copy = JSON.parse(JSON.stringify(resource.inputs ?? {})) as Record<string, any>;
    const inputs = change(copy) ?? copy;
    const ctx = {
        region: resource.region ?? (typeof inputs.region === "string" && inputs.region !== UNKNOWN ? inputs.region : "us-east-1"),
        accountId: MOCK_ACCOUNT_ID,
        id: `${resource.name}-id`,
    };
    const state = options.preview ? mockPreviewState(resource.type, resource.name, inputs, ctx) : mockResourceState(resource.type, resource.name, inputs, ctx);
    return { ...resource, inputs, state };
}

/** Flattens a YAML config map into the CLI's `namespace:key` -> string form. */
function flattenConfig(values: Record<string, unknown>, project: string, into: Record<string, string>): void {
    for (const [key, value] of Object.entries(values ?? {})) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        into[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
}

/** Thrown when a stack's files cannot be read at all (missing file, YAML syntax, no `config:` map). */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/** 1-based line of `offset` in `text`. */
function lineOf(text: string, offset: number): number {
    return text.slice(0, offset).split("\n").length;
}

/**
 * Where a YAML error really starts. The parser reports an unclosed quote or flow collection where it gave
 * up (often the end of the file or the next key); the mistake is on the line that opened it, the last one
 * before the reported position with an odd number of that quote, or more `{`/`[` than `}`/`]`.
 */
function yamlErrorLine(text: string, error: YAML.YAMLError): { line: number; opened?: string } {
    const reported = error.linePos?.[0]?.line ?? lineOf(text, error.pos[0]);
    const lines = text.split("\n").slice(0, reported);
    const quote = error.code === "MISSING_CHAR" ? /closing (["'])/.exec(error.message)?.[1] : undefined;
    const flow = error.code === "BAD_INDENT" && /Flow (map|sequence)/.test(error.message) ? error.message.includes("Flow map") ? ["{", "}"] : ["[", "]"] : undefined;
    for (let i = lines.length - 1; i >= 0; i--) {
        const code = lines[i].replace(/\s#.*$/, "");
        const count = (c: string): number => code.split(c).length - 1;
        // A quote that starts a value (after "key:", "- ", "[", "{" or ",") with no closing quote after it;
        // an apostrophe inside a plain value ("it's") does not count.
        if (quote && count(quote) % 2 === 1 && new RegExp(`(?:^|[:,\\[{-])\\s*${quote}[^${quote}]*$`).test(code)) {
            return { line: i + 1, opened: `a ${quote === '"' ? "double" : "single"}-quoted value opened here is never closed; close the quote on the same line` };
        }
        if (flow && count(flow[0]) > count(flow[1])) {
            return { line: i + 1, opened: `a flow ${flow[0] === "{" ? "map" : "list"} "${flow[0]}" opened here is never closed; close it with "${flow[1]}" on the same line, or write it as an indented block` };
        }
    }
    return { line: reported };
}

/** Every YAML syntax error of `file`, each at the line the mistake is on, with that line's text. */
function yamlErrors(file: string, text: string, errors: readonly YAML.YAMLError[]): string {
    const lines = text.split("\n");
    const seen = new Set<number>();
    const out: string[] = [];
    for (const error of errors) {
        const { line, opened } = yamlErrorLine(text, error);
        if (seen.has(line)) {
            continue; // one mistake often yields several parser errors on the same line
        }
        seen.add(line);
        const what = opened ?? error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        out.push(`  - line ${line}: ${what}\n      ${lines[line - 1]?.trim() ?? ""}`);
    }
    return `${path.basename(file)} is not valid YAML, ${out.length} problem${out.length === 1 ? "" : "s"}:\n${out.join("\n")}`;
}

/**
 * Unquoted scalars YAML reads as numbers although the text says more (`1.30` is 1.3, `010` is 10, `1e3`
 * is 1000), by key path under `config:` in the form config issues use (`cluster.kubernetesVersion`,
 * project prefix dropped). Pulumi reads them as numbers too; the plan quotes the source text in its message.
 */
function numberSources(node: unknown, keyPath: string, project: string, into: Record<string, string>): void {
    if (YAML.isMap(node)) {
        for (const pair of node.items) {
            const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
            const k = keyPath === "" ? (key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key) : `${keyPath}.${key}`;
            numberSources(pair.value, k, project, into);
        }
    } else if (YAML.isSeq(node)) {
        node.items.forEach((item, i) => numberSources(item, `${keyPath}.${i}`, project, into));
    } else if (YAML.isScalar(node) && typeof node.value === "number" && node.source !== undefined && node.source !== String(node.value)) {
        into[keyPath] = node.source;
    }
}

/** The config of a stack as `pulumi up` would see it. */
export interface StackConfig {
    readonly project: string;
    /** Flat `namespace:key` -> string, as the Pulumi CLI hands config to a program. */
    readonly config: Record<string, string>;
    /** Unquoted numbers in the stack file whose source text YAML does not keep (see `numberSources`). */
    readonly numberSources: Record<string, string>;
}

/**
 * Reads the config a `pulumi up` of `stack` would see: project-level defaults from `Pulumi.yaml`,
 * then `Pulumi.<stack>.yaml` on top, in the CLI's flat `namespace:key` form. A file Pulumi would refuse
 * (YAML syntax, no `config:` map, encrypted secrets the offline plan cannot decrypt) is a `StackFileError`
 * listing every such problem.
 */
export function readStackConfig(stack: string, projectDir: string = path.resolve(__dirname, "..")): StackConfig {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        const stacks = fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f)).map((f) => f.split(".")[1]);
        throw new StackFileError(`No stack file Pulumi.${stack}.yaml in ${projectDir}; stacks here: ${stacks.join(", ") || "none"}.`);
    }
    const parse = (file: string): YAML.Document.Parsed => {
        const text = fs.readFileSync(file, "utf8");
        const doc = YAML.parseDocument(text);
        if (doc.errors.length > 0) {
            throw new StackFileError(yamlErrors(file, text, doc.errors));
        }
        return doc;
    };
    const projectDoc = parse(projectFile).toJS() ?? {};
    const project: string = projectDoc.name;
    const config: Record<string, string> = {};
    const defaults: Record<string, unknown> = {};
    for (const [key, decl] of Object.entries<any>(projectDoc.config ?? {})) {
        if (decl && typeof decl === "object" && "default" in decl) {
            defaults[key] = decl.default;
        } else if (decl && typeof decl === "object" && "value" in decl) {
            defaults[key] = decl.value;
        } else if (decl === null || typeof decl !== "object") {
            defaults[key] = decl;
        }
    }
    flattenConfig(defaults, project, config);

    const name = path.basename(stackFile);
    const stackDoc = parse(stackFile);
    const stackJs: unknown = stackDoc.toJS();
    const example = `e.g.\n  config:\n    ${project}:environment: dev\n    ${project}:domain: dev.example.com\n    ${project}:regions:\n      us-east-1: { role: primary, weight: 100 }\n(see Pulumi.dev.yaml)`;
    if (stackJs === null || stackJs === undefined) {
        throw new StackFileError(`${name} is empty; a stack file is a top-level "config:" map of ${project}:<key> settings, ${example}`);
    }
    if (typeof stackJs !== "object" || Array.isArray(stackJs)) {
        throw new StackFileError(`${name} must be a map with a top-level "config:" key, got ${Array.isArray(stackJs) ? "a list" : `the ${typeof stackJs} ${JSON.stringify(stackJs)}`}; ${example}`);
    }
    const top = stackJs as Record<string, unknown>;
    if (!("config" in top)) {
        const stray = Object.keys(top).filter((k) => k.includes(":"));
        throw new StackFileError(stray.length > 0
            ? `${name} has no top-level "config:" key; ${stray.map((k) => `"${k}"`).join(", ")} ${stray.length > 1 ? "are" : "is"} at the top level. Indent ${stray.length > 1 ? "them" : "it"} under a "config:" line, ${example}`
            : `${name} has no top-level "config:" key (top-level keys: ${Object.keys(top).join(", ")}); ${example}`);
    }
    const values = top.config ?? {};
    if (typeof values !== "object" || Array.isArray(values)) {
        throw new StackFileError(`${name}: "config:" must be a map of ${project}:<key> settings, got ${JSON.stringify(values)}; ${example}`);
    }
    // Encrypted values (`secure:`) need the stack's secrets provider, which the offline plan does not have.
    const secrets = Object.entries(values as Record<string, unknown>)
        .filter(([, v]) => v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in (v as object))
        .map(([k]) => (k.includes(":") ? k : `${project}:${k}`));
    if (secrets.length > 0) {
        throw new StackFileError(`${name}: ${secrets.join(", ")} ${secrets.length > 1 ? "are encrypted secrets" : "is an encrypted secret"} (secure: ...); the offline plan cannot decrypt ${secrets.length > 1 ? "them" : "it"}. ` +
            "This project's config has no secret keys: remove the entry (passwords and tokens are generated with @pulumi/random and kept in Secrets Manager), or plan a copy of the stack file without it.");
    }
    flattenConfig(values as Record<string, unknown>, project, config);
    const sources: Record<string, string> = {};
    const configNode = YAML.isMap(stackDoc.contents) ? stackDoc.contents.get("config", true) : undefined;
    numberSources(configNode, "", project, sources);
    return { project, config, numberSources: sources };
}
