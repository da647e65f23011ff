import { PlatformConfig } from "../config/load";

/** The validated `aws` config object, as the AWS components receive it. */
export type AwsSettings = NonNullable<PlatformConfig["aws"]>;
