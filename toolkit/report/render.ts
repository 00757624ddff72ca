/**
 * Renders a `PlanReport` as terminal text or as Markdown for a pull-request comment. JSON output is the
 * report object itself (`JSON.stringify`), so tools read the same numbers the people see.
 */
import type { PlanReport } from "./index";
import { formatDuration } from "./deploy-time";
import type { CapacityClass, NodePool, RegionArchitecture, Workload } from "./architecture";
import type { CostLine } from "./cost";

export function money(n: number): string {
    return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const fmt = (n: number, digits = 1): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
const range = (a: number, b: number): string => (a === b ? String(a) : `${a}..${b}`);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function pad(rows: string[][], indent = ""): string[] {
    const widths: number[] = [];
    for (const row of rows) {
        row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
    }
    return rows.map((row) => indent + row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd());
}

// ---------------------------------------------------------------------------------------------
// Phrases shared by both formats.
// ---------------------------------------------------------------------------------------------

function dnsPhrase(r: RegionArchitecture): string {
    if (r.dnsSource === "none") {
        return "no weighted DNS";
    }
    if (r.dnsSource === "config") {
        return `DNS weight ${r.dns[0]?.weight ?? 0} (from config: no weighted Route53 records registered)`;
    }
    const weights = new Set(r.dns.map((d) => d.weight));
    const checked = r.dns.length > 0 && r.dns.every((d) => d.healthChecked) ? ", health-checked" : "";
    if (weights.size === 1) {
        return `DNS weight ${r.dns[0].weight} (${r.dns.map((d) => d.record).join(", ")}${checked})`;
    }
    return `DNS weights ${r.dns.map((d) => `${d.record} ${d.weight}`).join(", ")}${checked}`;
}

function lbPhrases(r: RegionArchitecture): string[] {
    return r.loadBalancers.map((lb) => {
        const parts = [
            `${lb.name}: ${lb.type}${lb.internal ? " internal" : " internet-facing"}`,
            lb.idleTimeoutSeconds !== undefined ? `idle ${lb.idleTimeoutSeconds} s` : undefined,
            lb.listeners.length ? lb.listeners.join(" ") : undefined,
            lb.waf ? "WAF" : undefined,
            ...lb.targetGroups.map((g) => `tg ${g.name}${g.port !== undefined ? `:${g.port}` : ""}${g.algorithm ? ` ${g.algorithm}` : ""}${g.sticky ? " sticky" : ""}`),
        ];
        return parts.filter(Boolean).join(", ");
    });
}

function poolPhrase(p: NodePool): string {
    const split = p.capacity === "mixed" ? ` (on-demand base ${p.onDemandBase}, ${p.onDemandPercentAboveBase} % above)` : "";
    const extras = [
        p.diskGiB !== undefined ? `${p.diskGiB} GiB disk` : undefined,
        p.zoneGroups !== undefined && p.zoneGroups > 1 ? `one ASG per zone (${p.zoneGroups})` : undefined,
        p.detailedMonitoring ? "detailed monitoring" : undefined,
    ].filter(Boolean);
    return `${p.name}: ${p.capacity}${split} ${p.instanceTypes.join("/") || "(no type)"} ${range(p.minSize, p.maxSize)} nodes, desired ${p.desiredSize}${extras.map((e) => `, ${e}`).join("")}`;
}

function servicePhrase(w: Workload): string {
    return `${w.name} ${range(w.minReplicas, w.maxReplicas)} replicas (${w.scaler}${w.placement === "spot" ? ", on spot" : ""})`;
}

function workersPhrase(ws: readonly Workload[]): string {
    return ws.map((w) => `${w.queue ?? w.name} ${range(w.minReplicas, w.maxReplicas)}`).join(", ") +
        ` (${[...new Set(ws.map((w) => w.scaler))].join("/")}${ws.every((w) => w.placement === "spot") ? ", on spot" : ws.some((w) => w.placement === "spot") ? ", partly on spot" : ", on on-demand nodes"})`;
}

function dbPhrases(r: RegionArchitecture): string[] {
    return r.databases.map((d) => `${d.role === "primary" ? "primary" : d.crossRegion ? `cross-region replica of ${d.replicaOf}` : `read replica of ${d.replicaOf}`}: ${d.name} ${d.instanceClass}${d.multiAz ? " Multi-AZ" : ""}${d.storageGiB !== undefined ? ` ${d.storageGiB} GiB` : ""}${d.engine ? ` ${d.engine}${d.engineVersion ? ` ${d.engineVersion}` : ""}` : ""}`);
}

function cachePhrases(r: RegionArchitecture): string[] {
    return r.caches.map((c) => `${c.purpose}: ${c.shards} shard${c.shards === 1 ? "" : "s"} x ${c.replicasPerShard + 1} nodes (${c.replicasPerShard} replica${c.replicasPerShard === 1 ? "" : "s"} each) = ${c.nodes} x ${c.nodeType}, ${c.engine}`);
}

/** Label/value rows of one region's architecture. */
function regionRows(r: RegionArchitecture): [string, string[]][] {
    const rows: [string, string[]][] = [];
    const add = (label: string, values: string[]): void => {
        if (values.length) {
            rows.push([label, values]);
        }
    };
    if (r.zones.length) {
        add("zones", [r.zones.map((z) => (z.zoneId ? `${z.name} (${z.zoneId})` : z.name)).join(", ")]);
    }
    add("load balancer", lbPhrases(r));
    if (r.natGateways) {
        add("NAT gateways", [String(r.natGateways)]);
    }
    add("EKS", r.clusters.map((c) => `${c.name}${c.version ? ` (Kubernetes ${c.version})` : ""}`));
    add("node pools", r.nodePools.map(poolPhrase));
    for (const kind of ["api", "ws", "other"] as const) {
        add(kind === "other" ? "services" : kind, r.services.filter((s) => s.kind === kind).map(servicePhrase));
    }
    if (r.workers.length) {
        add("workers", [workersPhrase(r.workers)]);
    }
    add("database", dbPhrases(r));
    add("cache", cachePhrases(r));
    return rows;
}

/** `policy-pack/config/prod.json (the environment's: the stack "preprod" has no file of its own)`. */
function policyConfigPhrase(report: PlanReport, code: (s: string) => string = (s) => s): string | undefined {
    const c = report.policy.config;
    if (!c) {
        return undefined;
    }
    return c.matchedBy === "stack"
        ? `${code(c.file)} (the stack's own)`
        : `${code(c.file)} (environment ${report.environment ?? "?"}: no file for stack ${report.stack})`;
}

function capacityPhrase(c: CapacityClass): string {
    const unknown = c.unknownTypes.length ? `; unknown sizes: ${c.unknownTypes.join(", ")}` : "";
    const fits = c.vcpu.max > 0 && c.requests.cpuAtMax > c.vcpu.max ? "  ! requests at max replicas exceed the pool maximum" : "";
    return `${c.purchase}: ${range(c.nodes.desired, c.nodes.max)} nodes = ${fmt(c.vcpu.desired)}..${fmt(c.vcpu.max)} vCPU, ${fmt(c.memoryGiB.desired)}..${fmt(c.memoryGiB.max)} GiB;` +
        ` pods request ${fmt(c.requests.cpuAtMin, 2)}..${fmt(c.requests.cpuAtMax, 2)} vCPU, ${fmt(c.requests.memoryGiBAtMin, 2)}..${fmt(c.requests.memoryGiBAtMax, 2)} GiB${unknown}${fits}`;
}

/** Cost lines worth a row of their own; the small fixed charges are summed per category. */
function splitLines(lines: readonly CostLine[]): { big: CostLine[]; small: Map<string, { n: number; monthly: number }> } {
    const bigCategories = new Set(["compute", "database", "cache", "kubernetes"]);
    const big: CostLine[] = [];
    const small = new Map<string, { n: number; monthly: number }>();
    for (const l of lines) {
        if (bigCategories.has(l.category) || l.monthly >= 10) {
            big.push(l);
        } else {
            const key = `${l.category}: ${l.unit}`;
            const s = small.get(key) ?? { n: 0, monthly: 0 };
            s.n += 1;
            s.monthly += l.monthly;
            small.set(key, s);
        }
    }
    return { big, small };
}

function unknownGroups(report: PlanReport): string[] {
    const groups = new Map<string, string[]>();
    for (const u of report.cost.unknown) {
        const key = `${u.type} in ${u.region}: ${u.what}`;
        groups.set(key, [...(groups.get(key) ?? []), u.resource]);
    }
    return [...groups.entries()].map(([k, names]) => `${k} (${names.length}: ${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""})`);
}

function headline(report: PlanReport): string {
    const env = [report.environment && `environment ${report.environment}`, report.tier && `tier ${report.tier}`].filter(Boolean).join(", ");
    return `${report.project} / stack ${report.stack}${env ? ` (${env})` : ""}: offline plan${report.mode === "preview" ? ", preview mode (as a first `pulumi preview`: ids and computed values unknown)" : ""}`;
}

/** ", 3 undecidable (2 of mandatory policies)" when a policy could not decide, or in preview mode. */
function undecidablePhrase(report: PlanReport): string {
    const p = report.policy;
    if (p.undecidable.length === 0 && report.mode !== "preview") {
        return "";
    }
    return `, ${p.undecidable.length} undecidable${p.undecidable.length ? ` (${p.undecidableMandatory} of mandatory policies)` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------------------------

/** One line on where the writer runs (`failover.activeRegion`). */
function failoverPhrase(f: NonNullable<PlanReport["failover"]>): string {
    if (!f.failedOver) {
        return `normal: writer ${f.writer ?? "(none registered)"} in ${f.activeRegion}; set failover.activeRegion to a replica's region to fail over`;
    }
    return `FAILED OVER to ${f.activeRegion}: writer ${f.writer ?? "(none registered)"} (promoted); ${f.drainedRegion} drained (DNS weight 0), ` +
        "its old primary and replicas left as they were (protected); remove nothing until the failback runbook says so";
}

