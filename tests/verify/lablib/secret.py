"""Secret: a str that never shows its value in a repr.

pytest prints the arguments of every frame of a failure's traceback, and the values in an
assertion's explanation, with repr(): a password passed around as a plain str would land in the
report. Wrap it: Secret("...") works wherever a str does (smtplib, json.dumps, `in`), but its
repr is Secret('***'). str() and string operations give the value itself, on purpose.
"""


class Secret(str):
    __slots__ = ()

    def __repr__(self):
        return "Secret('***')"
