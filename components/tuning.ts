/**
 * Memory settings derived from a container's memory limit, so that changing one
 * number (`<service>.memoryMb`) moves every setting that depends on it.
 */

/** SQL Server's own cap: about 80% of the container, the rest for the OS and tools. */
export function sqlServerMemoryLimitMb(containerMb: number): number {
    return Math.floor(containerMb * 0.8);
}

/** Redis/Valkey `maxmemory`: about 75%, leaving room for fork-on-rewrite and buffers. */
export function redisMaxMemoryMb(containerMb: number): number {
    return Math.floor(containerMb * 0.75);
}

/** Elasticsearch/Logstash JVM heap: at most half the container (Xms = Xmx). */
export function jvmHeapMb(containerMb: number): number {
    return Math.floor(containerMb * 0.5);
}

/** PostgreSQL's /dev/shm: an eighth of the container, at most 1 GB (it counts against the limit when used). */
export function postgresSharedMemoryMb(containerMb: number): number {
    return Math.min(1024, Math.floor(containerMb / 8));
}

export interface PostgresMemory {
    sharedBuffersMb: number;
    effectiveCacheSizeMb: number;
    maintenanceWorkMemMb: number;
    workMemMb: number;
}

/** PostgreSQL: shared_buffers 25%, effective_cache_size 75%, maintenance 5% (max 2 GB). */
export function postgresMemory(containerMb: number, maxConnections: number): PostgresMemory {
    const sharedBuffersMb = Math.floor(containerMb * 0.25);
    return {
        sharedBuffersMb,
        effectiveCacheSizeMb: Math.floor(containerMb * 0.75),
        maintenanceWorkMemMb: Math.min(2048, Math.max(16, Math.floor(containerMb * 0.05))),
        // What is left after shared buffers, spread over connections, a few sorts each.
        workMemMb: Math.max(4, Math.floor((containerMb - sharedBuffersMb) / (maxConnections * 3))),
    };
}
