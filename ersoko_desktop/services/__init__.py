"""Services: plain functions over a SQLAlchemy session; GUI, CLI and tests call the same ones."""
