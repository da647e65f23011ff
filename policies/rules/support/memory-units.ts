/** Memory sizes written inside service settings, converted to MB (MiB). */

const JVM_UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** The heap limit a JVM option string sets: the last `-Xmx<size>` or `-XX:MaxHeapSize=<size>` wins. */
export function jvmMaxHeapMb(options: string): number | undefined {
    let heap: number | undefined;
    for (const match of options.matchAll(/(?:^|\s)(?:-Xmx|-XX:MaxHeapSize=)(\d+)([kKmMgGtT]?)(?=\s|$)/g)) {
        heap = (Number(match[1]) * JVM_UNITS[match[2].toLowerCase()]) / 2 ** 20;
    }
    return heap;
}

// redis.conf units: k/m/g are powers of 1000, kb/mb/gb powers of 1024 (case-insensitive).
const REDIS_UNITS: Record<string, number> = { "": 1, k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };

export function redisSizeMb(value: string): number | undefined {
    const match = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(value.trim());
    if (!match) return undefined;
    return (Number(match[1]) * REDIS_UNITS[(match[2] ?? "").toLowerCase()]) / 2 ** 20;
}

export interface RedisMaxmemory {
    readonly raw: string;
    /** Undefined when the size does not parse; 0 means "no limit" to Redis. */
    readonly mb: number | undefined;
}

/** The effective `maxmemory` of a redis.conf (the last directive wins). */
export function maxmemoryInConf(conf: string): RedisMaxmemory | undefined {
    let found: RedisMaxmemory | undefined;
    for (const line of conf.split("\n")) {
        const match = /^\s*maxmemory\s+(\S+)\s*$/i.exec(line);
        if (match) found = { raw: match[1], mb: redisSizeMb(match[1]) };
    }
    return found;
}

/** `--maxmemory <size>` on a redis-server/valkey-server command line (words of any shell string count). */
export function maxmemoryInArgs(args: readonly string[]): RedisMaxmemory | undefined {
    const words = args.flatMap((a) => a.split(/\s+/)).filter((w) => w.length > 0);
    let found: RedisMaxmemory | undefined;
    for (let i = 0; i < words.length - 1; i++) {
        if (words[i] === "--maxmemory") found = { raw: words[i + 1], mb: redisSizeMb(words[i + 1]) };
    }
    return found;
}

/**
 * The heap a JVM option string asks for: an absolute `-Xmx` (which wins, as in the JVM)
 * or `-XX:MaxRAMPercentage=<n>` of the container's memory limit.
 */
export function jvmHeapSetting(options: string): { mb: number } | { percent: number } | undefined {
    const mb = jvmMaxHeapMb(options);
    if (mb !== undefined) return { mb };
    let percent: number | undefined;
    for (const match of options.matchAll(/(?:^|\s)-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)(?=\s|$)/g)) percent = Number(match[1]);
    return percent === undefined ? undefined : { percent };
}

/** `memorylimitmb` of the `[memory]` section of SQL Server's mssql.conf (INI). */
export function mssqlConfMemoryLimit(conf: string): string | undefined {
    let section = "";
    let found: string | undefined;
    for (const raw of conf.split("\n")) {
        const line = raw.trim();
        const header = /^\[([^\]]+)\]$/.exec(line);
        if (header) section = header[1].trim().toLowerCase();
        const entry = /^memorylimitmb\s*=\s*(.*)$/i.exec(line);
        if (entry && section === "memory") found = entry[1].trim();
    }
    return found;
}
