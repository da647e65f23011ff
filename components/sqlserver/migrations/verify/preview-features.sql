-- Verify preview-features
IF NOT EXISTS (SELECT 1 FROM sys.database_scoped_configurations WHERE name = N'PREVIEW_FEATURES' AND CAST(value AS INT) = 1)
    THROW 50000, 'PREVIEW_FEATURES is off in this database', 1;
GO
