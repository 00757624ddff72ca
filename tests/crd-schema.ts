/**
 * Custom resources validated against the CRD schema of the controller version the platform pins, kept as JSON
 * fixtures next to the tests (each fixture names its source repository, tag and paths):
 * - tests/fixtures/external-secrets-0.19.2-crds.json: `ExternalSecret` and `SecretStore`, `external-secrets.io/v1`,
 *   from external-secrets/external-secrets@helm-chart-0.19.2 config/crds/bases (descriptions stripped).
 *
 * The API server prunes fields a structural schema does not declare (silently dropping a misspelt field), so every
 * object schema that declares `properties` and neither `additionalProperties` nor
 * `x-kubernetes-preserve-unknown-fields` is closed here: an unknown field is a test failure.
 */
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";

interface CrdFixture {
    readonly source: string;
    readonly schemas: Readonly<Record<string, Record<string, unknown>>>;
}

const FIXTURES = ["external-secrets-0.19.2-crds.json"];

/** Closes object schemas (see the module comment) and drops the Kubernetes extensions Ajv does not know. */
function closeSchema(node: unknown): unknown {
    if (Array.isArray(node)) {
        return node.map(closeSchema);
    }
    if (node === null || typeof node !== "object") {
        return node;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        if (k.startsWith("x-kubernetes-")) {
            continue;
        }
        out[k] = k === "properties"
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([pk, pv]) => [pk, closeSchema(pv)]))
            : closeSchema(v);
    }
    const n = node as Record<string, unknown>;
    if (n.properties && n.additionalProperties === undefined && !n["x-kubernetes-preserve-unknown-fields"]) {
        out.additionalProperties = false;
    }
    return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
for (const file of FIXTURES) {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", file), "utf8")) as CrdFixture;
    for (const [key, schema] of Object.entries(fixture.schemas)) {
        // key: <group>/<version>/<Kind> -> Pulumi type kubernetes:<group>/<version>:<Kind>
        const i = key.lastIndexOf("/");
        const schemaForMetadata = { ...(closeSchema(schema) as Record<string, unknown>) };
        // metadata is `type: object` in a CRD (the API server validates it); keep it open here.
        validators.set(`kubernetes:${key.slice(0, i)}:${key.slice(i + 1)}`, ajv.compile(schemaForMetadata));
    }
}

/** Whether a CRD fixture covers `type`. */
export function hasCrdSchema(type: string): boolean {
    return validators.has(type);
}

/** Problems of one custom resource, as `path: message` lines; undefined when no fixture covers its type. */
export function crdSchemaErrors(type: string, manifest: Record<string, unknown>): string[] | undefined {
    const validate = validators.get(type);
    if (!validate) {
        return undefined;
    }
    if (validate(manifest)) {
        return [];
    }
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
}
