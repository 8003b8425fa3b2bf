"""GetRandomPassword: a password drawn with `secrets` from the character classes the request
leaves in, with at least one character of each class when RequireEachIncludedType is on."""

from __future__ import annotations

import secrets
import string

from overcast.services.secretsmanager.errors import invalid_parameter

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

#: (the request member that leaves the class out, the class's characters)
CLASSES = (
    ("ExcludeLowercase", string.ascii_lowercase),
    ("ExcludeUppercase", string.ascii_uppercase),
    ("ExcludeNumbers", string.digits),
    ("ExcludePunctuation", PUNCTUATION),
)
DEFAULT_LENGTH = 32


def random_password(params: dict) -> str:
    length = params.get("PasswordLength", DEFAULT_LENGTH)
    excluded = set(params.get("ExcludeCharacters") or "")
    pools = [
        "".join(c for c in chars if c not in excluded) for member, chars in CLASSES if not params.get(member)
    ]
    if params.get("IncludeSpace"):
        pools.append("" if " " in excluded else " ")
    pools = [pool for pool in pools if pool]
    if not pools:
        raise invalid_parameter("The password must include at least one type of character.")
    alphabet = "".join(pools)
    # RequireEachIncludedType asks for letters, numbers and punctuation; a space is never required.
    pools = [pool for pool in pools if pool != " "]
    require_each = params.get("RequireEachIncludedType", True)
    if require_each and length < len(pools):
        raise invalid_parameter(
            "The password length is too short to include one character of each included type."
        )
    chosen = [secrets.choice(pool) for pool in pools] if require_each else []
    chosen += [secrets.choice(alphabet) for _ in range(length - len(chosen))]
    # The required characters must not sit at fixed places.
    for i in range(len(chosen) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chosen[i], chosen[j] = chosen[j], chosen[i]
    return "".join(chosen)
