"""Errors that carry a message meant for people (in French), raised when input is unusable."""


class UnusableInput(Exception):
    """The input as a whole cannot be read (malformed, truncated, wrong encoding, hostile).

    The message is shown as is to the person running the command or reading the report.
    """
