import { BackupSchedule } from "../platform/types";

/**
 * Why `everyMinutes` cannot be a cron schedule, or undefined when it can: cron repeats
 * within the hour (every N minutes, N dividing 60) or the day (every H hours, H dividing 24); any
 * other period would run at uneven gaps. The Docker scheduler runs on the same grid
 * (multiples of the period since the epoch), so both platforms back up at the same times.
 */
export function cronPeriodProblem(everyMinutes: number): string | undefined {
    if (!Number.isInteger(everyMinutes) || everyMinutes < 1) return "must be a whole number of minutes";
    if (everyMinutes < 60 && 60 % everyMinutes === 0) return undefined;
    if (everyMinutes % 60 === 0 && 24 % (everyMinutes / 60) === 0) return undefined;
    return "must divide an hour (5, 10, 15, 20, 30) or be whole hours dividing a day (60, 120, 180, 240, 360, 480, 720, 1440): a CronJob runs on that grid";
}

/** A backup schedule as a cron expression in UTC (the CronJob sets timeZone Etc/UTC). */
export function cronSchedule(schedule: BackupSchedule): string {
    if ("dailyAtUtc" in schedule) {
        const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(schedule.dailyAtUtc);
        if (!match) throw new Error(`daily backup time ${schedule.dailyAtUtc} is not HH:MM`);
        return `${Number(match[2])} ${Number(match[1])} * * *`;
    }
    const n = schedule.everyMinutes;
    const problem = cronPeriodProblem(n);
    if (problem) throw new Error(`a backup every ${n} minutes: ${problem}`);
    if (n < 60) return `*/${n} * * * *`;
    const hours = n / 60;
    return hours === 1 ? "0 * * * *" : hours === 24 ? "0 0 * * *" : `0 */${hours} * * *`;
}

/** The schedule's period in seconds (a daily backup: a day). */
export function schedulePeriodSeconds(schedule: BackupSchedule): number {
    return "dailyAtUtc" in schedule ? 86400 : schedule.everyMinutes * 60;
}
