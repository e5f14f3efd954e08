"""The signed package format (GUIDE §6): a defensive ZIP reader, the manifest, signatures and
optional encryption. Pure functions over bytes — no database, no Qt; ``services.packages``
puts them to work."""
