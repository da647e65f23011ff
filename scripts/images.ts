/**
 * Every image the program can pull: the pinned defaults and each stack file's `image`
 * overrides, one per line. The users' pull-request workflow checks each one exists in its
 * registry (`docker manifest inspect`), so a mistyped tag fails a PR, not a deploy.
 *
 *   npm run -s images
 */
import * as fs from "fs";
import { defaultImages } from "../components/config/images";
import { PROJECT_DIR, stackRawConfig } from "../harness/stack-config";

export function pinnedImages(projectDir = PROJECT_DIR): string[] {
    const images = new Set<string>(Object.values(defaultImages));
    for (const file of fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f))) {
        const raw = stackRawConfig(file.split(".")[1], projectDir);
        for (const value of Object.values(raw)) {
            const image = (value as { image?: unknown } | undefined)?.image;
            if (typeof image === "string") images.add(image);
        }
    }
    return [...images].sort();
}

if (require.main === module) console.log(pinnedImages().join("\n"));
