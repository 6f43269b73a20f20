"""Password hashing: argon2id (RFC 9106) through argon2-cffi, nothing home-made."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordHashing", "dummy_verify"]


class PasswordHashing:
    """Hash and check passwords with argon2id.

    The defaults are argon2-cffi's (RFC 9106 "second recommended" profile: t=3, m=64 MiB, p=4).
    Tests may pass cheaper parameters; a hash made with older parameters is flagged for rehash.
    """

    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # A real hash of a random value, checked when the user does not exist, so a wrong
        # user name costs the same time as a wrong password (no user enumeration by timing).
        self._dummy = self._hasher.hash("trustkit-no-such-user")

    def hash(self, password: str) -> str:
        """Return the PHC-format argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True if ``password`` matches ``password_hash``; malformed hashes count as a mismatch."""
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True if the hash was made with other parameters than the current ones."""
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time of one verification (for unknown users)."""
        self.verify(self._dummy, password)


def dummy_verify(hashing: PasswordHashing, password: str) -> None:
    """Module-level alias of :meth:`PasswordHashing.burn`."""
    hashing.burn(password)
