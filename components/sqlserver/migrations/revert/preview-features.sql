-- Revert preview-features
-- A vector index that exists stays usable; no new one can be built.
ALTER DATABASE SCOPED CONFIGURATION SET PREVIEW_FEATURES = OFF;
GO
