-- Revert {{change}}
-- Undoes exactly what deploy/{{change}}.sql did, keeping the rows that came before it.

-- e.g.
-- IF COL_LENGTH(N'dbo.documents', N'language') IS NOT NULL
--     ALTER TABLE dbo.documents DROP COLUMN language;
-- GO
