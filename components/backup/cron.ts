import { cronPeriodProblem, Schedule } from "../config/schedule";

// Validation asks it of a config value first: defined with the schedule config (config/schedule.ts).
export { cronPeriodProblem };

/** `HH:MM` as [hours, minutes]; an error names the value otherwise. */
function timeOfDay(hhmm: string): [number, number] {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
    if (!match) throw new Error(`time of day ${hhmm} is not HH:MM`);
    return [Number(match[1]), Number(match[2])];
}

/** A schedule as a cron expression in UTC (CronJobs set timeZone Etc/UTC). */
export function cronSchedule(schedule: Schedule): string {
    if ("dailyAtUtc" in schedule) {
        const [h, m] = timeOfDay(schedule.dailyAtUtc);
        return `${m} ${h} * * *`;
    }
    if ("weekly" in schedule) {
        const [h, m] = timeOfDay(schedule.weekly.atUtc);
        return `${m} ${h} * * ${schedule.weekly.day}`;
    }
    if ("monthly" in schedule) {
        const [h, m] = timeOfDay(schedule.monthly.atUtc);
        return `${m} ${h} ${schedule.monthly.day} * *`;
    }
    const n = schedule.everyMinutes;
    const problem = cronPeriodProblem(n);
    if (problem) throw new Error(`every ${n} minutes: ${problem}`);
    if (n < 60) return `*/${n} * * * *`;
    const hours = n / 60;
    return hours === 1 ? "0 * * * *" : hours === 24 ? "0 0 * * *" : `0 */${hours} * * *`;
}

const DAY = 86400;

/** The schedule's (longest) period in seconds: a daily run a day, a monthly one 31 days. */
export function schedulePeriodSeconds(schedule: Schedule): number {
    if ("dailyAtUtc" in schedule) return DAY;
    if ("weekly" in schedule) return 7 * DAY;
    if ("monthly" in schedule) return 31 * DAY;
    return schedule.everyMinutes * 60;
}

/**
 * How old a task's last success may be before it counts as overdue: its period and a grace of
 * half of it (at least an hour, at most a day), for a run that takes long or starts late.
 */
export function overdueAfterSeconds(schedule: Schedule): number {
    const period = schedulePeriodSeconds(schedule);
    return period + Math.min(DAY, Math.max(3600, period / 2));
}

/**
 * The schedule as the Docker scheduler reads it (components/backup/scheduler.ts): `every:<minutes>`,
 * `daily:<HH:MM>`, `weekly:<day 0-6>:<HH:MM>`, `monthly:<day>:<HH:MM>`.
 */
export function schedulerWhen(schedule: Schedule): string {
    if ("dailyAtUtc" in schedule) return `daily:${schedule.dailyAtUtc}`;
    if ("weekly" in schedule) return `weekly:${schedule.weekly.day}:${schedule.weekly.atUtc}`;
    if ("monthly" in schedule) return `monthly:${schedule.monthly.day}:${schedule.monthly.atUtc}`;
    return `every:${schedule.everyMinutes}`;
}
