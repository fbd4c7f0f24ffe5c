"""Validation of records against the schemas of `schemas/`.

- `validator_for(kind).check(row)`: the fast compiled validator harvests use;
- `frictionless_validate(source, kind)`: real frictionless with our custom checks (the
  reference the compiled validators are proven against, and the `--json` report);
- `guess_kind(columns)`: which schema a file looks like;
- `format_report(...)`: a French report grouped by kind of problem.
"""

from catalog.validation.compiled import RecordValidator, guess_kind, validator_for
from catalog.validation.problems import Problem
from catalog.validation.reference import frictionless_validate, report_problems
from catalog.validation.report import Summary, format_report

__all__ = [
    "Problem", "RecordValidator", "Summary", "format_report", "frictionless_validate", "guess_kind",
    "report_problems", "validator_for",
]
