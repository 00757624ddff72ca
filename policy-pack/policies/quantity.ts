/**
 * Kubernetes resource quantities as numbers. Owned by the policy pack (it is packed and published on its
 * own, so it may import nothing from outside its folder); `components/validation.ts` re-exports these.
 */

/**
 * Parses a Kubernetes CPU quantity into millicores (`"250m"` -> 250, `"2"` -> 2000).
 * Returns `undefined` when the string is not a CPU quantity.
 */
export function cpuMillicores(q: string): number | undefined {
    const m = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(q.trim());
    if (!m) {
        return undefined;
    }
    const n = Number(m[1]);
    return m[2] === "m" ? n : n * 1000;
}

const MEMORY_UNITS: Readonly<Record<string, number>> = {
    "": 1,
    k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
    Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5,
};

/**
 * Parses a Kubernetes memory quantity into bytes (`"128Mi"` -> 134217728, `"1G"` -> 1e9).
 * Returns `undefined` when the string is not a memory quantity.
 */
export function memoryBytes(q: string): number | undefined {
    const m = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(q.trim());
    if (!m) {
        return undefined;
    }
    return Number(m[1]) * MEMORY_UNITS[m[2] ?? ""];
}
