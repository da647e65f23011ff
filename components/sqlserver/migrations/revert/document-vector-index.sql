-- Revert document-vector-index
-- Drops the procedures; an index they built stays until dbo.documents changes or goes.
DROP PROCEDURE IF EXISTS dbo.create_document_vector_index;
GO
DROP PROCEDURE IF EXISTS dbo.drop_document_vector_index;
GO