export function renderText(report: PlanReport, options: { typeLimit?: number } = {}): string {
    const out: string[] = [];
    const inv = report.inventory;
    const typeLimit = options.typeLimit ?? 15;
    out.push(headline(report), "");

    out.push(`RESOURCES  ${inv.total} (${inv.custom} resources and providers, ${inv.components} components)`);
    out.push(`  by region     ${inv.byRegion.map((r) => `${r.region} ${r.count}`).join(", ")}`);
    out.push("  by component");
    out.push(...pad(inv.byComponent.map((c) => [c.name, c.type, c.region, String(c.count)]), "    "));
    out.push(`  by type${inv.byType.length > typeLimit ? ` (top ${typeLimit} of ${inv.byType.length})` : ""}`);
    out.push(...pad(inv.byType.slice(0, typeLimit).map((t) => [t.type, String(t.count)]), "    "));
    out.push("");

    out.push("ARCHITECTURE");
    for (const r of report.architecture.regions) {
        out.push(`  ${r.region}${r.role ? ` (${r.role})` : ""}  ${dnsPhrase(r)}`);
        const rows = regionRows(r);
        const width = Math.max(0, ...rows.map(([label]) => label.length));
        for (const [label, values] of rows) {
            values.forEach((v, i) => out.push(`    ${(i === 0 ? label : "").padEnd(width)}  ${v}`));
        }
    }
    if (report.architecture.notes.length) {
        out.push("  notes");
        out.push(...report.architecture.notes.map((n) => `    - ${n}`));
    }
    out.push("");

    out.push(...versionsText(report));

    if (report.architecture.capacity.length) {
        out.push("CAPACITY  nodes desired..max and what they hold, against pod requests at min..max replicas");
        for (const c of report.architecture.capacity) {
            c.classes.forEach((k, i) => out.push(`  ${(i === 0 ? c.region : "").padEnd(14)}${capacityPhrase(k)}`));
        }
        out.push("  (add-ons and DaemonSets not counted; nodes also reserve capacity for the kubelet)", "");
    }

    if (report.failover) {
        out.push(`FAILOVER  ${failoverPhrase(report.failover)}`, "");
    }
    if (report.recovery.length) {
        out.push("RECOVERY  what a restore can lose (RPO) per store, and how long recovery points are kept");
        out.push(...pad(report.recovery.map((r) => [r.region, r.store, r.mechanism, `RPO ${r.rpo}`, r.retention]), "  "));
        out.push("");
    }

    const p = report.policy;
    if (p.status === "unavailable") {
        out.push(`POLICIES  not evaluated: ${p.reason}`);
    } else {
        out.push(`POLICIES  ${p.packName}, ${plural(p.policies, "policy", "policies")}: ${p.mandatory} mandatory, ${p.advisory} advisory violation${p.advisory === 1 ? "" : "s"}${undecidablePhrase(report)}`);
        out.push(...pad([
            ...p.violations.map((v) => [v.enforcementLevel, v.policyName, v.resourceName ? `${v.resourceName} (${v.resourceType ?? "?"})` : "(stack)", v.message]),
            ...p.undecidable.map((u) => [`undecidable (${u.enforcementLevel})`, u.policyName, u.resourceName ? `${u.resourceName} (${u.resourceType ?? "?"})` : "(stack)", u.message]),
        ], "  "));
    }
    const configUsed = policyConfigPhrase(report);
    if (configUsed) {
        out.push(`  config: ${configUsed}`);
    }
    if (p.note) {
        out.push(`  note: ${p.note}`);
    }
    out.push("");

    const cost = report.cost;
    out.push(`COST  USD per month: baseline (desired sizes) .. every pool and storage at max`);
    out.push(`  total         ${money(cost.total.monthly)} .. ${money(cost.total.monthlyAtMax)}` +
        `   (on-demand ${money(cost.byPurchase["on-demand"].monthly)}, spot ${money(cost.byPurchase.spot.monthly)} baseline)` +
        (cost.unknown.length ? `; excludes ${plural(cost.unknown.length, "unpriced item")}, listed below` : ""));
    out.push("  by region");
    out.push(...pad(cost.byRegion.map((r) => [r.region, money(r.monthly), money(r.monthlyAtMax)]), "    "));
    out.push("  by component");
    out.push(...pad(cost.byComponent.map((c) => [c.component, money(c.monthly), money(c.monthlyAtMax)]), "    "));
    out.push("  by category");
    out.push(...pad(cost.byCategory.map((c) => [c.category, money(c.monthly), money(c.monthlyAtMax)]), "    "));
    const { big, small } = splitLines(cost.lines);
    out.push("  lines");
    out.push(...pad([
        ...big.map((l) => [l.region, l.resource, `${fmt(l.quantity, 2)} x ${l.unit}`, money(l.monthly), money(l.monthlyAtMax), l.detail]),
        ...[...small.entries()].map(([k, s]) => ["", `${s.n} x ${k}`, "", money(s.monthly), money(s.monthly), "small fixed charges"]),
    ], "    "));
    if (cost.unknown.length) {
        out.push(`  unknown (not in the totals; no price in the table, not guessed)`);
        out.push(...unknownGroups(report).map((u) => `    - ${u}`));
    }
    if (cost.settings.length) {
        out.push("  cost settings (stack keys that change them)");
        out.push(...pad(cost.settings.map((c) => [c.region, c.subject, c.value, c.key]), "    "));
    }
    out.push(`  prices: ${cost.source}`);
    out.push(`  spot: ${cost.spotAssumption}`);
    out.push(`  not estimated: ${cost.notEstimated.join("; ")}`);
    out.push("");
    out.push(...deployText(report));
    out.push("");
    out.push(report.outcome.ok ? "RESULT  OK" : `RESULT  FAILED: ${report.outcome.failures.join("; ")}`);
    return out.join("\n") + "\n";
}

