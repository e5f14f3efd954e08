"""Domain knowledge: pure Python/pandas, no SQLAlchemy, no Qt."""
