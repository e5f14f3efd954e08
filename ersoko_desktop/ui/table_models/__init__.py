"""UI table_models."""
