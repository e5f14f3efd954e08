"""ЕРСОКО Desktop: offline education quality assessment (ВСОКО / МСОКО / РСОКО)."""

__version__ = "0.1.0"
APP_NAME = "ЕРСОКО Desktop"
