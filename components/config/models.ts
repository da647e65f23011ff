/**
 * Output dimensions of the Ollama embedding models we know. The vector columns in
 * SQL Server and the Qdrant collection follow from the configured model.
 */
export const embeddingDimensions: Readonly<Record<string, number>> = {
    "all-minilm": 384,
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "snowflake-arctic-embed": 1024,
    "bge-m3": 1024,
};

/** `nomic-embed-text:v1.5` -> `nomic-embed-text` (tags do not change the dimension). */
export function modelFamily(model: string): string {
    const colon = model.indexOf(":");
    return colon < 0 ? model : model.slice(0, colon);
}

export function knownDimensions(model: string): number | undefined {
    return embeddingDimensions[modelFamily(model)];
}
