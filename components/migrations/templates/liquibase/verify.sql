-- Verify {{change}}
-- Fails (THROW) when what deploy/{{change}}.sql made is not there. Read only.

-- e.g.
-- IF COL_LENGTH(N'dbo.documents', N'language') IS NULL
--     THROW 50000, 'dbo.documents.language is missing', 1;
-- GO
