-- Deploy document-vector-index
-- In SQL Server 2025 a table with a vector index is read-only: the index is built only once
-- enough rows are embedded. The settings step calls create_document_vector_index with
-- sqlserver.vectorIndexMinRows; called by hand after a load, it builds on what is there.
CREATE OR ALTER PROCEDURE dbo.create_document_vector_index @min_rows INT = 1
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.documents') AND name = N'ix_documents_embedding')
        RETURN;
    DECLARE @rows INT = (SELECT COUNT(*) FROM dbo.documents WHERE embedding IS NOT NULL);
    IF @rows < @min_rows
    BEGIN
        PRINT CONCAT('llm-platform: vector index not built yet: ', @rows, ' embedded rows, ', @min_rows,
            ' needed (the table turns read-only once it has the index), so load first, then EXEC dbo.create_document_vector_index');
        RETURN;
    END
    CREATE VECTOR INDEX ix_documents_embedding ON dbo.documents (embedding)
        WITH (METRIC = 'cosine', TYPE = 'DiskANN');
END
GO
CREATE OR ALTER PROCEDURE dbo.drop_document_vector_index
AS
BEGIN
    IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.documents') AND name = N'ix_documents_embedding')
        DROP INDEX ix_documents_embedding ON dbo.documents;
END
GO
