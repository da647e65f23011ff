import * as k8s from "@pulumi/kubernetes";
import { HealthCheck, Resources } from "../types";

import Input = k8s.types.input.core.v1;

/**
 * Quantities in the canonical form the API server writes back, so what Pulumi sends is
 * what it reads: whole cores plain ("2"), fractions in millicores ("500m"); binary sizes in
 * the largest unit that holds them exactly ("8Gi", not "8192Mi"; "1536Mi").
 */
export function cpuQuantity(cores: number): string {
    const milli = Math.round(cores * 1000);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

function binaryQuantity(value: number, units: readonly string[]): string {
    let unit = 0;
    while (unit < units.length - 1 && value % 1024 === 0) {
        value /= 1024;
        unit++;
    }
    return `${value}${units[unit]}`;
}

export function memoryQuantity(mb: number): string {
    return binaryQuantity(mb, ["Mi", "Gi", "Ti", "Pi"]);
}

export function storageQuantity(gb: number): string {
    return binaryQuantity(gb, ["Gi", "Ti", "Pi"]);
}

/** Limits and requests (the reservations); a GPU goes in limits only. */
export function containerResources(r: Resources, gpu = false): Input.ResourceRequirements {
    return {
        limits: { cpu: cpuQuantity(r.cpu), memory: memoryQuantity(r.memoryMb), ...(gpu ? { "nvidia.com/gpu": "1" } : {}) },
        requests: { cpu: cpuQuantity(r.cpuReservation), memory: memoryQuantity(r.memoryReservationMb) },
    };
}

function handler(h: HealthCheck): Pick<Input.Probe, "httpGet" | "exec"> {
    return h.httpGet ? { httpGet: { path: h.httpGet.path, port: h.httpGet.port, ...(h.httpGet.scheme ? { scheme: h.httpGet.scheme } : {}) } } : { exec: { command: h.command } };
}

/**
 * The service's health check as Kubernetes probes: a startup probe that allows the
 * start period (so slow starters such as SQL Server are not killed while recovering),
 * then readiness (out of the Service) and liveness (restart) with the check's retries.
 */
export function probes(h: HealthCheck): Pick<Input.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
    const base = { ...handler(h), periodSeconds: h.intervalSeconds, timeoutSeconds: h.timeoutSeconds };
    return {
        startupProbe: { ...base, failureThreshold: Math.ceil(h.startPeriodSeconds / h.intervalSeconds) + h.retries },
        readinessProbe: { ...base, failureThreshold: 3, successThreshold: 1 },
        livenessProbe: { ...base, failureThreshold: h.retries },
    };
}
