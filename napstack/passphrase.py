"""`napstack passphrase`: the hash of a wake passphrase for StatusPage.PassphraseHash, made by the status page's own
module (functions/status_page/wake_passphrase.py), so what deploys is what the page checks."""

from __future__ import annotations

import getpass
import sys

from napstack.function_modules import FUNCTIONS_DIR, load_function_module
from napstack.settings import STATUS_PAGE

MIN_CHARACTERS = 8


class PassphraseError(Exception):
    """The passphrase given cannot be used; the message says why."""


def _module():
    return load_function_module("napstack_wake_passphrase", FUNCTIONS_DIR / STATUS_PAGE / "wake_passphrase.py")


def read_passphrase(stdin=None) -> str:
    """Typed twice without echo at a terminal, else the first line of standard input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        text = getpass.getpass("Wake passphrase: ")
        if getpass.getpass("Again: ") != text:
            raise PassphraseError("the two passphrases differ; nothing was made")
    else:
        text = stdin.readline().rstrip("\r\n")
    return checked(text)


def checked(text: str) -> str:
    module = _module()
    if len(text) < MIN_CHARACTERS:
        raise PassphraseError(f"a passphrase needs at least {MIN_CHARACTERS} characters (friends type it once a session)")
    if len(text) > module.MAX_PASSPHRASE_CHARACTERS:
        raise PassphraseError(f"a passphrase has at most {module.MAX_PASSPHRASE_CHARACTERS} characters "
                              "(the page's form takes no more)")
    try:
        text.encode()
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept as surrogates by Python's reading of them
        raise PassphraseError("the passphrase is not UTF-8 text: type it at a terminal, or pipe it in UTF-8") from None
    return text


def passphrase_hash(text: str) -> str:
    return _module().make_hash(text)
