"""Printable reports: one content model (:mod:`.model`) rendered to PDF (:mod:`.pdf`) and XLSX
(:mod:`.xlsx`). Nothing here touches the database; ``services.reports`` gathers the data."""
