/**
 * Inventory: how many resources the stack registers, per top-level component, per region and per type,
 * the numbers a `pulumi preview` summary would show for a first deployment.
 */
import { GLOBAL, ResourceGraph } from "./graph";

export interface ComponentInventory {
    /** Pulumi name of the top-level resource (a direct child of the stack). */
    readonly name: string;
    readonly type: string;
    /** Region the component lives in, or `global`. */
    readonly region: string;
    /** The component and everything under it. */
    readonly count: number;
    readonly byType: Readonly<Record<string, number>>;
}

export interface Inventory {
    /** Resources the stack registers, excluding the root `pulumi:pulumi:Stack` itself. */
    readonly total: number;
    /** Custom (cloud/Kubernetes) resources and providers; the rest are component resources. */
    readonly custom: number;
    readonly components: number;
    /** Sorted by count, largest first; providers appear as their own entries. */
    readonly byComponent: readonly ComponentInventory[];
    /** Sorted by the stack's region order, `global` last. */
    readonly byRegion: readonly { readonly region: string; readonly count: number; readonly byType: Readonly<Record<string, number>> }[];
    /** Sorted by count, then type. */
    readonly byType: readonly { readonly type: string; readonly count: number }[];
}

function bump(map: Record<string, number>, key: string, by = 1): void {
    map[key] = (map[key] ?? 0) + by;
}

function sortedRecord(map: Record<string, number>): Record<string, number> {
    return Object.fromEntries(Object.entries(map).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export function buildInventory(graph: ResourceGraph, regionOrder: readonly string[] = []): Inventory {
    const components = new Map<string, { name: string; type: string; region: string; count: number; byType: Record<string, number> }>();
    const regions = new Map<string, Record<string, number>>();
    const types: Record<string, number> = {};
    let custom = 0;
    for (const r of graph.resources) {
        const top = graph.topLevelOf(r);
        const entry = components.get(top.urn || top.name) ?? { name: top.name, type: top.type, region: graph.regionLabel(top), count: 0, byType: {} };
        entry.count++;
        bump(entry.byType, r.type);
        components.set(top.urn || top.name, entry);
        const region = graph.regionLabel(r);
        const perRegion = regions.get(region) ?? {};
        bump(perRegion, r.type);
        regions.set(region, perRegion);
        bump(types, r.type);
        if (r.custom) {
            custom++;
        }
    }
    const rank = (region: string): number => {
        const i = regionOrder.indexOf(region);
        return region === GLOBAL ? Number.MAX_SAFE_INTEGER : i < 0 ? regionOrder.length : i;
    };
    return {
        total: graph.resources.length,
        custom,
        components: graph.resources.length - custom,
        byComponent: [...components.values()]
            .map((c) => ({ ...c, byType: sortedRecord(c.byType) }))
            .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
        byRegion: [...regions.entries()]
            .map(([region, byType]) => ({ region, count: Object.values(byType).reduce((s, n) => s + n, 0), byType: sortedRecord(byType) }))
            .sort((a, b) => rank(a.region) - rank(b.region) || a.region.localeCompare(b.region)),
        byType: Object.entries(types)
            .map(([type, count]) => ({ type, count }))
            .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    };
}
