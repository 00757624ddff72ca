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
import { mockCall, mockResourceState } from "./mock-outputs";

export const MOCK_ACCOUNT_ID = "123456789012";

/** One resource as the program registered it. */
export interface RegisteredResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs as the program gave them (secrets unwrapped; see `secretInputs`). */
    readonly inputs: Record<string, any>;
    /** Outputs the mock answered with (inputs plus computed ids/arns/endpoints). */
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
    /** Names of inputs that were marked secret. */
    readonly secretInputs: readonly string[];
}

export interface OfflineRun<T> {
    readonly resources: RegisteredResource[];
    /** Whatever the program returned (its stack outputs), with every Output resolved. */
    readonly outputs: T;
    /** Invokes the program made, in order: token and inputs. */
    readonly invokes: { token: string; inputs: Record<string, any>; provider?: string }[];
}

export interface OfflineOptions {
    readonly project?: string;
    readonly stack?: string;
    /** Flat config map `namespace:key` -> string value (objects as JSON), as the CLI passes it. */
    readonly config?: Record<string, string>;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: any, secretPaths: string[], pathPrefix: string): any {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        if (value[pulumi.runtime.specialSigKey] === SECRET_SIG) {
            secretPaths.push(pathPrefix);
            return unwrapSecrets(value.value, secretPaths, pathPrefix);
        }
        const out: Record<string, any> = {};
        for (const [k, v] of Object.entries(value)) {
            out[k] = unwrapSecrets(v, secretPaths, pathPrefix ? `${pathPrefix}.${k}` : k);
        }
        return out;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, secretPaths, `${pathPrefix}[${i}]`));
    }
    return value;
}

/**
 * Runs `program` inside a mocked Pulumi stack and waits until every registration, invoke and
 * output has settled. Not re-entrant: one run at a time per process.
 */
export async function runOffline<T>(program: () => T | Promise<T>, options: OfflineOptions = {}): Promise<OfflineRun<pulumi.Unwrap<T>>> {
    const project = options.project ?? "scaled-web";
    const stack = options.stack ?? "dev";
    const resources: RegisteredResource[] = [];
    const invokes: OfflineRun<unknown>["invokes"] = [];
    const providerRegions = new Map<string, string>();

    const mocks: pulumi.runtime.Mocks = {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            const secretInputs: string[] = [];
            const inputs = unwrapSecrets(args.inputs, secretInputs, "");
            const region = args.provider ? providerRegions.get(args.provider.split("::").pop()!) : undefined;
            const id = `${args.name}-id`;
            const state = mockResourceState(args.type, args.name, inputs, { region: region ?? inputs.region ?? "us-east-1", accountId: MOCK_ACCOUNT_ID, id });
            if (args.type === "pulumi:providers:aws") {
                providerRegions.set(id, inputs.region);
            }
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
            return { id: args.custom === false ? undefined : id, state };
        },
        call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
            const region = (args.provider ? providerRegions.get(args.provider.split("::").pop()!) : undefined) ?? args.inputs?.region ?? "us-east-1";
            invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider });
            return mockCall(args.token, args.inputs ?? {}, { region, accountId: MOCK_ACCOUNT_ID });
        },
    };

    await pulumi.runtime.setMocks(mocks, project, stack, false);
    pulumi.runtime.setAllConfig(options.config ?? {});

    // Wrap the mock monitor to learn each registration's URN, parent and options, which the
    // public Mocks interface does not pass on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        const meta = {
            parent: (req.getParent() as string) || undefined,
            protect: Boolean(req.getProtect?.()),
            dependencies: (req.getDependenciesList?.() as string[]) ?? [],
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

/** Flattens a YAML config map into the CLI's `namespace:key` -> string form. */
function flattenConfig(values: Record<string, unknown>, project: string, into: Record<string, string>): void {
    for (const [key, value] of Object.entries(values ?? {})) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        if (value && typeof value === "object" && "secure" in (value as object)) {
            throw new Error(`${fullKey} is an encrypted secret; offline runs cannot decrypt it. Keep secrets out of the files the offline plan reads, or generate them with @pulumi/random.`);
        }
        into[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
}

/** Thrown when a stack's files cannot be read at all (missing file, YAML syntax). */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/**
 * Reads the config a `pulumi up` of `stack` would see: project-level defaults from `Pulumi.yaml`,
 * then `Pulumi.<stack>.yaml` on top, in the CLI's flat `namespace:key` form.
 */
export function readStackConfig(stack: string, projectDir: string = path.resolve(__dirname, "..")): { project: string; config: Record<string, string> } {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        const stacks = fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f)).map((f) => f.split(".")[1]);
        throw new StackFileError(`No stack file Pulumi.${stack}.yaml in ${projectDir}; stacks here: ${stacks.join(", ") || "none"}.`);
    }
    const parse = (file: string): any => {
        try {
            return YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
        } catch (e) {
            throw new StackFileError(`${path.basename(file)} is not valid YAML: ${(e as Error).message}`);
        }
    };
    const projectDoc = parse(projectFile);
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
    flattenConfig(parse(stackFile).config ?? {}, project, config);
    return { project, config };
}
