/**
 * Keeps docs/components.md honest: every component the package exports has a section that names what
 * it creates, its arguments (each argument of its Args interface) and its outputs.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import * as library from "../components";

const ROOT = path.resolve(__dirname, "..");
const DOC = fs.readFileSync(path.join(ROOT, "docs", "components.md"), "utf8");

const components = Object.entries(library)
    .filter(([, v]) => typeof v === "function" && v.prototype instanceof pulumi.ComponentResource)
    .map(([name]) => name)
    .sort();

/** Fields of `interface <name>` in any components/*.ts file, read with the TypeScript parser. */
function interfaceFields(name: string): string[] | undefined {
    for (const file of fs.readdirSync(path.join(ROOT, "components")).filter((f) => f.endsWith(".ts"))) {
        const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, "components", file), "utf8"), ts.ScriptTarget.ES2022, true);
        for (const stmt of source.statements) {
            if (ts.isInterfaceDeclaration(stmt) && stmt.name.text === name) {
                return stmt.members.filter(ts.isPropertySignature).map((m) => m.name.getText(source));
            }
        }
    }
    return undefined;
}

function section(name: string): string {
    const start = DOC.indexOf(`\n## ${name}\n`);
    if (start < 0) {
        return "";
    }
    const next = DOC.indexOf("\n## ", start + 4);
    return DOC.slice(start, next < 0 ? undefined : next);
}

test("the package exports components", () => {
    expect(components).toEqual(expect.arrayContaining(["Network"]));
});

describe.each(components)("docs/components.md documents %s", (name) => {
    const text = section(name);

    test("has a section with what it creates, its arguments, its outputs and an example", () => {
        expect(text).not.toBe("");
        expect(text).toMatch(/### Creates/);
        expect(text).toMatch(/### Arguments/);
        expect(text).toMatch(/### Outputs/);
        expect(text).toMatch(/```ts/);
    });

    test("names every argument of its Args interface", () => {
        const fields = interfaceFields(`${name}Args`) ?? [];
        const missing = fields.filter((f) => !text.includes(`\`${f}\``));
        expect(missing).toEqual([]);
    });
});
