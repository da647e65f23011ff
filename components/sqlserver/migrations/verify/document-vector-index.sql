-- Verify document-vector-index
IF OBJECT_ID(N'dbo.create_document_vector_index', N'P') IS NULL OR OBJECT_ID(N'dbo.drop_document_vector_index', N'P') IS NULL
    THROW 50000, 'dbo.create_document_vector_index or dbo.drop_document_vector_index is missing', 1;
GO
