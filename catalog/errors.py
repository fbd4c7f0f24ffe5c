"""Errors that carry a message meant for people (in French), raised when input is unusable."""


class UnusableInput(Exception):
    """The input as a whole cannot be read (malformed, truncated, wrong encoding, hostile).

    The message is shown as is to the person running the command or reading the report.
    """


def parser_detail(exc: BaseException) -> str:
    """What a parser said, on one line, to quote after our own sentence.

    YAML errors span several lines (the faulty line, then a caret under the column) and yajl's
    come as bytes with a drawing of the position: a person gets the position and the reason.
    """
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"ligne {mark.line + 1}, colonne {mark.column + 1} : {problem}"
    detail = exc.args[0] if len(exc.args) == 1 else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", errors="replace")
    lines = [line.strip() for line in str(detail).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
