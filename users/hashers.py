"""How passwords are stored: Argon2id with OWASP's settings (docs/decisions.md, Authentication).

Django's default (PBKDF2-SHA256, 1,000,000 rounds) costs 0.2-0.3 s of one core per login on
this project's machines, all of it CPU that the firm's pages wait behind on a Monday morning.
Argon2id is memory-hard: a guess costs an attacker 19 MiB of memory bandwidth as well as time,
which is what makes GPUs and ASICs expensive, and the server about 25 ms of CPU. The settings
are the first of the OWASP Password Storage Cheat Sheet's (m=19 MiB, t=2, p=1). Hashes of
another kind or other settings (PBKDF2 from before) still verify and are rewritten with these
on the user's next successful login (Django's ``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (Argon2id, same encoded form) with OWASP's first setting."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
