-- Verify documents
-- Fails when a column is missing or embedding is not a VECTOR column.
SELECT id, source, content, embedding, created_at FROM dbo.documents WHERE 1 = 0;
GO
IF NOT EXISTS (
    SELECT 1 FROM sys.columns
    WHERE object_id = OBJECT_ID(N'dbo.documents') AND name = N'embedding' AND vector_dimensions IS NOT NULL
)
    THROW 50000, 'dbo.documents.embedding is not a VECTOR column', 1;
GO
