import { z } from "zod";

/** Days of the week as cron numbers them (0 = Sunday). */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** When scheduled work runs, in UTC: every N minutes, or daily, weekly or monthly at a time of day (`HH:MM`). */
export type Schedule =
    | { readonly everyMinutes: number }
    | { readonly dailyAtUtc: string }
    | { readonly weekly: { readonly day: Weekday; readonly atUtc: string } }
    | { readonly monthly: { readonly day: number; readonly atUtc: string } };

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

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const TIME = "([01]\\d|2[0-3]):[0-5]\\d";

/**
 * A schedule as a config value, in UTC: `daily 03:30`, `weekly sun 03:00`, `monthly 1 05:00`
 * (day 1–28: every month has it), or `off`. Parsed into a Schedule (undefined: off).
 */
export const scheduleText = z
    .string()
    .regex(
        new RegExp(`^(off|daily ${TIME}|weekly (${DAYS.join("|")}) ${TIME}|monthly ([1-9]|1\\d|2[0-8]) ${TIME})$`),
        "must be a UTC schedule: `daily HH:MM`, `weekly <sun|mon|tue|wed|thu|fri|sat> HH:MM`, `monthly <1-28> HH:MM`, or `off`",
    )
    .transform((text): Schedule | undefined => {
        const [kind, a, b] = text.split(" ");
        switch (kind) {
            case "daily":
                return { dailyAtUtc: a };
            case "weekly":
                return { weekly: { day: DAYS.indexOf(a as (typeof DAYS)[number]) as Weekday, atUtc: b } };
            case "monthly":
                return { monthly: { day: Number(a), atUtc: b } };
            default:
                return undefined;
        }
    });
