-- Deploy documents
-- SQL Server runs some DDL outside the changeset's transaction: every statement checks
-- before it acts, so a deploy that stopped half-way can run again.
IF OBJECT_ID(N'dbo.documents', N'U') IS NULL
    CREATE TABLE dbo.documents (
        id INT IDENTITY(1, 1) NOT NULL CONSTRAINT pk_documents PRIMARY KEY CLUSTERED,
        source NVARCHAR(400) NULL,
        content NVARCHAR(MAX) NOT NULL,
        embedding VECTOR(${embedding_dimensions}) NULL,
        created_at DATETIME2(3) NOT NULL CONSTRAINT df_documents_created_at DEFAULT SYSUTCDATETIME()
    );
GO
