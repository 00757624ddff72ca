/**
 * Every explicit `dependsOn` in components/ and platform/ says why data flow alone does not order things:
 * a comment starting `// order:` in the comment lines directly above it. An explicit dependency the program
 * does not need serializes cloud work on a first `pulumi up` (an EKS cluster, a database, a Helm release
 * waiting for something it does not use), so each one has to justify itself.
 *
 * Found by parsing the TypeScript sources (compiler API): every object-literal property named `dependsOn`
 * (`dependsOn: x` or shorthand `dependsOn`) and every assignment to `<expr>.dependsOn`. An empty array
 * literal orders nothing and needs no reason.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const DIRS = ["components", "platform"];

export interface Unexplained {
    readonly file: string;
    readonly line: number;
    readonly text: string;
}

/** The `dependsOn` sites of one source text that have no `// order:` comment directly above. */
export function unexplainedDependsOn(source: string, file = "x.ts"): Unexplained[] {
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const lines = source.split("\n");
    const out: Unexplained[] = [];
    const check = (node: ts.Node, value: ts.Expression | undefined): void => {
        if (value && ts.isArrayLiteralExpression(value) && value.elements.length === 0) {
            return;
        }
        const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        // The contiguous block of `//` comment lines directly above the line.
        let explained = false;
        for (let i = line - 1; i >= 0 && lines[i].trim().startsWith("//"); i--) {
            if (lines[i].trim().startsWith("// order:")) {
                explained = true;
                break;
            }
        }
        if (!explained) {
            out.push({ file, line: line + 1, text: lines[line].trim() });
        }
    };
    const visit = (node: ts.Node): void => {
        if (ts.isPropertyAssignment(node) && node.name.getText(sf) === "dependsOn" && ts.isObjectLiteralExpression(node.parent)) {
            check(node, node.initializer);
        } else if (ts.isShorthandPropertyAssignment(node) && node.name.text === "dependsOn") {
            check(node, undefined);
        } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
            ts.isPropertyAccessExpression(node.left) && node.left.name.text === "dependsOn") {
            check(node, node.right);
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return out;
}

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

describe("explicit dependsOn needs a recorded reason", () => {
    it("finds an unexplained dependsOn, in every form, and accepts one with an // order: comment", () => {
        const bad = [
            "new A('a', {}, { parent: this, dependsOn: [b] });",
            "new A('a', {}, {\n    parent: this,\n    // Waits for b.\n    dependsOn: [b],\n});",
            "const dependsOn = [b];\nnew A('a', {}, { dependsOn });",
            "opts.dependsOn = [b];",
            "// order: a reason, but a blank line breaks the block\n\nnew A('a', {}, { dependsOn: [b] });",
        ];
        for (const src of bad) {
            expect([src, unexplainedDependsOn(src).length]).toEqual([src, 1]);
        }
        const good = [
            "new A('a', {}, {\n    parent: this,\n    // order: b must exist first; no input references it.\n    dependsOn: [b],\n});",
            "new A('a', {}, {\n    // order: the API checks b at create time,\n    // and nothing in the inputs waits for it.\n    dependsOn: [b],\n});",
            "new A('a', {}, {\n    // order: why\n    // (more detail)\n    dependsOn: [b],\n});",
            "new A('a', {}, { parent: this, dependsOn: [] });",
            "interface X { dependsOn?: string[] }",
            "// dependsOn in a comment is not code",
        ];
        for (const src of good) {
            expect([src, unexplainedDependsOn(src)]).toEqual([src, []]);
        }
    });

    it("every dependsOn in components/ and platform/ has an // order: comment directly above it", () => {
        const files = DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));
        expect(files.length).toBeGreaterThan(10);
        const sites = files.flatMap((f) => unexplainedDependsOn(fs.readFileSync(f, "utf8"), path.relative(ROOT, f)));
        expect(sites.map((s) => `${s.file}:${s.line}: ${s.text}`)).toEqual([]);
        // The scan does see the explicit dependencies this project keeps (a guard against a parser that finds nothing).
        const all = files.reduce((n, f) => n + (fs.readFileSync(f, "utf8").match(/\bdependsOn\s*:/g)?.length ?? 0), 0);
        expect(all).toBeGreaterThanOrEqual(10);
    });
});
