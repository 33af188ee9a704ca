"""The wake passphrase: only a slow hash of it deploys (scrypt, from the standard library's hashlib), and a guess is
compared in constant time. `napstack passphrase` makes the hash with this very module (napstack/passphrase.py).

Format: `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>`. N = 2^17, r = 8, p = 1 is OWASP's floor for scrypt:
128 MiB (the page's process peaks near 195 MiB of its 256 MB) and about half a second per guess on a whole core, about
three at 256 MB's seventh of a vCPU: once for a friend, dear for someone who got hold of the hash (the template, the
group's tags) and guesses offline. Hashes napstack made before (N = 2^15) still match; `napstack passphrase` again
makes a stronger one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

LOG2_N, BLOCK_SIZE, PARALLELISM = 17, 8, 1
KEY_BYTES, SALT_BYTES = 32, 16
MAX_PASSPHRASE_BYTES = 1024  # a guess longer than this is refused before it is hashed
MAX_PASSPHRASE_CHARACTERS = 200  # what the page's form takes (maxlength): a longer passphrase could never be typed
ALLOWED_LOG2_N = range(15, 18)  # what napstack has made (2^15 until 2^17); more memory would not fit the function


class BadPassphraseHash(ValueError):
    """A stored hash that is not in napstack's format (the config's pattern checks it before a deploy)."""


def _key(passphrase: str, salt: bytes, log2_n: int) -> bytes:
    text = unicodedata.normalize("NFC", passphrase).encode()
    memory = 128 * BLOCK_SIZE * (2 ** log2_n) * 2  # scrypt needs 128 r N bytes; OpenSSL's default cap is 32 MiB
    return hashlib.scrypt(text, salt=salt, n=2 ** log2_n, r=BLOCK_SIZE, p=PARALLELISM, maxmem=memory, dklen=KEY_BYTES)


def make_hash(passphrase: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    key = _key(passphrase, salt, LOG2_N)
    encoded = [base64.b64encode(part).decode() for part in (salt, key)]
    return "$".join(["scrypt", str(LOG2_N), str(BLOCK_SIZE), str(PARALLELISM), *encoded])


def _parsed(stored: str) -> tuple[int, bytes, bytes]:
    try:
        scheme, log2_n, block, parallel, salt, key = stored.split("$")
        values = (int(log2_n), base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True))
    except ValueError:
        raise BadPassphraseHash("not a hash `napstack passphrase` makes") from None
    if (scheme, block, parallel) != ("scrypt", str(BLOCK_SIZE), str(PARALLELISM)) or values[0] not in ALLOWED_LOG2_N:
        raise BadPassphraseHash("not a hash `napstack passphrase` makes")
    return values


def matches(guess: str, stored: str) -> bool:
    """Whether `guess` is the passphrase `stored` hashes, compared in constant time."""
    log2_n, salt, key = _parsed(stored)
    if len(guess.encode()) > MAX_PASSPHRASE_BYTES:
        return False
    return hmac.compare_digest(_key(guess, salt, log2_n), key)
