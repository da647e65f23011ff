-- Deploy preview-features
-- CREATE VECTOR INDEX needs the database's preview features on.
ALTER DATABASE SCOPED CONFIGURATION SET PREVIEW_FEATURES = ON;
GO
