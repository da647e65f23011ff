import { JVM_STEP_SIZE, STEP_SIZE } from "../config/presets";
import { Resources, ServicePort } from "./types";

interface Sized {
    readonly cpu: number;
    readonly memoryMb: number;
    readonly cpuReservation: number;
    readonly memoryReservationMb: number;
}

/** The limits and reservations of a service's config object. */
export function resourcesOf(s: Sized): Resources {
    return { cpu: s.cpu, memoryMb: s.memoryMb, cpuReservation: s.cpuReservation, memoryReservationMb: s.memoryReservationMb };
}

/** What a one-shot step gets (its size lives with the presets: the stack's footprint counts it). */
export const stepResources: Resources = STEP_SIZE;
/** What a step whose engine is a JVM gets (Liquibase). */
export const jvmStepResources: Resources = JVM_STEP_SIZE;

/** A service port that local tools may reach on 127.0.0.1:<hostPort>; not published when hostPort is unset. */
export function loopbackPort(name: string, port: number, hostPort: number | undefined): ServicePort {
    return { name, port, publish: hostPort ? { hostPort, hostIp: "127.0.0.1" } : undefined };
}
