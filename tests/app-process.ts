/**
 * Runs the reference application (`app/src/main.js`) as the image does, with `node` and an environment,
 * and talks to it over HTTP. Used by tests/reference-app.test.ts and the server-backed suite.
 */
import { ChildProcess, spawn } from "child_process";
import * as http from "http";
import * as path from "path";

export const APP_MAIN = path.join(__dirname, "..", "app", "src", "main.js");

export interface AppProcess {
    readonly child: ChildProcess;
    /** Everything the process wrote so far (stdout and stderr). */
    output(): string;
    /** Resolves once the output contains `text`. */
    waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
    /** Resolves with the exit code. */
    exited(): Promise<number | null>;
    /** Sends SIGTERM and resolves with the exit code. */
    stop(): Promise<number | null>;
}

/** Starts the app with exactly `env` (plus PATH); the working directory is `cwd` (default: the app dir). */
export function startApp(env: Record<string, string>, cwd = path.dirname(APP_MAIN)): AppProcess {
    const child = spawn(process.execPath, [APP_MAIN], { env: { PATH: process.env.PATH ?? "", ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return {
        child,
        output: () => out,
        async waitFor(text, timeoutMs = 15_000) {
            const deadline = Date.now() + timeoutMs;
            const seen = (): boolean => (typeof text === "string" ? out.includes(text) : text.test(out));
            while (!seen()) {
                if (child.exitCode !== null) {
                    throw new Error(`the app exited (${child.exitCode}) before printing ${String(text)}:\n${out}`);
                }
                if (Date.now() > deadline) {
                    throw new Error(`the app did not print ${String(text)} within ${timeoutMs} ms:\n${out}`);
                }
                await new Promise((r) => setTimeout(r, 25));
            }
        },
        exited: () => exit,
        async stop() {
            if (child.exitCode === null) {
                child.kill("SIGTERM");
            }
            return exit;
        },
    };
}

export interface HttpAnswer {
    readonly status: number;
    readonly body: any;
}

/** One HTTP request to localhost; the body is parsed as JSON when it is JSON. */
export function request(port: number, method: string, urlPath: string, body?: unknown): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, agent: false, headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {} }, (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => {
                let parsed: unknown = text;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    // plain text
                }
                resolve({ status: res.statusCode ?? 0, body: parsed });
            });
        });
        req.on("error", reject);
        req.end(data);
    });
}
