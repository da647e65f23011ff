/**
 * What terraform-provider-docker v4.5.0 (under @pulumi/docker 5.2) and the Docker engine do with
 * the dev stack's resources after the first `up`. The provider diffs the program's inputs against
 * what its Read stored (harness/lifecycle/docker-read-back.ts, the same table the read-back test
 * holds the program to); a ForceNew field replaces the resource.
 */
import { EngineFacts } from "../../components/machine";
import { rules, storedForm } from "./docker-read-back";
import { ProviderModel, StateResource, Verdict } from "./model";

const PROVIDER = "pulumi:providers:docker";

const OBJECTS: Record<string, string> = {
    "docker:index/container:Container": "container",
    "docker:index/volume:Volume": "volume",
    "docker:index/network:Network": "network",
    "docker:index/remoteImage:RemoteImage": "image",
};

/** The Docker model against one engine (its facts decide some stored forms, e.g. MemorySwap). */
export function dockerModel(engine: EngineFacts): ProviderModel {
    return {
        name: "docker",
        covers: (type) => type.startsWith("docker:") || type === PROVIDER,
        objectOf: (r) => (OBJECTS[r.type] ? `${OBJECTS[r.type]}/${r.inputs.name}` : undefined),

        diff(before, after): Verdict {
            if (after.type === PROVIDER) return JSON.stringify(before.inputs) === JSON.stringify(after.inputs) ? { action: "same" } : { action: "update" };
            // The provider diffs the new inputs against the state its Read stored.
            const stored = storedForm(before.type, before.name, before.inputs, engine);
            const sent = storedForm(after.type, after.name, after.inputs, engine);
            const fields = [...new Set([...Object.keys(stored), ...Object.keys(sent)])].filter((f) => JSON.stringify(stored[f]) !== JSON.stringify(after.inputs[f]));
            if (fields.length === 0) return { action: "same" };
            const forceNew = fields.filter((f) => rules[after.type][f]?.forceNew);
            if (forceNew.length > 0) return { action: "replace", why: `${forceNew.join(", ")} (ForceNew: ${forceNew.map((f) => rules[after.type][f].source).join("; ")})` };
            return { action: "update", why: fields.join(", ") };
        },

        create(r: StateResource, _provider, live): Verdict {
            switch (r.type) {
                // moby volume/service/store.go (VolumeStore.create, checkConflict): creating a volume that exists
                // with the same driver returns it; the provider then reads it (resource_docker_volume.go).
                case "docker:index/volume:Volume":
                    return { action: "adopt", why: `docker volume create returns the existing ${live.id}` };
                // The image is still on the engine (keepLocally): the pull finds it.
                case "docker:index/remoteImage:RemoteImage":
                    return { action: "adopt", why: "the image is still on the engine (keepLocally)" };
                default:
                    return { action: "refused", why: `Conflict: the name of ${live.id} is already in use` };
            }
        },

        // resource_docker_image_funcs.go delete: with keep_locally the image is only dropped from the state.
        leaves: (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.inputs.keepLocally === true,
    };
}
