"""The light theme: Fusion with a calm palette and a style sheet close to a modern Windows app
(white surfaces, thin grey borders, rounded controls, one blue accent). Applied once to the
whole application, so every page gets it without styling its own widgets.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

ACCENT = "#2563eb"
ACCENT_DARK = "#1d4ed8"
TEXT = "#1f2933"
MUTED = "#52606d"
BORDER = "#d5dae1"
SURFACE = "#ffffff"
WINDOW = "#f6f7f9"
SELECTION = "#dbe8fb"

STYLE = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolTip {{ background: #fffbe6; color: {TEXT}; border: 1px solid #e5d9a6; padding: 4px 6px; }}

QPushButton {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 5px; padding: 4px 8px;
}}
QPushButton:hover {{ background: #eef2f7; border-color: #b9c2cd; }}
QPushButton:pressed {{ background: #e2e8f0; }}
QPushButton:focus {{ border: 1px solid {ACCENT}; }}
QPushButton:default, QPushButton[accent="true"] {{
    background: {ACCENT}; color: white; border: 1px solid {ACCENT_DARK};
}}
QPushButton:default:hover, QPushButton[accent="true"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton:disabled {{ color: #9aa5b1; background: #f1f3f5; border-color: #e4e7eb; }}

/* Combo boxes, spin boxes and date edits keep Fusion's own drawing: pages size them tightly. */
QLineEdit, QPlainTextEdit, QTextEdit {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 5px; padding: 2px 4px;
    selection-background-color: {SELECTION}; selection-color: {TEXT};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border: 1px solid {ACCENT}; }}

QTableView, QTreeView, QListView, QTableWidget, QTreeWidget {{
    background: {SURFACE}; alternate-background-color: #f8fafc; border: 1px solid {BORDER};
    border-radius: 6px; gridline-color: #edf0f3;
    selection-background-color: {SELECTION}; selection-color: {TEXT};
}}
QHeaderView::section {{
    background: #f1f4f8; color: {MUTED}; border: none; border-right: 1px solid #e4e7eb;
    border-bottom: 1px solid {BORDER}; padding: 5px 8px; font-weight: 600;
}}

QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 6px; background: {SURFACE}; top: -1px; }}
QTabBar::tab {{ background: transparent; padding: 7px 14px; margin-right: 2px; color: {MUTED};
    border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover {{ color: {TEXT}; }}

QGroupBox {{ border: 1px solid {BORDER}; border-radius: 8px; margin-top: 14px; padding: 10px 8px 8px 8px;
    background: {SURFACE}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {MUTED}; font-weight: 600; }}

QMenuBar {{ background: {WINDOW}; border-bottom: 1px solid #e4e7eb; }}
QMenuBar::item {{ padding: 5px 10px; background: transparent; }}
QMenuBar::item:selected {{ background: #e8edf3; border-radius: 4px; }}
QMenu {{ background: {SURFACE}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 6px 24px 6px 20px; border-radius: 4px; }}
QMenu::item:selected {{ background: {SELECTION}; color: {TEXT}; }}
QMenu::separator {{ height: 1px; background: #e4e7eb; margin: 4px 8px; }}

QStatusBar {{ background: {WINDOW}; border-top: 1px solid #e4e7eb; color: {MUTED}; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 6px; background: {SURFACE}; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
QScrollBar:vertical {{ background: transparent; width: 12px; margin: 0; }}
QScrollBar::handle:vertical {{ background: #c8cfd8; border-radius: 5px; min-height: 30px; margin: 2px; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 0; }}
QScrollBar::handle:horizontal {{ background: #c8cfd8; border-radius: 5px; min-width: 30px; margin: 2px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QSplitter::handle {{ background: #e4e7eb; }}

/* Main window navigation, page titles, hints and dashboard cards (ui/widgets.py sets the roles). */
QListWidget#nav {{ background: #f3f5f8; border: none; border-right: 1px solid #dde1e6; border-radius: 0;
    font-size: 11pt; }}
QListWidget#nav::item {{ padding: 9px 14px; border-radius: 6px; margin: 2px 6px; }}
QListWidget#nav::item:selected {{ background: {SELECTION}; color: #0b3d91; }}
QLabel[role="title"] {{ font-size: 16pt; font-weight: 600; color: {TEXT}; }}
QLabel[role="hint"] {{ color: {MUTED}; }}
QFrame[role="card"] {{ background: {SURFACE}; border: 1px solid #dde1e6; border-radius: 8px; }}
"""


def palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: SURFACE,
        QPalette.ColorRole.AlternateBase: "#f8fafc",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: SURFACE,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: SELECTION,
        QPalette.ColorRole.HighlightedText: TEXT,
        QPalette.ColorRole.ToolTipBase: "#fffbe6",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#9aa5b1",
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9aa5b1"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9aa5b1"))
    return pal


def apply(app: QApplication) -> None:
    """Light theme regardless of the system's dark mode (the pages are designed for light)."""
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    app.setPalette(palette())
    app.setStyleSheet(STYLE)
