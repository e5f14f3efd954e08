"""Keeping the user's data safe: one program per database, damaged-file detection, backups at
start, no databases on network shares, crash logs instead of tracebacks. Qt-free; the GUI and
the CLI call the same functions (see :func:`startup.open_safely`)."""
