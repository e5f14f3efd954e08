"""Forms as data: YAML definitions (``forms/*.form.yaml``), their schema check, value coercion,
validation rules, computed fields and version mapping. No database, no Qt: the same rules run in
the GUI, on XLSX import and at every level that receives a form.

The definition format is documented in ``forms/README.md``.
"""

from .schema import FIELD_TYPES, Aggregate, FieldSpec, FormSpec, Option, Rule, Section, parse_definition
from .loader import definition_hash, load_file, load_shipped
from .validation import Issue, ValidationResult, validate
from .values import coerce, display
from .periods import check_period

__all__ = [
    "FIELD_TYPES", "Aggregate", "FieldSpec", "FormSpec", "Option", "Rule", "Section", "parse_definition",
    "definition_hash", "load_file", "load_shipped", "Issue", "ValidationResult", "validate", "coerce",
    "display", "check_period",
]