/** Critical-path steps worth showing: the ones that take time (components and instant steps left out). */
function pathRows(report: PlanReport): string[][] {
    return report.deploy.criticalPath.filter((s) => s.seconds >= 60).map((s) => [
        `+${formatDuration(s.startSeconds)}`, formatDuration(s.seconds), s.type, s.name,
    ]);
}

function deployHeadline(report: PlanReport): string {
    const d = report.deploy;
    const same = d.totalSeconds === d.dataOnlySeconds;
    return `first \`pulumi up\` ~${formatDuration(d.totalSeconds)}; data dependencies alone force ${formatDuration(d.dataOnlySeconds)}` +
        (same ? " (no explicit dependsOn lengthens it)" : ` (explicit dependsOn add ${formatDuration(d.totalSeconds - d.dataOnlySeconds)})`) +
        `; ${d.explicitEdges.length} explicit-only ordering edge${d.explicitEdges.length === 1 ? "" : "s"}, ${d.explicitOnPath} on the critical path`;
}

function deployText(report: PlanReport): string[] {
    const d = report.deploy;
    const out = [`DEPLOY  ${deployHeadline(report).replace(/\`/g, "")}`];
    out.push("  critical path (steps of 1 min or more; start offset, duration)");
    out.push(...pad(pathRows(report), "    "));
    out.push("  creation times used");
    out.push(...pad(d.figures.map((f) => [f.label, formatDuration(f.seconds), `x${f.count}`, f.source]), "    "));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown (a pull-request comment).
// ---------------------------------------------------------------------------------------------

/** Escapes a table cell. */
function cell(s: string): string {
    return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: string[], rows: string[][], align?: ("l" | "r")[]): string[] {
    const sep = header.map((_, i) => (align?.[i] === "r" ? "---:" : "---"));
    return [`| ${header.join(" | ")} |`, `| ${sep.join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}

/** Hidden marker a workflow uses to find and update its own comment. */
export function markdownMarker(stack: string): string {
    return `<!-- scaled-web-plan:${stack} -->`;
}

/** GitHub refuses comments over 65,536 characters; the report keeps under this. */
export const MAX_MARKDOWN_CHARS = 60000;

/**
 * Markdown for a pull-request comment. When the full report would not fit in a comment, the per-line
 * cost table and the inventory tables are left out, then violations beyond the first 50 (the text and
 * JSON formats always hold everything).
 */
export function renderMarkdown(report: PlanReport): string {
    const full = markdown(report, { compact: false });
    if (full.length <= MAX_MARKDOWN_CHARS) {
        return full;
    }
    const compact = markdown(report, { compact: true });
    if (compact.length <= MAX_MARKDOWN_CHARS) {
        return compact;
    }
    const shortest = markdown(report, { compact: true, maxViolations: 50 });
    if (shortest.length <= MAX_MARKDOWN_CHARS) {
        return shortest;
    }
    // Last resort: cut at a line boundary.
    const note = "\n\n(report cut to fit a pull-request comment; `npm run plan` prints all of it)\n";
    const cut = shortest.slice(0, MAX_MARKDOWN_CHARS - note.length);
    return cut.slice(0, cut.lastIndexOf("\n")) + note;
}

/** Cost lines of one kind that share one row of the Markdown table from this many on (e.g. 84 alarms of a region). */
export const GROUP_COST_LINES_FROM = 5;

/**
 * The cost lines as Markdown table rows, with runs of one kind (same region, type, unit, unit price and
 * detail, such as a region's ~80 CloudWatch alarms) summed into one row naming the first and last
 * resource, so a pull-request comment lists kinds rather than hundreds of $0.10 rows.
 */
function costLineRows(lines: readonly CostLine[]): string[][] {
    const groups = new Map<string, CostLine[]>();
    for (const l of lines) {
        const key = [l.region, l.type, l.unit, l.unitMonthly, l.detail].join("\u0000");
        groups.set(key, [...(groups.get(key) ?? []), l]);
    }
    return [...groups.values()].flatMap((g) => {
        if (g.length < GROUP_COST_LINES_FROM) {
            return g.map((l) => [l.region, l.resource, `${fmt(l.quantity, 2)} x ${l.unit}`, money(l.monthly), money(l.monthlyAtMax), l.detail]);
        }
        const sum = (f: (l: CostLine) => number): number => g.reduce((t, l) => t + f(l), 0);
        return [[g[0].region, `${g.length} resources: ${g[0].resource} ... ${g[g.length - 1].resource}`, `${fmt(sum((l) => l.quantity), 2)} x ${g[0].unit}`,
            money(sum((l) => l.monthly)), money(sum((l) => l.monthlyAtMax)), `${g[0].detail} (${money(g[0].unitMonthly)} each)`]];
    });
}

/** The first `n` rows, and a row saying how many were left out. */
function firstRows(rows: string[][], n: number | undefined, what: string): string[][] {
    if (n === undefined || rows.length <= n) {
        return rows;
    }
    return [...rows.slice(0, n), [`...and ${rows.length - n} more ${what}`, ...rows[0].slice(1).map(() => "")]];
}

function markdown(report: PlanReport, opts: { compact: boolean; maxViolations?: number }): string {
    const out: string[] = [];
    const inv = report.inventory;
    const cost = report.cost;
    const p = report.policy;
    out.push(markdownMarker(report.stack));
    out.push(`### Offline plan: \`${report.stack}\`${report.environment ? ` (${report.environment}${report.tier ? `, ${report.tier} tier` : ""})` : ""}${report.mode === "preview" ? ", preview mode" : ""}`, "");
    const status = report.outcome.ok ? "**OK**" : `**FAILED**: ${report.outcome.failures.join("; ")}`;
    const policyLine = p.status === "evaluated" ? `${p.mandatory} mandatory / ${p.advisory} advisory policy violations${undecidablePhrase(report)}` : `policies not evaluated (${p.reason})`;
    const unpriced = cost.unknown.length ? ` (excludes ${plural(cost.unknown.length, "unpriced item")})` : "";
    out.push(`${status} · ${inv.total} resources · ${policyLine} · est. **${money(cost.total.monthly)}/month** at desired sizes, ${money(cost.total.monthlyAtMax)} at max${unpriced}`, "");

    out.push("#### Architecture", "");
    for (const r of report.architecture.regions) {
        out.push(`**${r.region}**${r.role ? ` (${r.role})` : ""}: ${dnsPhrase(r)}`, "");
        for (const [label, values] of regionRows(r)) {
            out.push(values.length === 1 ? `- ${label}: ${values[0]}` : `- ${label}:\n${values.map((v) => `  - ${v}`).join("\n")}`);
        }
        out.push("");
    }
    if (report.architecture.capacity.length) {
        out.push("#### Capacity", "");
        out.push(...table(
            ["Region", "Nodes", "Count", "vCPU", "Memory GiB", "Pod requests vCPU (min..max replicas)", "Pod requests GiB"],
            report.architecture.capacity.flatMap((c) => c.classes.map((k) => [
                c.region, k.purchase, range(k.nodes.desired, k.nodes.max), `${fmt(k.vcpu.desired)}..${fmt(k.vcpu.max)}`,
                `${fmt(k.memoryGiB.desired)}..${fmt(k.memoryGiB.max)}`, `${fmt(k.requests.cpuAtMin, 2)}..${fmt(k.requests.cpuAtMax, 2)}`,
                `${fmt(k.requests.memoryGiBAtMin, 2)}..${fmt(k.requests.memoryGiBAtMax, 2)}${k.unknownTypes.length ? ` (unknown: ${k.unknownTypes.join(", ")})` : ""}`,
            ])),
        ), "");
    }
    if (report.architecture.notes.length) {
        out.push("<details><summary>Notes</summary>", "", ...report.architecture.notes.map((n) => `- ${n}`), "", "</details>", "");
    }

    out.push(...versionsMarkdown(report));
    if (report.failover) {
        out.push("#### Failover", "", failoverPhrase(report.failover), "");
    }
    if (report.recovery.length) {
        out.push("#### Recovery points", "");
        out.push(...table(["Region", "Store", "Mechanism", "RPO", "Kept"], report.recovery.map((r) => [r.region, r.store, r.mechanism, r.rpo, r.retention])), "");
    }

    out.push("#### Policies", "");
    if (p.status === "unavailable") {
        out.push(`Not evaluated: ${p.reason}`, "");
    } else {
        const configUsed = policyConfigPhrase(report, (f) => `\`${f}\``);
        out.push(`${p.packName}: ${plural(p.policies, "policy", "policies")} evaluated, **${p.mandatory} mandatory**, ${p.advisory} advisory violations.${p.note ? ` (${p.note})` : ""}` +
            `${configUsed ? ` Config: ${configUsed}.` : ""}`, "");
        if (p.violations.length) {
            const shown = p.violations.slice(0, opts.maxViolations ?? p.violations.length);
            out.push(...table(["Level", "Policy", "Resource", "Message"], shown.map((v) => [
                v.enforcementLevel, `\`${v.policyName}\``, v.resourceName ? `\`${v.resourceName}\` (${v.resourceType ?? "?"})` : "(stack)", v.message,
            ])), "");
            if (shown.length < p.violations.length) {
                out.push(`...and ${p.violations.length - shown.length} more (run \`npm run plan\` for all of them).`, "");
            }
        }
        if (p.undecidable.length) {
            const shown = p.undecidable.slice(0, opts.maxViolations ?? p.undecidable.length);
            out.push(`Could not decide (a value is unknown until the resource exists; a mandatory policy here is not enforced by \`pulumi preview\`):`, "");
            out.push(...table(["Level", "Policy", "Resource", "Unknown value"], shown.map((u) => [
                u.enforcementLevel, `\`${u.policyName}\``, u.resourceName ? `\`${u.resourceName}\` (${u.resourceType ?? "?"})` : "(stack)", u.message,
            ])), "");
            if (shown.length < p.undecidable.length) {
                out.push(`...and ${p.undecidable.length - shown.length} more (run \`npm run plan -- --preview\` for all of them).`, "");
            }
        }
    }

    out.push("#### Monthly cost estimate (USD)", "");
    out.push(...table(["", "Desired sizes", "At max"], [
        ["**Total**", `**${money(cost.total.monthly)}**`, `**${money(cost.total.monthlyAtMax)}**`],
        ["on-demand", money(cost.byPurchase["on-demand"].monthly), money(cost.byPurchase["on-demand"].monthlyAtMax)],
        ["spot (assumed discount)", money(cost.byPurchase.spot.monthly), money(cost.byPurchase.spot.monthlyAtMax)],
        ...cost.byRegion.map((r) => [`region ${r.region}`, money(r.monthly), money(r.monthlyAtMax)]),
    ], ["l", "r", "r"]), "");
    out.push("<details><summary>By component and line</summary>", "");
    out.push(...table(["Component", "Desired sizes", "At max"], firstRows(cost.byComponent.map((c) => [c.component, money(c.monthly), money(c.monthlyAtMax)]), opts.compact ? 30 : undefined, "components"), ["l", "r", "r"]), "");
    if (opts.compact) {
        out.push(`(${cost.lines.length} cost lines left out to fit a comment; \`npm run plan -- --stack ${report.stack}\` lists them.)`, "", "</details>", "");
    } else {
        out.push(...table(["Region", "Resource", "Quantity", "Monthly", "At max", "How"], costLineRows(cost.lines), ["l", "l", "l", "r", "r", "l"]), "", "</details>", "");
    }
    if (cost.unknown.length) {
        out.push("**Unknown prices** (left out of the totals, not guessed):", "", ...unknownGroups(report).map((u) => `- ${u}`), "");
    }
    if (cost.settings.length) {
        out.push("<details><summary>Cost settings</summary>", "");
        out.push(...table(["Region", "What", "Setting", "Stack key"], firstRows(cost.settings.map((c) => [c.region, c.subject, c.value, `\`${c.key}\``]), opts.compact ? 20 : undefined, "settings"), ["l", "l", "l", "l"]), "", "</details>", "");
    }
    out.push(`<sub>Prices: ${cost.source}. Spot: ${cost.spotAssumption}. Not estimated: ${cost.notEstimated.join("; ")}.</sub>`, "");

    out.push("#### Deploy time estimate", "");
    out.push(`${deployHeadline(report)}.`, "");
    out.push("<details><summary>Critical path and creation times</summary>", "");
    out.push(...table(["Start", "Takes", "Type", "Resource"], pathRows(report), ["r", "r", "l", "l"]), "");
    out.push(...table(["Creation time of", "Figure", "Count", "Source"], report.deploy.figures.map((f) => [f.label, formatDuration(f.seconds), String(f.count), f.source]), ["l", "r", "r", "l"]), "");
    out.push("</details>", "");

    out.push("#### Inventory", "");
    out.push(`${inv.total} resources (${inv.custom} cloud resources, ${inv.components} components).`, "");
    out.push("<details><summary>Per region, component and type</summary>", "");
    out.push(...table(["Region", "Resources"], inv.byRegion.map((r) => [r.region, String(r.count)]), ["l", "r"]), "");
    if (opts.compact) {
        out.push(`(per-component and per-type tables left out to fit a comment; \`npm run plan -- --stack ${report.stack}\` prints them.)`, "");
    } else {
        out.push(...table(["Component", "Type", "Region", "Resources"], inv.byComponent.map((c) => [c.name, c.type, c.region, String(c.count)]), ["l", "l", "l", "r"]), "");
        out.push(...table(["Type", "Count"], inv.byType.map((t) => [t.type, String(t.count)]), ["l", "r"]), "");
    }
    out.push("</details>", "");
    out.push("<sub>Generated offline by `npm run plan` (Pulumi mock runtime, no cloud credentials).</sub>");
    return out.join("\n") + "\n";
}

function versionLine(r: PlanReport["versions"]["regions"][number]): string {
    const addons = r.addons.map((a) => `${a.name} ${a.version}`).join(", ") || "no managed add-ons";
    const amis = [...new Set(r.nodeImages.map((n) => `${n.kubernetesVersion ?? "?"}${n.release ? ` ${n.release}` : ""}`))].join(", ") || "no node pools";
    return `Kubernetes ${r.kubernetesVersion ?? "unknown"}${r.supportType ? ` (${r.supportType.toLowerCase()} support)` : ""}; add-ons ${addons}; node AMIs ${amis}`;
}

function versionsText(report: PlanReport): string[] {
    const v = report.versions;
    if (!v || v.regions.length === 0) {
        return [];
    }
    const out = ["VERSIONS", ...v.regions.map((r) => `  ${r.region.padEnd(14)}${versionLine(r)}`)];
    out.push(v.skew.length ? "  pending skew" : "  no pending version skew");
    out.push(...v.skew.map((s) => `    - ${s}`), "");
    return out;
}

function versionsMarkdown(report: PlanReport): string[] {
    const v = report.versions;
    if (!v || v.regions.length === 0) {
        return [];
    }
    const out = ["#### Versions", "", ...v.regions.map((r) => `- **${r.region}**: ${versionLine(r)}`), ""];
    out.push(v.skew.length ? "Pending version skew:" : "No pending version skew.", "");
    if (v.skew.length) {
        out.push(...v.skew.map((s) => `- ${s}`), "");
    }
    return out;
}
