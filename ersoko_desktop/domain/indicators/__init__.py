"""Indicator engine (GUIDE §4): declarative catalog, vectorised evaluation, objectivity signs, ШНОР.

- :mod:`.catalog` — the catalog of ``forms/indicators/*.yaml`` (formulas over named aggregates);
- :mod:`.dataset` — the engine's input frames;
- :mod:`.engine` — one grouping pass + additive roll-ups + formula evaluation;
- :mod:`.tasks` — per-task solve rates;
- :mod:`.signs` — objectivity signs S1–S5 and the risk list;
- :mod:`.shnor` — ШНОР and ШФНСУ.

Pure pandas; the database side is ``services.indicators`` / ``services.objectivity``.
"""
