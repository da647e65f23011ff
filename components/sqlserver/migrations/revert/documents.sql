-- Revert documents
-- Drops the table and every document in it (and its vector index).
IF OBJECT_ID(N'dbo.documents', N'U') IS NOT NULL
    DROP TABLE dbo.documents;
GO
