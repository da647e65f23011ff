import { z } from "zod";
import { Schedule, Weekday } from "../platform/types";

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
